"""Home pages of the year's work: the consultant's "what needs attention" and a client contact's own work."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import require_roles, staff_required
from saas.db import current_session
from saas.hms.services import actions as action_services
from saas.hms.services import checklists as checklist_services
from saas.hms.services import work as services
from saas.hms.views import work_bp as bp
from saas.hms.views.evidence import uploaded_file
from saas.hms.views.years import answers_from_form  # one parser for the checklist's fields, wherever it is filled in
from saas.hms.schemas_actions import ProgressSchema
from saas.hms.schemas_work import PhysicalMappingSchema
from saas.schemas import FieldErrors, load_form
from saas.tenants.models import Role

client_required = require_roles(Role.CLIENT)
# Object routes of the client's pages look the object up first, so an id of another tenant or company
# answers 404 to everyone; only then is a staff user told 403 (``_clients_only``).
tenant_user_required = require_roles(*Role)


def _clients_only() -> None:
    if not current_user.has_role(Role.CLIENT):
        abort(403)


@bp.get("/")
@staff_required
def home():
    everyone = request.args.get("alle") == "1"
    data = services.consultant_home(current_session(), current_user, action_services.oslo_today(), everyone=everyone)
    return render_template("hms/work/home.html", **data)


# -- the client contact's home ----------------------------------------------------------------------------

def _mine_page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    companies = services.client_home(current_session(), current_user, action_services.oslo_today())
    return render_template("hms/work/mine.html", companies=companies, errors=errors or {}, values=values or {},
                           statuses=action_services.STATUS_LABELS), status


@bp.get("/mine")
@client_required
def mine():
    return _mine_page()


@bp.post("/mine/actions/<int:action_id>")
@tenant_user_required
def update_action(action_id: int):
    session = current_session()
    try:
        item = services.assigned_item(session, current_user, action_id)
    except services.NotFound:
        abort(404)
    _clients_only()
    try:
        progress = load_form(ProgressSchema(), request.form)
        services.update_assigned_action(session, current_user, item, progress["status"], progress["text"],
                                        uploaded_file(required=False))
    except FieldErrors as error:
        # The page holds one form per item; the errors belong to this item's form.
        return _mine_page({action_id: error.errors}, {action_id: dict(request.form)}, 422)
    flash(gettext("«%(title)s» er oppdatert.", title=item.title), "success")
    return redirect(url_for("work.mine") + f"#tiltak-{action_id}")


@bp.post("/mine/years/<int:year_id>/mapping")
@tenant_user_required
def start_mapping(year_id: int):
    try:
        year = services.self_mapping_year(current_session(), current_user, year_id)
    except services.NotFound:
        abort(404)
    _clients_only()
    try:
        mapping = services.start_self_mapping(current_session(), current_user, year)
    except FieldErrors as error:
        flash(" ".join(sum(error.errors.values(), [])), "error")
        return redirect(url_for("work.mine"))
    return redirect(url_for("work.fill_mapping", mapping_id=mapping.id))


# -- a self-mapping checklist ---------------------------------------------------------------------------

def _parse_details(form) -> dict:
    return load_form(PhysicalMappingSchema(only=("performed_on", "participants")), form)


def _fill_page(mapping, year, errors: dict, values: dict | None = None, status: int = 200):
    checklist = checklist_services.run_sections(current_session(), mapping.run)
    return render_template("hms/work/fill_mapping.html", checklist=checklist, errors=errors, values=values,
                           mapping=dict(id=mapping.id, status=mapping.status, performed_on=mapping.performed_on,
                                        participants=mapping.participants, submitted_at=mapping.run.submitted_at,
                                        verified_at=mapping.verified_at),
                           year=dict(id=year.id, year=year.year, company_name=year.company.name)), status


@bp.route("/mine/mappings/<int:mapping_id>", methods=["GET", "POST"])
@tenant_user_required
def fill_mapping(mapping_id: int):
    session = current_session()
    try:
        mapping, year = services.self_mapping(session, current_user, mapping_id)
    except services.NotFound:
        abort(404)
    _clients_only()
    if request.method == "GET":
        return _fill_page(mapping, year, {})
    submit = request.form.get("submit") == "1"
    try:
        entries, _fill = answers_from_form(request.form)
        services.save_self_mapping(session, current_user, mapping, year, entries, _parse_details(request.form), submit,
                                   action_services.oslo_today())
    except FieldErrors as error:
        return _fill_page(mapping, year, error.errors, request.form, 422)
    if submit:
        flash(gettext("Kartleggingen er sendt inn. Rådgiveren går gjennom og verifiserer den."), "success")
        return redirect(url_for("work.mine"))
    flash(gettext("Svarene er lagret."), "success")
    return redirect(url_for("work.fill_mapping", mapping_id=mapping.id))
