"""Audit pages: the case list (the client portal for client contacts), the application, the case page
with every step's form, the conformity matrix, the auditor's audit page (for a phone or tablet), and
case files.  Blueprints are listed in BLUEPRINTS (registered by saas.app)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from saas import storage
from saas.audits.actions import CASE_ACTIONS
from saas.audits.models import CaseFile, CorrectiveAction, TeamMember
from saas.audits.schemas import (AnswerSchema, ApplicationSchema, CorrectiveActionSchema, ObjectionDecisionSchema,
                                 ReasonSchema)
from saas.audits.services import NotFound, Refused, audit, cases, overview
from saas.auth import staff_required, tenant_blueprint
from saas.clients.models import ClientCompany, SubUnit
from saas.clients.services import visible_companies, visible_company_ids
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, flatten_errors, load_form
from saas.schemes import services as schemes
from saas.storage import UploadRejected

bp = tenant_blueprint("audits", __name__, "/audits")
BLUEPRINTS = (bp,)


def _company_ids():
    return visible_company_ids(current_user.is_staff, current_user.id)


def _case_or_404(case_id: int, for_update: bool = False, options=()):
    try:
        return cases.get_case(current_session(), current_user, case_id, for_update=for_update, options=options)
    except NotFound:
        abort(404)


@bp.get("/")
def index():
    session = current_session()
    return render_template("audits/index.html", cases=overview.list_cases(session, _company_ids(), today_in_oslo(),
                                                                          include_closed=True))


# -- application -------------------------------------------------------------------------------------

def _application_form(errors=None, values=None, status=200):
    session = current_session()
    if status >= 400:
        session.rollback()
    companies = session.scalars(visible_companies(current_user).where(ClientCompany.archived_at.is_(None))
                                .order_by(ClientCompany.name)).all()
    audit_schemes = schemes.schemes_for(session, "audit")
    scopes = {scheme_id: [(sc.id, f"{sc.code} {sc.name}") for sc in rows]
              for scheme_id, rows in schemes.scopes_by_scheme(session, [s.id for s in audit_schemes]).items()}
    units = session.scalars(select(SubUnit).where(SubUnit.company_id.in_([c.id for c in companies]))
                            .order_by(SubUnit.name)).all()
    return render_template("audits/apply.html", companies=[(c.id, c.name) for c in companies],
                           schemes=[(s.id, s.name) for s in audit_schemes], scopes=scopes,
                           sub_units=[dict(id=u.id, name=u.name, company_id=u.company_id) for u in units],
                           errors=errors or {}, values=values or {}), status


@bp.get("/apply")
def apply_form():
    return _application_form(values={"company_id": request.args.get("company_id", "")})


@bp.post("/apply")
def apply():
    form = request.form
    try:
        data = load_form(ApplicationSchema(), form)
        data["sub_units"] = [{"sub_unit_id": int(u), "scope_ids": [int(s) for s in form.getlist(f"sub_unit_scopes-{u}")
                                                                    if s.isdigit()]}
                             for u in form.getlist("sub_unit") if u.isdigit()]
        case = cases.apply(current_session(), current_user, data, today_in_oslo())
    except FieldErrors as error:
        return _application_form(error.errors, form.to_dict(), 422)
    flash(gettext("Søknaden er sendt."), "success")
    return redirect(url_for("audits.case", case_id=case.id))


# -- the case page and its steps ---------------------------------------------------------------------

def _case_page(case_id: int, template: str = "audits/case.html", errors=None, values=None, message="", status=200):
    session = current_session()
    if status >= 400:
        session.rollback()
    case = _case_or_404(case_id, options=overview.PAGE_LOADS)
    page = overview.case_page(session, case, current_user, today_in_oslo())
    staff = []
    if current_user.is_staff:
        from saas.tenants.models import User

        staff = [(u.id, u.name) for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
                 if u.is_staff]
    return render_template(template, page=page, staff=staff, errors=errors or {}, values=values or {},
                           message=message), status


@bp.get("/cases/<int:case_id>")
def case(case_id: int):
    return _case_page(case_id)


@bp.get("/cases/<int:case_id>/audit")
def audit_page(case_id: int):
    return _case_page(case_id, "audits/audit.html")


@bp.get("/cases/<int:case_id>/matrix")
@staff_required
def matrix(case_id: int):
    return _case_page(case_id, "audits/matrix.html")


def _form_data(name: str, schema_cls):
    form = request.form
    if name == "team":
        members = [{"user_id": u, "role": r} for u, r in zip(form.getlist("member_user_id"), form.getlist("member_role"))
                   if u]
        raw = {"members": members, "programme": form.get("programme", ""),
               "audit_planned_on": form.get("audit_planned_on") or None,
               "document_only": form.get("document_only") in ("1", "on")}
        try:
            return schema_cls().load(raw)
        except ValidationError as error:
            raise FieldErrors(flatten_errors(error.messages)) from None
    data = load_form(schema_cls(), form)
    if name == "documents":
        stored = []
        for upload in request.files.getlist("files"):
            if upload and upload.filename:
                try:
                    stored.append(storage.save_upload(current_session(), upload.read(), upload.filename))
                except UploadRejected as error:
                    raise FieldErrors({"files": str(error)}) from None
        data["_files"] = stored
    return data


def _make_action_view(name: str):
    schema_cls, run, done, _ = CASE_ACTIONS[name]

    def view(case_id: int):
        case = _case_or_404(case_id, for_update=True)
        back = "audits.audit_page" if request.form.get("_from") == "audit" else "audits.case"
        try:
            run(current_session(), current_user, case, _form_data(name, schema_cls), today_in_oslo())
        except FieldErrors as error:
            return _case_page(case_id, "audits/audit.html" if back == "audits.audit_page" else "audits/case.html",
                              errors={name: error.errors}, values={name: request.form.to_dict()}, status=422)
        except Refused as error:
            return _case_page(case_id, "audits/audit.html" if back == "audits.audit_page" else "audits/case.html",
                              message=str(error), values={name: request.form.to_dict()}, status=422)
        flash(gettext(done), "success")
        return redirect(url_for(back, case_id=case_id))

    view.__name__ = f"case_{name.replace('-', '_')}"
    return view


for _name in CASE_ACTIONS:
    bp.add_url_rule(f"/cases/<int:case_id>/{_name}", endpoint=f"case_{_name.replace('-', '_')}",
                    view_func=_make_action_view(_name), methods=["POST"])


@bp.post("/cases/<int:case_id>/matrix")
@staff_required
def save_matrix(case_id: int):
    return _save_rows(case_id, "document", "audits.matrix", "audits/matrix.html")


@bp.post("/cases/<int:case_id>/checklist")
@staff_required
def save_checklist(case_id: int):
    return _save_rows(case_id, "audit", "audits.audit_page", "audits/audit.html")


def _save_rows(case_id: int, stage: str, endpoint: str, template: str):
    case = _case_or_404(case_id, for_update=True)
    form = request.form
    rows = {}
    for key in form:
        if key.startswith("assessment-") and key[11:].isdigit():
            rid = int(key[11:])
            rows[rid] = {"assessment": form.get(key, ""), "where_documented": form.get(f"where-{rid}", ""),
                         "note": form.get(f"note-{rid}", "")}
    try:
        cases.save_matrix(current_session(), current_user, case, rows, today_in_oslo(), stage=stage)
    except FieldErrors as error:
        return _case_page(case_id, template, errors={"matrix": error.errors}, values={"matrix": form.to_dict()},
                          status=422)
    except Refused as error:
        return _case_page(case_id, template, message=str(error), status=422)
    flash(gettext("Vurderingene er lagret."), "success")
    return redirect(url_for(endpoint, case_id=case_id))


# -- objections, corrective actions, files -----------------------------------------------------------

def _member_or_404(case, member_id: int) -> TeamMember:
    member = current_session().get(TeamMember, member_id)
    if member is None or member.case_id != case.id:
        abort(404)
    return member


def _member_case(member_id: int):
    member = current_session().get(TeamMember, member_id)
    if member is None:
        abort(404)
    return _case_or_404(member.case_id, for_update=True), member


@bp.post("/team/<int:member_id>/objection")
def object_to_member(member_id: int):
    case, member = _member_case(member_id)
    try:
        cases.object_to_member(current_session(), current_user, case, member,
                               load_form(ReasonSchema(), request.form)["reason"], today_in_oslo())
    except (FieldErrors, Refused) as error:
        return _case_page(case.id, message=_message(error), status=422)
    flash(gettext("Innsigelsen er sendt."), "success")
    return redirect(url_for("audits.case", case_id=case.id))


@bp.post("/team/<int:member_id>/objection-decision")
@staff_required
def decide_objection(member_id: int):
    case, member = _member_case(member_id)
    try:
        cases.decide_objection(current_session(), current_user, case, member,
                               load_form(ObjectionDecisionSchema(), request.form)["upheld"], today_in_oslo())
    except (FieldErrors, Refused) as error:
        return _case_page(case.id, message=_message(error), status=422)
    flash(gettext("Innsigelsen er avgjort."), "success")
    return redirect(url_for("audits.case", case_id=case.id))


def _message(error) -> str:
    if isinstance(error, FieldErrors):
        return " ".join(m for msgs in error.errors.values() for m in msgs)
    return str(error)


@bp.post("/findings/<int:finding_id>/corrective-actions")
def corrective_action(finding_id: int):
    from saas.audits.models import Finding

    session = current_session()
    finding = session.get(Finding, finding_id)
    if finding is None:
        abort(404)
    case = _case_or_404(finding.case_id, for_update=True)
    try:
        file_id = None
        upload = request.files.get("file")
        if upload and upload.filename:
            try:
                stored = storage.save_upload(session, upload.read(), upload.filename)
            except UploadRejected as error:
                raise FieldErrors({"file": str(error)}) from None
            file_id = cases.add_file(session, current_user, case, "evidence", stored).id
        audit.submit_corrective_action(session, current_user, case, finding,
                                       load_form(CorrectiveActionSchema(), request.form), today_in_oslo(), file_id)
    except (FieldErrors, Refused) as error:
        return _case_page(case.id, message=_message(error), status=422)
    flash(gettext("Korrigerende tiltak er sendt."), "success")
    return redirect(url_for("audits.case", case_id=case.id) + f"#funn-{finding_id}")


@bp.post("/corrective-actions/<int:corrective_action_id>/answer")
@staff_required
def answer_corrective_action(corrective_action_id: int):
    from saas.audits.models import Finding

    session = current_session()
    ca = session.get(CorrectiveAction, corrective_action_id)
    if ca is None:
        abort(404)
    case = _case_or_404(session.get(Finding, ca.finding_id).case_id, for_update=True)
    data = load_form(AnswerSchema(), request.form)
    try:
        audit.answer_corrective_action(session, current_user, case, ca, data["accepted"], data["note"], data["method"],
                                       today_in_oslo())
    except (FieldErrors, Refused) as error:
        return _case_page(case.id, message=_message(error), status=422)
    flash(gettext("Svaret er registrert."), "success")
    return redirect(url_for("audits.case", case_id=case.id))


@bp.get("/files/<int:file_id>")
def case_file(file_id: int):
    row = current_session().get(CaseFile, file_id)
    if row is None:
        abort(404)
    _case_or_404(row.case_id)
    return storage.download_response(row.storage_key, row.filename, row.content_type)


# -- the case file export (archive) ------------------------------------------------------------------

@bp.post("/cases/<int:case_id>/export")
@staff_required
def export(case_id: int):
    from saas.audits.export import start_export

    task = start_export(current_session(), current_user, _case_or_404(case_id))
    flash(gettext("Saksmappen lages. Last ned når den er klar."), "success")
    return redirect(url_for("audits.case", case_id=case_id, export=task.id))


@bp.get("/cases/<int:case_id>/export/<int:task_id>")
@staff_required
def export_download(case_id: int, task_id: int):
    from saas.jobs import BackgroundTask

    _case_or_404(case_id)
    task = current_session().get(BackgroundTask, task_id)
    if task is None or not task.result or task.result.get("case_id") != case_id:
        abort(404)
    return storage.download_response(task.result["file_key"], task.result["file_name"], "application/zip")
