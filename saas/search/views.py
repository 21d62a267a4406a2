"""/t/<slug>/search?q=: one box for companies, certificates, actions, invoices and people."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from saas.auth import require_roles, tenant_blueprint
from saas.db import current_session
from saas.search import services
from saas.tenants.models import Role

bp = tenant_blueprint("search", __name__, "/search")

TARGETS = {
    "company": ("clients.detail", "company_id"),
    "certificate": ("certification.certificate", "certificate_id"),
    "action": ("actions.detail", "action_id"),
    "invoice": ("billing.invoice_detail", "invoice_id"),
    "user": ("tenants.edit_user", "user_id"),
}


def hit_url(hit: dict) -> str | None:
    spec = TARGETS.get(hit["target_type"])
    if spec is None or (hit["target_type"] == "user" and not current_user.has_role(Role.ADMIN)):
        return None
    return url_for(spec[0], **{spec[1]: hit["target_id"]})


@bp.get("/")
@require_roles(*Role)
def index():
    q = request.args.get("q", "")
    hits = services.search(current_session(), current_user, q)
    groups = [(kind, services.KIND_LABELS[kind], [{**h, "url": hit_url(h)} for h in hits[kind]]) for kind in services.KINDS]
    return render_template("search/index.html", q=q, groups=groups, too_short=services.too_short(q),
                           total=sum(len(v) for v in hits.values()))
