"""The tenant admin's view of the audit log."""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from saas.pagination import page_count
from saas.audit import labels
from saas.audit.models import AuditEvent
from saas.auth import admin_required, tenant_blueprint
from saas.db import current_session
from saas.hygiene import db_int

bp = tenant_blueprint("audit", __name__, "/audit")
PER_PAGE = 50


@bp.get("/")
@admin_required
def index():
    session = current_session()
    page = max(db_int(request.args.get("page", "1"), maximum=1_000_000) or 1, 1)
    action = request.args.get("action", "")[:60]
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    events = [dict(id=e.id, created_at=e.created_at, actor=e.actor.name if e.actor else "", action=e.action,
                   action_parts=labels.action_parts(e.action), object_type=e.object_type,
                   object_label=labels.type_label(e.object_type), object_id=e.object_id, summary=e.summary,
                   data=e.data, ip=e.ip) for e in rows]
    return render_template("audit/index.html", events=events, page=page, pages=page_count(total, PER_PAGE), action=action, total=total)
