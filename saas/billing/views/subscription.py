"""The tenant's own subscription to the platform (admin)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from saas.auth import admin_required
from saas.billing import gateway
from saas.billing.services import Refused, subscriptions
from saas.billing.views import bp
from saas.billing.views.stripe_page import render_with_stripe
from saas.db import current_session


def _page(message: str = "", status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    return render_template("billing/subscription.html", view=subscriptions.tenant_view(session), message=message), status


@bp.get("/subscription")
@admin_required
def subscription():
    return _page()


@bp.post("/subscription/start")
@admin_required
def subscription_start():
    try:
        card = subscriptions.start(current_session(), current_user, g.tenant)
    except Refused as error:
        return _page(str(error), 422)
    except gateway.GatewayError as error:
        return _page(str(error), 502)
    return render_with_stripe("billing/subscription_card.html", card=card)


@bp.post("/subscription/confirm")
@admin_required
def subscription_confirm():
    try:
        row = subscriptions.confirm(current_session(), current_user, g.tenant, request.form.get("setup_intent", "")[:100])
    except Refused as error:
        return _page(str(error), 422)
    except gateway.GatewayError as error:
        return _page(str(error), 502)
    flash(f"Abonnementet er startet ({subscriptions.STATUS_LABELS.get(row.status, row.status)}).", "success")
    return redirect(url_for("billing.subscription"))
