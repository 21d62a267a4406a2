"""Certification pages: a year's verdict, attestations, proposal and decision; certificates and their
states; the yearly run.  Blueprints are listed in BLUEPRINTS (registered by saas.app)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from saas.pagination import page_count
from saas.auth import require_roles, staff_required, tenant_blueprint
from saas.certification import jobs, labels
from saas.certification.models import Certificate, CertificationProposal
from saas.certification.schemas import (AttestationSchema, BulkProposalSchema, DecisionSchema, ProposalSchema,
                                        StateChangeSchema, YearlyRunSchema)
from saas.certification.services import Conflict, NotFound, Refused, certificates, decisions, overview, yearly_run
from saas.certification.services.facts import REFS_SHOWN
from saas.clients.models import ClientCompany
from saas.clients.services import visible_company_ids
from saas.db import current_session
from saas.platform import tenant_section
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, load_form
from saas.tenants.models import Role

bp = tenant_blueprint("certification", __name__, "/certification")
# The verdict lists this many refs of a criterion (templates/certification/_verdict.html), and the pages build
# URLs for just these (facts.verdict_for_year's ``linked``).
bp.add_app_template_global(REFS_SHOWN, "verdict_refs_shown")
BLUEPRINTS = (bp,)
RUN_PAGE_SIZE = 100


def _year_page(year_id: int, errors: dict | None = None, values: dict | None = None, message: str = "", status: int = 200):
    """The year's certification page; on an error the request's writes are dropped before it is drawn."""
    session = current_session()
    if status >= 400:
        session.rollback()
    try:
        page = overview.year_page(session, g.tenant, current_user, year_id, today_in_oslo())
    except NotFound:
        abort(404)
    return render_template("certification/year.html", page=page, errors=errors or {}, values=values or {},
                           message=message, labels=labels), status


def _refused(year_id: int, form: str, error: Exception):
    if isinstance(error, FieldErrors):
        return _year_page(year_id, errors={form: error.errors}, values={form: request.form.to_dict()}, status=422)
    return _year_page(year_id, values={form: request.form.to_dict()}, message=str(error),
                      status=409 if isinstance(error, Conflict) else 422)


def _year_id_or_404(year_id: int) -> int:
    try:
        return decisions.get_year(current_session(), current_user, year_id).id
    except NotFound:
        abort(404)


@bp.get("/years/<int:year_id>")
def year(year_id: int):
    return _year_page(year_id)


@bp.post("/years/<int:year_id>/attestations")
@staff_required
def attest(year_id: int):
    _year_id_or_404(year_id)
    try:
        decisions.attest(current_session(), current_user, year_id, load_form(AttestationSchema(), request.form), today_in_oslo())
    except (FieldErrors, Refused) as error:
        return _refused(year_id, "attestation", error)
    flash(gettext("Bekreftelsen er registrert."), "success")
    return redirect(url_for("certification.year", year_id=year_id) + "#bekreftelser")


@bp.post("/years/<int:year_id>/proposals")
@staff_required
def propose(year_id: int):
    _year_id_or_404(year_id)
    try:
        proposal = decisions.propose(current_session(), current_user, year_id, load_form(ProposalSchema(), request.form),
                                     today_in_oslo())
    except (FieldErrors, Refused) as error:
        return _refused(year_id, "proposal", error)
    flash(gettext("Klasse %(cert_class)s er foreslått og venter på beslutning.", cert_class=proposal.cert_class), "success")
    return redirect(url_for("certification.year", year_id=year_id))


def _proposal_year_or_404(proposal_id: int) -> int:
    year_id = current_session().scalar(select(CertificationProposal.year_id).where(CertificationProposal.id == proposal_id))
    if year_id is None:
        abort(404)
    return year_id


@bp.post("/proposals/<int:proposal_id>/decision")
@require_roles(Role.REVIEWER)
def decide(proposal_id: int):
    year_id = _proposal_year_or_404(proposal_id)
    try:
        data = load_form(DecisionSchema(), request.form)
        _, certificate = decisions.decide(current_session(), g.tenant, current_user, proposal_id,
                                          approve=data["outcome"] == "approve", reason=data["reason"] or "",
                                          today=today_in_oslo())
    except (FieldErrors, Refused) as error:
        return _refused(year_id, "decision", error)
    if certificate is not None:
        flash(gettext("Sertifikat %(number)s er utstedt i klasse %(cert_class)s.", number=certificate.number,
                      cert_class=certificate.cert_class), "success")
        return redirect(url_for("certification.certificate", certificate_id=certificate.id))
    flash(gettext("Forslaget er sendt tilbake til HMS-rådgiveren."), "success")
    return redirect(url_for("certification.year", year_id=year_id))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@staff_required
def withdraw(proposal_id: int):
    year_id = _proposal_year_or_404(proposal_id)
    try:
        decisions.withdraw_proposal(current_session(), current_user, proposal_id)
    except Refused as error:
        return _refused(year_id, "withdraw", error)
    flash(gettext("Forslaget er trukket."), "success")
    return redirect(url_for("certification.year", year_id=year_id))


# -- certificates --------------------------------------------------------------------------------------

def _visible_company_ids():
    return visible_company_ids(current_user.is_staff, current_user.id)


@bp.get("/certificates/")
def certificate_list():
    state = request.args.get("state", "")
    state = state if state in labels.STATE_LABELS else ""
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    items, total = certificates.list_certificates(current_session(), today_in_oslo(), company_ids=_visible_company_ids(),
                                                  state=state or None, page=page, per_page=50)
    return render_template("certification/certificates.html", items=items, total=total, page=page,
                           pages=page_count(total, 50), state=state, labels=labels, args=request.args.to_dict())


def _certificate_page(certificate_id: int, errors: dict | None = None, message: str = "", status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    company_id = session.scalar(select(Certificate.company_id)
                                .where(Certificate.id == certificate_id))
    if company_id is None or session.scalar(_visible_company_ids().where(ClientCompany.id == company_id)) is None:
        abort(404)
    data = certificates.certificate_detail(session, certificate_id, today_in_oslo())
    can_change = current_user.has_role(Role.REVIEWER, Role.ADMIN)
    from saas.certification.document_jobs import document_status

    return render_template("certification/certificate.html", cert=data, can_change=can_change, errors=errors or {},
                           doc=document_status(session, certificate_id),
                           values=request.form.to_dict() if status >= 400 else {}, message=message, labels=labels), status


@bp.get("/certificates/<int:certificate_id>")
def certificate(certificate_id: int):
    return _certificate_page(certificate_id)


@bp.post("/certificates/<int:certificate_id>/state")
@require_roles(Role.REVIEWER, Role.ADMIN)
def change_state(certificate_id: int):
    session = current_session()
    if session.scalar(select(Certificate.id).where(Certificate.id == certificate_id)) is None:
        abort(404)
    try:
        data = load_form(StateChangeSchema(), request.form)
        changed = certificates.change_state(session, current_user, certificate_id, data["action"], data["reason"], today_in_oslo())
    except FieldErrors as error:
        return _certificate_page(certificate_id, errors=error.errors, status=422)
    except Refused as error:
        return _certificate_page(certificate_id, message=str(error), status=422)
    flash(gettext("Sertifikat %(number)s er nå %(state)s.", number=changed.number,
                  state=gettext(labels.STATE_LABELS[changed.state]).lower()), "success")
    return redirect(url_for("certification.certificate", certificate_id=certificate_id))


# -- the yearly run ------------------------------------------------------------------------------------

def _run_start_page(values: dict, errors: dict, status: int = 200):
    return render_template("certification/yearly_run.html", values=values, errors=errors,
                           runs=yearly_run.recent_runs(current_session())), status


@bp.route("/yearly-run", methods=["GET", "POST"])
@staff_required
def yearly_run_start():
    if request.method == "GET":
        return _run_start_page({"within_days": yearly_run.DEFAULT_WITHIN_DAYS}, {})
    try:
        data = load_form(YearlyRunSchema(), request.form)
    except FieldErrors as error:
        return _run_start_page(request.form.to_dict(), error.errors, 422)
    task = jobs.start_yearly_run(current_session(), current_user, data["within_days"], today_in_oslo())
    return redirect(url_for("certification.yearly_run_result", task_id=task.id))


def _iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _run_result_page(task_id: int, outcome: dict | None = None, errors: dict | None = None, status: int = 200):
    task = yearly_run.yearly_task(current_session(), task_id)
    if task is None:
        abort(404)
    rows = task["result"].get("rows", [])
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    # The task's JSON keeps dates as ISO strings; the page shows them as dates.
    shown = [dict(r, current_valid_until=_iso_date(r["current_valid_until"]))
             for r in rows[(page - 1) * RUN_PAGE_SIZE: page * RUN_PAGE_SIZE]]
    task["result"] = dict(task["result"], as_of=_iso_date(task["result"].get("as_of")))
    return render_template("certification/yearly_run_result.html", task=task, rows=shown, total=len(rows), page=page,
                           pages=page_count(len(rows), RUN_PAGE_SIZE), outcome=outcome, errors=errors or {},
                           labels=labels, can_propose=current_user.has_role(*decisions.PROPOSERS)), status


@bp.get("/yearly-run/<int:task_id>")
@staff_required
def yearly_run_result(task_id: int):
    return _run_result_page(task_id)


@bp.post("/yearly-run/<int:task_id>/proposals")
@staff_required
def yearly_run_propose(task_id: int):
    if yearly_run.yearly_task(current_session(), task_id) is None:
        abort(404)
    try:
        data = load_form(BulkProposalSchema(), request.form)
        outcome = yearly_run.propose_bulk(current_session(), current_user, data["year_ids"], today_in_oslo())
    except FieldErrors as error:
        return _run_result_page(task_id, errors=error.errors, status=422)
    except Refused as error:
        return _run_result_page(task_id, errors={"year_ids": [str(error)]}, status=422)
    return _run_result_page(task_id, outcome=outcome)


@tenant_section(30)
def _platform_certificates(session, tenant_id: int) -> dict:
    """The operator's tenant page: the tenant's certificates by state (run in the tenant's scope)."""
    from sqlalchemy import func

    today = today_in_oslo()
    by_state = dict(session.execute(select(Certificate.state, func.count()).group_by(Certificate.state)).all())
    expiring = len(certificates.expiring(session, None, 90, today))
    rows = [(gettext("Sertifikater i alt"), sum(by_state.values()))]
    rows += [(gettext(labels.STATE_LABELS[state]), n) for state, n in sorted(by_state.items()) if state in labels.STATE_LABELS]
    rows.append((gettext("Utløper innen 90 dager"), expiring))
    return dict(title=gettext("Sertifikater"), link=None, rows=rows)
