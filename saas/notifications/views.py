"""/t/<slug>/notifications: the user's notifications, marking them read, the daily digest setting; the
counts in the menu (a context processor)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import require_roles, session_user_extras, tenant_blueprint
from saas.db import current_session
from saas.notifications import services
from saas.pagination import page_count
from saas.tenants.models import Role

bp = tenant_blueprint("notifications", __name__, "/notifications")
tenant_user_required = require_roles(*Role)


@bp.app_context_processor
def menu_counts():
    """Unread notifications and, for reviewers, proposals waiting: drawn in the menu on every tenant page."""
    def counts() -> dict:
        if not (current_user.is_authenticated and g.get("tenant") is not None and current_user.tenant_id == g.tenant.id):
            return {}
        if "menu_counts" not in g:
            from saas.certification import queue

            # The unread count came with the signed-in user (a GET changes no notification of theirs before the
            # page is drawn); else it is read with the queue's, which only those the menu shows it to need.
            unread = session_user_extras().get("unread_notifications") if request.method in ("GET", "HEAD") else None
            reviewer = current_user.has_role(Role.REVIEWER, Role.ADMIN)
            g.menu_counts = services.menu_counts(current_session(), current_user.id,
                                                 queue.pending_count_query() if reviewer else None, unread)
        return g.menu_counts

    return dict(menu_counts=counts)


def target_url(item: dict) -> str | None:
    spec = services.TARGET_ENDPOINTS.get(item["target_type"])
    if spec is None or item["target_id"] is None:
        return None
    return url_for(spec[0], **{spec[1]: item["target_id"]})


@bp.get("/")
@tenant_user_required
def index():
    session = current_session()
    unread_only = request.args.get("unread") == "1"
    page = max(request.args.get("page", 1, type=int), 1)
    items, total = services.list_for(session, current_user.id, unread_only, page)
    return render_template("notifications/index.html", items=[{**i, "url": target_url(i)} for i in items], total=total,
                           page=page, pages=page_count(total, services.PAGE_SIZE), unread_only=unread_only,
                           settings=services.settings_for(session, current_user.id))


@bp.post("/<int:notification_id>/open")
@tenant_user_required
def open_(notification_id: int):
    """Mark it read and go to its page."""
    session = current_session()
    row = services.get_own(session, current_user.id, notification_id)
    if row is None:
        abort(404)
    services.mark_read(session, current_user.id, row.id)
    url = target_url({"target_type": row.target_type, "target_id": row.target_id})
    return redirect(url or url_for("notifications.index"))


@bp.post("/read-all")
@tenant_user_required
def read_all():
    services.mark_read(current_session(), current_user.id)
    flash(gettext("Alle varsler er merket som lest."), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/settings")
@tenant_user_required
def settings():
    services.save_settings(current_session(), current_user.id, request.form.get("daily_digest") == "1")
    flash(gettext("Innstillingen er lagret."), "success")
    return redirect(url_for("notifications.index"))
