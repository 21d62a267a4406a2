"""/api/v1/t/<slug>: the reviewer's queue and the user's notifications (issue 13, daily work)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented
from saas.auth import require_roles, staff_required
from saas.calendar.schemas import CalendarEventSchema, CalendarFeedSchema
from saas.certification import queue
from saas.search.schemas import SearchHitSchema
from saas.db import current_session
from saas.notifications import services as notifications
from saas.notifications.schemas import (NotificationCountSchema, NotificationSchema, NotificationSettingsSchema,
                                        QueueItemSchema)
from saas.scheduler import today_in_oslo
from saas.tenants.models import Role

TAG = "daily work"
any_user = require_roles(*Role)


@tenant_api.get("/review-queue")
@staff_required
@documented("/review-queue", "get", "Proposals waiting for a decision, oldest first, with today's verdict and who did the work",
            response=QueueItemSchema, many=True, tag=TAG)
def review_queue():
    items = queue.waiting(current_session(), today_in_oslo())
    page, per_page = pagination()
    return page_body(QueueItemSchema(many=True).dump(items[(page - 1) * per_page: page * per_page]), len(items), page, per_page)


@tenant_api.get("/notifications")
@any_user
@documented("/notifications", "get", "The user's notifications, newest first (?unread=1 for unread only)",
            response=NotificationSchema, many=True, tag=TAG)
def list_notifications():
    from flask import request

    page, per_page = pagination()
    items, total = notifications.list_for(current_session(), current_user.id, request.args.get("unread") == "1", page, per_page)
    return page_body(NotificationSchema(many=True).dump(items), total, page, per_page)


@tenant_api.post("/notifications/<int:notification_id>/read")
@any_user
@documented("/notifications/{notification_id}/read", "post", "Mark one notification read",
            response=NotificationCountSchema, params=("notification_id",), tag=TAG)
def read_notification(notification_id: int):
    session = current_session()
    if notifications.get_own(session, current_user.id, notification_id) is None:
        abort(404)
    marked = notifications.mark_read(session, current_user.id, notification_id)
    return NotificationCountSchema().dump({"marked": marked, "unread": notifications.unread_count(session, current_user.id)})


@tenant_api.post("/notifications/read-all")
@any_user
@documented("/notifications/read-all", "post", "Mark every notification read", response=NotificationCountSchema, tag=TAG)
def read_all_notifications():
    session = current_session()
    marked = notifications.mark_read(session, current_user.id)
    return NotificationCountSchema().dump({"marked": marked, "unread": 0})


@tenant_api.get("/notification-settings")
@any_user
@documented("/notification-settings", "get", "The user's daily e-mail digest setting", response=NotificationSettingsSchema, tag=TAG)
def get_notification_settings():
    return NotificationSettingsSchema().dump(notifications.settings_for(current_session(), current_user.id))


@tenant_api.put("/notification-settings")
@any_user
@documented("/notification-settings", "put", "Turn the daily e-mail digest on or off",
            request=NotificationSettingsSchema, response=NotificationSettingsSchema, tag=TAG)
def put_notification_settings():
    data = json_body(NotificationSettingsSchema())
    session = current_session()
    notifications.save_settings(session, current_user.id, data["daily_digest"])
    return NotificationSettingsSchema().dump(notifications.settings_for(session, current_user.id))


# -- calendar ------------------------------------------------------------------------------------------------

@tenant_api.get("/calendar")
@any_user
@documented("/calendar", "get", "Events between ?from and ?to (YYYY-MM-DD, at most 400 days; default the next 60 days): "
            "action deadlines, certificate expiries, planned mappings and rounds. Filters: ?kind= (repeatable), "
            "?company=, ?mine=1", response=CalendarEventSchema, many=True, tag=TAG)
def calendar_events():
    from datetime import date, timedelta

    from flask import request

    from saas.calendar import services as calendar
    from saas.calendar.views import filters_from_args
    from saas.schemas import FieldErrors

    today = today_in_oslo()
    errors, bounds = {}, {}
    for name, default in (("from", today), ("to", today + timedelta(days=60))):
        raw = request.args.get(name)
        try:
            bounds[name] = date.fromisoformat(raw) if raw else default
        except ValueError:
            errors[name] = ["Ugyldig dato (bruk åååå-mm-dd)."]
    if not errors and not 0 <= (bounds["to"] - bounds["from"]).days <= 400:
        errors["to"] = ["Perioden må være mellom 0 og 400 dager."]
    if errors:
        raise FieldErrors(errors)
    flt = filters_from_args(request.args)
    items = calendar.events(current_session(), current_user, bounds["from"], bounds["to"], flt["kinds"],
                            company_id=flt["company_id"], mine_only=flt["mine"], today=today)
    page, per_page = pagination()
    return page_body(CalendarEventSchema(many=True).dump(items[(page - 1) * per_page: page * per_page]), len(items),
                     page, per_page)


@tenant_api.post("/calendar-feed")
@any_user
@documented("/calendar-feed", "post", "Make (or replace) the user's private iCal feed; the URL is shown only now",
            response=CalendarFeedSchema, status=201, tag=TAG)
def make_calendar_feed():
    from saas.calendar import services as calendar
    from saas.calendar.views import feed_url

    session = current_session()
    token = calendar.new_feed(session, current_user)
    return CalendarFeedSchema().dump({**calendar.feed_status(session, current_user.id), "url": feed_url(token)}), 201


@tenant_api.delete("/calendar-feed")
@any_user
@documented("/calendar-feed", "delete", "Turn the user's iCal feed off (the link stops working)",
            response=CalendarFeedSchema, tag=TAG)
def revoke_calendar_feed():
    from saas.calendar import services as calendar

    session = current_session()
    calendar.revoke_feed(session, current_user)
    return CalendarFeedSchema().dump({**calendar.feed_status(session, current_user.id), "url": None})


# -- search --------------------------------------------------------------------------------------------------

@tenant_api.get("/search")
@any_user
@documented("/search", "get", "Search companies, certificates, actions, invoices and people the user may see (?q=, at "
            "least 2 characters; 10 hits per kind)", response=SearchHitSchema, many=True, tag=TAG)
def search():
    from flask import request

    from saas.schemas import FieldErrors
    from saas.search import services as search_services

    q = request.args.get("q", "")
    if search_services.too_short(q):
        raise FieldErrors({"q": ["Skriv minst to tegn."]})
    hits = search_services.search(current_session(), current_user, q)
    items = [{**h, "kind": kind} for kind in search_services.KINDS for h in hits[kind]]
    return {"items": SearchHitSchema(many=True).dump(items), "total": len(items)}
