"""Writing to the audit log."""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.orm import Session

from saas.audit.models import AuditEvent


def record(session: Session, actor, action: str, obj=None, summary: str = "", **data) -> AuditEvent:
    """Append one event for the bound tenant.  ``obj`` is any model with an ``id``."""
    if obj is not None and getattr(obj, "id", None) is None:
        session.flush()
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:500],
        data={k: v for k, v in data.items() if v is not None},
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    if obj is not None and getattr(obj, "tenant_id", None) is not None:
        event.tenant_id = obj.tenant_id
    session.add(event)
    return event
