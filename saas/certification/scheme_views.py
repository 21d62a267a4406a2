"""Pages for the audit-based schemes' certificates: the provider's programme, the certificate list and
page with its sanctions and scope reduction, and follow-on cases (surveillance, recertification,
change reported by the company)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from saas.audits.models import AuditCase
from saas.audits.services import cases as audit_cases
from saas.auth import require_roles, staff_required, tenant_blueprint
from saas.certification import programme as programme_service
from saas.certification import scheme_certificates as service
from saas.certification.scheme_models import SchemeCertificate
from saas.certification.schemas import SanctionSchema
from saas.clients.services import visible_company_ids
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, load_form
from saas.schemes import services as schemes
from saas.tenants.models import Role

bp = tenant_blueprint("programme", __name__, "/audits")
BLUEPRINTS = (bp,)


def _company_ids():
    return visible_company_ids(current_user.is_staff, current_user.id)


@bp.get("/programme")
@staff_required
def programme():
    return render_template("certification/programme.html",
                           page=programme_service.programme(current_session(), today_in_oslo()))


@bp.get("/programme.ics")
@staff_required
def programme_calendar():
    from flask import Response, g

    page = programme_service.programme(current_session(), today_in_oslo())
    return Response(programme_service.ics(page, g.tenant.slug), mimetype="text/calendar",
                    headers={"Content-Disposition": "attachment; filename=revisjonsprogram.ics"})


@bp.get("/certificates")
def scheme_certificates():
    items = service.for_companies(current_session(), _company_ids(), today_in_oslo())
    return render_template("certification/scheme_certificates.html", items=items)


def _visible_or_404(certificate_id: int) -> SchemeCertificate:
    session = current_session()
    certificate = session.scalar(select(SchemeCertificate).where(SchemeCertificate.id == certificate_id,
                                                                 SchemeCertificate.company_id.in_(_company_ids())))
    if certificate is None:
        abort(404)
    return certificate


def _page(certificate_id: int, message: str = "", errors=None, status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    certificate = _visible_or_404(certificate_id)
    scopes = schemes.scopes_of(session, certificate.scheme_id)
    return render_template("certification/scheme_certificate.html",
                           cert=service.detail(session, certificate_id, today_in_oslo()), scopes=scopes,
                           message=message, errors=errors or {}), status


@bp.get("/certificates/<int:scheme_certificate_id>")
def scheme_certificate(scheme_certificate_id: int):
    return _page(scheme_certificate_id)


@bp.get("/certificates/<int:scheme_certificate_id>/pdf")
def scheme_certificate_pdf(scheme_certificate_id: int):
    from saas import storage
    from saas.certification.scheme_documents import request_render

    certificate = _visible_or_404(scheme_certificate_id)
    if not certificate.document_key:
        request_render(current_session(), certificate)
        # 202 so the request commits (and the render is enqueued); the page reloads itself until the PDF is there.
        return render_template("certification/scheme_pending.html", certificate_id=certificate.id), 202, {"Refresh": "5"}
    return storage.download_response(certificate.document_key, f"{certificate.number}.pdf", "application/pdf")


@bp.get("/cases/<int:case_id>/certificate")
def certificate_for_case(case_id: int):
    session = current_session()
    certificate_id = session.scalar(select(SchemeCertificate.id).where(
        SchemeCertificate.case_id == case_id, SchemeCertificate.company_id.in_(_company_ids()))
        .order_by(SchemeCertificate.id.desc()).limit(1))
    if certificate_id is None:
        abort(404)
    return redirect(url_for("programme.scheme_certificate", scheme_certificate_id=certificate_id))


@bp.post("/certificates/<int:scheme_certificate_id>/sanction")
@require_roles(Role.ADMIN, Role.REVIEWER)
def sanction(scheme_certificate_id: int):
    _visible_or_404(scheme_certificate_id)
    try:
        data = load_form(SanctionSchema(), request.form)
        service.sanction(current_session(), current_user, scheme_certificate_id, data["action"], data["reason"],
                         today_in_oslo())
    except FieldErrors as error:
        return _page(scheme_certificate_id, errors={"sanction": error.errors}, status=422)
    except service.SanctionRefused as error:
        return _page(scheme_certificate_id, message=str(error), status=422)
    flash(gettext("Tiltaket er registrert og vises i registeret."), "success")
    return redirect(url_for("programme.scheme_certificate", scheme_certificate_id=scheme_certificate_id))


@bp.post("/certificates/<int:scheme_certificate_id>/reduce-scope")
@require_roles(Role.ADMIN, Role.REVIEWER)
def reduce_scope(scheme_certificate_id: int):
    _visible_or_404(scheme_certificate_id)
    keep = [int(v) for v in request.form.getlist("scope_ids") if v.isdigit()]
    try:
        new = service.reduce_scope(current_session(), current_user, scheme_certificate_id, keep,
                                   request.form.get("reason", ""), today_in_oslo())
    except FieldErrors as error:
        return _page(scheme_certificate_id, errors={"reduce": error.errors}, status=422)
    except service.SanctionRefused as error:
        return _page(scheme_certificate_id, message=str(error), status=422)
    flash(gettext("Nytt sertifikat med redusert omfang er utstedt."), "success")
    return redirect(url_for("programme.scheme_certificate", scheme_certificate_id=new.id))


FOLLOW_ON = {"surveillance": "Oppfølgingsrevisjon", "recertification": "Resertifisering", "change": "Endring"}


@bp.post("/certificates/<int:scheme_certificate_id>/cases")
def open_case(scheme_certificate_id: int):
    """Start a surveillance audit, a recertification (staff), or a change reported by the company (staff or
    the company's own contacts: scope extended or reduced, new faglig leder, premises, ...), each ending in
    a decision."""
    certificate = _visible_or_404(scheme_certificate_id)
    kind = request.form.get("kind", "")
    if kind not in FOLLOW_ON:
        return _page(scheme_certificate_id, message="Ugyldig sakstype.", status=422)
    if not current_user.is_staff and kind != "change":
        abort(403)
    scope_ids = [int(v) for v in request.form.getlist("scope_ids") if v.isdigit()] or \
        [s["id"] for s in certificate.scopes]
    valid = {s.id for s in schemes.scopes_of(current_session(), certificate.scheme_id)}
    if any(s not in valid for s in scope_ids):
        return _page(scheme_certificate_id, message="Ukjent fagområde.", status=422)
    if kind == "change" and len(request.form.get("change_note", "").strip()) < 5:
        return _page(scheme_certificate_id, errors={"case": {"change_note": ["Beskriv endringen."]}}, status=422)
    case_row = current_session().get(AuditCase, certificate.case_id)
    case = audit_cases.open_follow_on(current_session(), current_user, company_id=certificate.company_id,
                                      scheme_id=certificate.scheme_id, kind=kind, certificate_id=certificate.id,
                                      scope_ids=scope_ids, sub_units=case_row.sub_units if case_row else [],
                                      today=today_in_oslo(), change_note=request.form.get("change_note", "").strip(),
                                      reported_by_company=not current_user.is_staff)
    flash(gettext("Saken er opprettet."), "success")
    return redirect(url_for("audits.case", case_id=case.id))
