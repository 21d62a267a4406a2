"""/t/<slug>/queue: the reviewer's queue of proposals waiting for a decision."""
from __future__ import annotations

from flask import render_template

from saas.auth import require_roles, tenant_blueprint
from saas.certification import queue
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.tenants.models import Role

bp = tenant_blueprint("queue", __name__, "/queue")


@bp.app_template_filter("reason")
def reason_filter(text: str) -> str:
    """A class rule's reason in the reader's language (saas.certification.reasons)."""
    from saas.certification.reasons import translate

    return translate(text)


@bp.get("/")
@require_roles(Role.REVIEWER, Role.ADMIN, Role.CONSULTANT)
def index():
    return render_template("certification/queue.html", items=queue.waiting(current_session(), today_in_oslo()))
