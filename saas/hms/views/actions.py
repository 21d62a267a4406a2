"""Action-plan pages: a year's plan with filters, one item with its notes and evidence, staff editing,
progress updates (also by the client contact the item is assigned to), and the reminder settings."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.hms.reminders import DEFAULT_DAYS, reminder_days
from saas.hms.schemas_actions import (ActionItemSchema, BulkAssignSchema, FindingDefaultsSchema, ProgressSchema,
                                      ReminderSettingsSchema)
from saas.hms.services import actions as services
from saas.hms.services import evidence as evidence_services
from saas.hms.services import work as work_services
from saas.hms.views import actions_bp as bp
from saas.hms.views.evidence import back_to, uploaded_file
from saas.schemas import FieldErrors, load_form, load_json


def year_or_404(year_id: int):
    try:
        return services.visible_year(current_session(), current_user, year_id)
    except services.NotFound:
        abort(404)


def item_or_404(action_id: int):
    try:
        return services.get_item(current_session(), current_user, action_id)
    except services.NotFound:
        abort(404)


def year_header(year) -> dict:
    return dict(id=year.id, year=year.year, company_id=year.company_id, company_name=year.company.name, status=year.status)


def filter_from_args(args) -> services.ActionFilter:
    return services.ActionFilter(status=args.get("status", ""), area=args.get("area", ""),
                                 overdue=args.get("overdue") == "1", responsible=args.get("responsible", "")[:200])


@bp.get("/years/<int:year_id>")
def plan(year_id: int):
    year = year_or_404(year_id)
    session = current_session()
    flt = filter_from_args(request.args)
    everything = services.list_items(session, year.id)
    choices = services.responsible_choices(session, year.company_id) if current_user.is_staff else []
    return render_template("hms/actions/plan.html", year=year_header(year), items=services.apply_filter(everything, flt),
                           flt=flt, summary=services.summarize(everything), choices=choices,
                           responsible_options=services.responsible_filter_options(everything),
                           statuses=services.STATUS_LABELS, areas=services.AREA_LABELS)


def _form(year, values: dict, errors: dict, item=None, status: int = 200):
    choices = services.responsible_choices(current_session(), year.company_id)
    return render_template("hms/actions/form.html", year=year_header(year), values=values, errors=errors, item=item,
                           choices=choices, statuses=services.STATUS_LABELS, areas=services.AREA_LABELS), status


@bp.route("/years/<int:year_id>/new", methods=["GET", "POST"])
@staff_required
def new(year_id: int):
    year = year_or_404(year_id)
    if request.method == "GET":
        return _form(year, {"area": request.args.get("area", "physical"), "status": "open"}, {})
    try:
        data = load_form(ActionItemSchema(), request.form)
        item = services.create_action_item(current_session(), current_user, year, source_type="manual", **data)
    except FieldErrors as error:
        return _form(year, dict(request.form), error.errors, status=422)
    flash(gettext("Tiltaket er lagt til i handlingsplanen."), "success")
    return redirect(url_for("actions.detail", action_id=item.id))


def _detail(item, errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = current_session()
    data = services.item_detail(session, item)
    year = services.visible_year(session, current_user, item.year_id)
    files = evidence_services.files_for(session, "action_item", [item.id])[item.id]
    return render_template("hms/actions/detail.html", item=data, year=year_header(year), files=files,
                           can_update=services.can_update_progress(current_user, item), statuses=services.STATUS_LABELS,
                           errors=errors or {}, values=values or {"status": item.status}), status


@bp.get("/<int:action_id>")
def detail(action_id: int):
    return _detail(item_or_404(action_id))


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(action_id: int):
    item = item_or_404(action_id)
    year = year_or_404(item.year_id)
    if request.method == "GET":
        values = {k: getattr(item, k) for k in ("title", "description", "area", "grade", "responsible_user_id",
                                                 "responsible_name", "deadline", "status")}
        return _form(year, values, {}, item=item)
    try:
        data = load_form(ActionItemSchema(), request.form)
        services.update_action_item(current_session(), current_user, item, data)
    except FieldErrors as error:
        return _form(year, dict(request.form), error.errors, item=item, status=422)
    flash(gettext("Endringene er lagret."), "success")
    return redirect(url_for("actions.detail", action_id=item.id))


@bp.post("/<int:action_id>/progress")
def progress(action_id: int):
    """Status and a note: staff on any item, a client contact only on items assigned to them (403)."""
    item = item_or_404(action_id)
    if not services.can_update_progress(current_user, item):
        abort(403)
    session = current_session()
    try:
        data = load_form(ProgressSchema(), request.form)
        upload = uploaded_file(required=False)
        if current_user.is_staff:
            if data["status"] or data["text"].strip() or upload is None:
                services.record_progress(session, current_user, item, data["status"], data["text"])
            if upload is not None:
                target = evidence_services.resolve_target(session, "action_item", item.id, current_user)
                evidence_services.upload(session, current_user, target, upload[0], upload[1], data["text"].strip())
        else:  # the client contact responsible for it: closing needs evidence, which a consultant then verifies
            work_services.update_assigned_action(session, current_user, item, data["status"], data["text"], upload)
    except FieldErrors as error:
        return _detail(item, error.errors, dict(request.form), status=422)
    flash(gettext("Oppdateringen er lagret."), "success")
    return redirect(back_to(url_for("actions.detail", action_id=item.id)))


@bp.post("/<int:action_id>/verify")
@staff_required
def verify(action_id: int):
    """A consultant approves an item a client contact closed, or sends it back with a reason."""
    item = item_or_404(action_id)
    try:
        services.verify_action(current_session(), current_user, item, request.form.get("decision") != "return",
                               request.form.get("note", "")[:5000])
    except FieldErrors as error:
        return _detail(item, error.errors, dict(request.form), status=422)
    flash(gettext("Tiltaket er verifisert.") if request.form.get("decision") != "return"
          else gettext("Tiltaket er sendt tilbake til den ansvarlige."), "success")
    return redirect(url_for("actions.detail", action_id=item.id))


@bp.post("/years/<int:year_id>/bulk")
@staff_required
def bulk(year_id: int):
    """Give the ticked items one responsible person and/or deadline."""
    year = year_or_404(year_id)
    form = request.form
    payload = {"action_ids": [int(v) for v in form.getlist("action_ids") if v.isdigit()],
               "clear_responsible": form.get("responsible") == "none"}
    responsible = form.get("responsible", "")
    if responsible.isdigit():
        payload["responsible_user_id"] = int(responsible)
    if form.get("responsible_name", "").strip():
        payload["responsible_name"] = form["responsible_name"].strip()
    if form.get("deadline"):
        payload["deadline"] = form["deadline"]
    try:
        data = load_json(BulkAssignSchema(), payload)
        changed = services.bulk_assign(current_session(), current_user, year, data)
    except FieldErrors as error:
        for messages in error.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("actions.plan", year_id=year.id)), 303
    flash(ngettext("%(num)d tiltak er oppdatert.", "%(num)d tiltak er oppdatert.", changed), "success")
    return redirect(url_for("actions.plan", year_id=year.id))


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    current = reminder_days(g.tenant.setting("action_reminder_days"))
    session = current_session()
    if request.method == "GET":
        return _settings_page({"action_reminder_days": ", ".join(map(str, current)),
                               **services.finding_settings(session, g.tenant.id)}, {})
    errors, data, defaults = {}, None, None
    try:
        data = load_form(ReminderSettingsSchema(), request.form)
    except FieldErrors as error:
        errors.update(error.errors)
    try:
        defaults = load_form(FindingDefaultsSchema(), request.form)
    except FieldErrors as error:
        errors.update(error.errors)
    if errors:
        return _settings_page(dict(request.form), errors, 422)
    services.save_reminder_days(session, current_user, g.tenant, data["action_reminder_days"])
    services.save_finding_settings(session, current_user, g.tenant, defaults)
    flash(gettext("Påminnelsene er lagret."), "success")
    return redirect(url_for("actions.settings"))


def _settings_page(values: dict, errors: dict, status: int = 200):
    grades = [("serious", "Alvorlig avvik"), ("minor", "Mindre alvorlig avvik"), ("observation", "Observasjon")]
    responsible = [("contact", "Bedriftens kontaktperson"), ("consultant", "Årets HMS-rådgiver"), ("", "Ingen ennå")]
    return render_template("hms/actions/settings.html", values=values, errors=errors, grades=grades,
                           responsible_options=responsible, default=", ".join(map(str, DEFAULT_DAYS))), status
