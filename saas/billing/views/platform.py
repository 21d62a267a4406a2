"""The platform operator's view of every tenant's subscription."""
from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext, pgettext

from saas.auth import operator_required
from saas.billing.services import subscriptions
from saas.billing.views import platform_bp
from saas.db import current_session
from saas.platform import tenant_section


@platform_bp.get("/")
@operator_required
def overview():
    rows = subscriptions.overview(current_session())
    return render_template("billing/platform_subscriptions.html", rows=rows,
                           lapsed=sum(1 for r in rows if r["subscription"] and r["subscription"]["lapsed"]))


@tenant_section(40)
def _platform_subscription(session, tenant_id: int) -> dict:
    """The operator's tenant page: the tenant's subscription (run in the tenant's scope)."""
    sub = subscriptions.tenant_view(session)
    row = sub["subscription"]
    rows = [(gettext("Aktive kunder"), sub["active_companies"]), (gettext("Plan etter antall kunder"), pgettext("plan", sub["plan"].name))]
    if row is None:
        rows.append((gettext("Status"), gettext("Ikke startet")))
    else:
        rows += [(gettext("Plan"), pgettext("plan", row["plan_name"])), (gettext("Status"), gettext(row["status_label"])),
                 (gettext("Betalt til"), row["current_period_end"])]
        if row["lapsed"]:
            rows.append((gettext("Ubetalt siden"), row["lapsed_at"]))
        if row["cancel_at_period_end"]:
            rows.append((gettext("Avsluttes"), row["current_period_end"]))
    return dict(title=gettext("Abonnement"), link=(gettext("Alle abonnementer"), url_for("billing_platform.overview")), rows=rows)
