"""/api/v1/t/<slug>: the reviewer's queue and the user's notifications (issue 13, daily work)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented
from saas.auth import require_roles, staff_required
from saas.certification import queue
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
