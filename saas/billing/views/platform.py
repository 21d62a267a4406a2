"""The platform operator's view of every tenant's subscription."""
from __future__ import annotations

from flask import render_template

from saas.auth import operator_required
from saas.billing.services import subscriptions
from saas.billing.views import platform_bp
from saas.db import current_session


@platform_bp.get("/")
@operator_required
def overview():
    rows = subscriptions.overview(current_session())
    return render_template("billing/platform_subscriptions.html", rows=rows,
                           lapsed=sum(1 for r in rows if r["subscription"] and r["subscription"]["lapsed"]))
