"""Admin pages: the price list and invoice settings, the Stripe connection, the ledger and its CSV."""
from __future__ import annotations

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import admin_required
from saas.billing import pricing
from saas.billing.schemas import ORG_FORMS, PriceListFormSchema, StripeConnectionSchema, price_field
from saas.billing.services import ledger, settings
from saas.billing.views import bp
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, load_form

VAT_OPTIONS = [(code, label) for code, label in pricing.VAT_LABELS.items()]


def _band_text(band: int) -> str:
    """``pricing.band_label`` in the page's language (the pure module speaks bokmål only)."""
    low, high = pricing.SIZE_BANDS[band]
    if high is None:
        return gettext("%(low)s ansatte eller flere", low=low)
    return gettext("%(low)s–%(high)s ansatte", low=low, high=high)


def _settings_page(values: dict, errors: dict, status: int = 200):
    rows = [dict(cert_class=c, cells=[dict(name=price_field(c, b), band=b) for b in range(len(pricing.SIZE_BANDS))])
            for c in pricing.CLASSES]
    bands = [_band_text(b) for b in range(len(pricing.SIZE_BANDS))]
    return render_template("billing/settings.html", values=values, errors=errors, rows=rows, bands=bands,
                           vat_options=VAT_OPTIONS, org_forms=[(f, f or "—") for f in ORG_FORMS],
                           registration=pricing.seller_registration(g.tenant.org_number, g.tenant.vat_registered,
                                                                    values.get("org_form", ""))), status


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def price_list():
    session = current_session()
    if request.method == "GET":
        return _settings_page(settings.form_values(session, g.tenant), {})
    try:
        data = load_form(PriceListFormSchema(), request.form)
    except FieldErrors as error:
        return _settings_page(dict(request.form), error.errors, 422)
    settings.update_price_list(session, current_user, g.tenant, data)
    flash("Prisliste og fakturainnstillinger er lagret.", "success")
    return redirect(url_for("billing.price_list"))


def _stripe_page(values: dict, errors: dict, status: int = 200):
    session = current_session()
    webhook_url = current_app.config["PUBLIC_BASE_URL"] + url_for("billing_webhooks.tenant_webhook", slug=g.tenant.slug)
    return render_template("billing/stripe.html", connection=settings.connection_view(session), values=values,
                           errors=errors, webhook_url=webhook_url), status


@bp.route("/stripe", methods=["GET", "POST"])
@admin_required
def stripe_connection():
    if request.method == "GET":
        return _stripe_page({"mode": "connect"}, {})
    try:
        data = load_form(StripeConnectionSchema(), request.form)
        settings.save_connection(current_session(), current_user, data)
    except FieldErrors as error:
        # Secrets typed into the form are never sent back to the browser.
        return _stripe_page({"mode": request.form.get("mode", "connect")}, error.errors, 422)
    flash("Stripe er koblet til.", "success")
    return redirect(url_for("billing.stripe_connection"))


@bp.post("/stripe/disconnect")
@admin_required
def stripe_disconnect():
    settings.disconnect(current_session(), current_user)
    flash("Stripe er koblet fra. Nye fakturaer kan betales til kontonummeret med KID.", "success")
    return redirect(url_for("billing.stripe_connection"))


def _year() -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100 else today_in_oslo().year


@bp.get("/ledger")
@admin_required
def ledger_page():
    year = _year()
    return render_template("billing/ledger.html", ledger=ledger.monthly_totals(current_session(), year),
                           years=list(range(today_in_oslo().year, today_in_oslo().year - 6, -1)))


@bp.get("/ledger.csv")
@admin_required
def ledger_csv():
    year = _year()
    body = ledger.csv_export(current_session(), year)
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="fakturajournal-{g.tenant.slug}-{year}.csv"'})
