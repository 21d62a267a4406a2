"""Writing to the audit log."""
from __future__ import annotations

from blinker import Namespace
from flask import has_request_context, request
from sqlalchemy.orm import Session

from saas.audit.models import AuditEvent

# Sent for every recorded event, inside the recording transaction: features above this floor (notifications)
# react to what happened without the code that did it knowing about them.  Receivers get
# ``(session, event=AuditEvent, actor=User | None, obj=the recorded object or None)`` and must not commit.
event_recorded = Namespace().signal("audit-event-recorded")


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
    event_recorded.send(session, event=event, actor=actor, obj=obj)
    return event
