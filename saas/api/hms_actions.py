"""/api/v1/t/<slug>: the action plan.  Client contacts read their companies' plans and update the
items assigned to them (status and a note); staff do everything else."""
from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented, query
from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.hms.reminders import reminder_days
from saas.hms.schemas_actions import (ActionItemDetailSchema, ActionItemSchema, ActionYearSummarySchema, BulkAssignSchema,
                                      BulkAssignResultSchema, FindingDefaultsSchema, ProgressSchema, ReminderSettingsSchema,
                                      VerifyActionSchema)
from saas.hms.services import work as work_services
from saas.hms.services import actions as services
from saas.hms.views.actions import filter_from_args

TAG = "action plan"
EDITABLE = (*services.EDITABLE, "status")


def _year(year_id: int):
    try:
        return services.visible_year(current_session(), current_user, year_id)
    except services.NotFound:
        abort(404)


def _item(action_id: int):
    try:
        return services.get_item(current_session(), current_user, action_id)
    except services.NotFound:
        abort(404)


def _detail(item) -> dict:
    return ActionItemDetailSchema().dump(services.item_detail(current_session(), item))


@tenant_api.get("/years/<int:year_id>/action-items")
@documented("/years/{year_id}/action-items", "get",
            "Items of a year's action plan, overdue first (filters: status, area, overdue=1, responsible=<user id or name>)",
            response=ActionItemSchema, many=True, params=("year_id",), tag=TAG,
            query=(query("status", {"type": "string", "enum": list(services.STATUSES)}),
                   query("area", {"type": "string", "enum": list(services.AREAS)}),
                   query("overdue", {"type": "string", "enum": ["0", "1"]}),
                   query("responsible", {"type": "string", "maxLength": 200}, "a user id or a name")))
def list_action_items(year_id: int):
    year = _year(year_id)
    page, per_page = pagination()
    items = services.list_items(current_session(), year.id, filter_from_args(request.args))
    chunk = items[(page - 1) * per_page: page * per_page]
    return page_body(ActionItemSchema(many=True).dump(chunk), len(items), page, per_page)


@tenant_api.post("/years/<int:year_id>/action-items")
@staff_required
@documented("/years/{year_id}/action-items", "post", "Add an item to a year's action plan", request=ActionItemSchema,
            response=ActionItemDetailSchema, params=("year_id",), status=201, tag=TAG)
def create_action_item(year_id: int):
    year = _year(year_id)
    item = services.create_action_item(current_session(), current_user, year, source_type="manual",
                                       **json_body(ActionItemSchema()))
    return _detail(item), 201


@tenant_api.get("/years/<int:year_id>/action-summary")
@documented("/years/{year_id}/action-summary", "get", "Counts by status, overdue, and the first items (overdue first)",
            response=ActionYearSummarySchema, params=("year_id",), tag=TAG)
def action_summary(year_id: int):
    return ActionYearSummarySchema().dump(services.year_summary(current_session(), _year(year_id).id))


@tenant_api.get("/action-items/<int:action_id>")
@documented("/action-items/{action_id}", "get", "One action item with its progress notes", response=ActionItemDetailSchema,
            params=("action_id",), tag=TAG)
def get_action_item(action_id: int):
    return _detail(_item(action_id))


@tenant_api.patch("/action-items/<int:action_id>")
@staff_required
@documented("/action-items/{action_id}", "patch", "Update fields of an action item (staff)", request=ActionItemSchema,
            response=ActionItemDetailSchema, params=("action_id",), tag=TAG)
def update_action_item(action_id: int):
    item = _item(action_id)
    current = {k: getattr(item, k) for k in EDITABLE}
    services.update_action_item(current_session(), current_user, item, {**current, **json_body(ActionItemSchema(), partial=True)})
    return _detail(item)


@tenant_api.post("/action-items/<int:action_id>/progress")
@documented("/action-items/{action_id}/progress", "post",
            "Record progress: a new status and/or a note (client contacts: only items assigned to them, else 403; "
            "closing as done needs evidence uploaded on the item first, else 422 on `file`)",
            request=ProgressSchema, response=ActionItemDetailSchema, params=("action_id",), tag=TAG,
            responses={403: "Tiltaket er ikke tildelt deg"})
def action_progress(action_id: int):
    item = _item(action_id)
    if not services.can_update_progress(current_user, item):
        abort(403)
    data = json_body(ProgressSchema())
    if current_user.is_staff:
        services.record_progress(current_session(), current_user, item, data["status"], data["text"])
    else:
        work_services.update_assigned_action(current_session(), current_user, item, data["status"], data["text"])
    return _detail(item)


@tenant_api.post("/action-items/<int:action_id>/verify")
@staff_required
@documented("/action-items/{action_id}/verify", "post",
            "A consultant approves an item a client contact closed (approve=true), or sends it back to "
            "in progress with a note (approve=false; the note is required)",
            request=VerifyActionSchema, response=ActionItemDetailSchema, params=("action_id",), tag=TAG)
def verify_action(action_id: int):
    item = _item(action_id)
    data = json_body(VerifyActionSchema())
    services.verify_action(current_session(), current_user, item, data["approve"], data["note"])
    return _detail(item)


@tenant_api.post("/years/<int:year_id>/action-items/bulk-assign")
@staff_required
@documented("/years/{year_id}/action-items/bulk-assign", "post",
            "Give many items of the year one responsible person (user or named outsider, or none) and/or one deadline",
            request=BulkAssignSchema, response=BulkAssignResultSchema, params=("year_id",), tag=TAG)
def bulk_assign(year_id: int):
    year = _year(year_id)
    data = json_body(BulkAssignSchema())
    return BulkAssignResultSchema().dump({"changed": services.bulk_assign(current_session(), current_user, year, data)})


@tenant_api.get("/action-reminder-settings")
@admin_required
@documented("/action-reminder-settings", "get", "Days before an action item's deadline that reminders go out",
            response=ReminderSettingsSchema, tag=TAG)
def get_reminder_settings():
    return ReminderSettingsSchema().dump({"action_reminder_days": reminder_days(g.tenant.setting("action_reminder_days"))})


@tenant_api.put("/action-reminder-settings")
@admin_required
@documented("/action-reminder-settings", "put", "Set the days before the deadline that reminders go out",
            request=ReminderSettingsSchema, response=ReminderSettingsSchema, tag=TAG)
def put_reminder_settings():
    days = json_body(ReminderSettingsSchema())["action_reminder_days"]
    services.save_reminder_days(current_session(), current_user, g.tenant, days)
    return ReminderSettingsSchema().dump({"action_reminder_days": days})


@tenant_api.get("/finding-defaults")
@admin_required
@documented("/finding-defaults", "get", "The default deadline and responsible person of a graded finding's action",
            response=FindingDefaultsSchema, tag=TAG)
def get_finding_defaults():
    return FindingDefaultsSchema().dump(services.finding_settings(current_session(), g.tenant.id))


@tenant_api.put("/finding-defaults")
@admin_required
@documented("/finding-defaults", "put", "Set the default deadline (days) and responsible person per finding grade",
            request=FindingDefaultsSchema, response=FindingDefaultsSchema, tag=TAG)
def put_finding_defaults():
    data = json_body(FindingDefaultsSchema())
    session = current_session()
    services.save_finding_settings(session, current_user, g.tenant, data)
    return FindingDefaultsSchema().dump(services.finding_settings(session, g.tenant.id))
