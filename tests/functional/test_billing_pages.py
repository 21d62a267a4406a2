"""Billing over HTTP: the price list, the Stripe connection (secrets never shown back), manual invoices,
credit notes, PDFs, the client contact's view, the invoice link, the ledger, the API, the lapsed guard and
the operator's overview."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from saas.billing.models import BillingSettings, Invoice, Price, StripeConnection, TenantSubscription
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import login

BASE = "/t/tenant-a/billing"


@pytest.fixture
def world(two_tenants):
    return two_tenants


def _a(db, world, model, *where):
    bind_tenant(db, world["a"]["tenant"].id)
    try:
        return db.scalars(select(model).where(*where)).all()
    finally:
        bind_tenant(db, None)


def _price_form(**overrides) -> dict:
    form = {f"price_{c}_{b}": "4 900,00" for c in ("B", "A", "Aplus") for b in range(4)}
    form.update(payment_terms_days="10", certificate_vat="high", kid_method="mod10", org_form="AS",
                bank_account="1503.12.34562", invoice_text="Takk!")
    form.update(overrides)
    return form


def test_the_admin_sets_prices_per_class_and_size_band(client, db, world):
    login(client, world["a"]["admin"])
    assert "Pris per sertifikat" in client.get(f"{BASE}/settings").get_data(as_text=True)

    bad = client.post(f"{BASE}/settings", data=_price_form(bank_account="1503.12.34563", price_A_1="mange"))
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "feil kontrollsiffer" in text and "Ugyldig beløp" in text
    assert [p.amount for p in _a(db, world, Price, Price.cert_class == "B")] == []  # nothing half-written

    ok = client.post(f"{BASE}/settings", data=_price_form(price_A_1="6 900,50"))
    assert ok.status_code == 302
    prices = {(p.cert_class, p.band): p.amount for p in _a(db, world, Price)}
    assert prices[("A", 1)] == 690_050 and prices[("A+", 3)] == 490_000
    assert _a(db, world, BillingSettings)[0].bank_account == "15031234562"


def test_only_admins_change_prices_and_see_the_ledger(client, world):
    consultant = world["a"]["consultant"]
    login(client, consultant)
    assert client.get(f"{BASE}/settings").status_code == 403
    assert client.get(f"{BASE}/ledger.csv").status_code == 403
    assert client.get(f"{BASE}/invoices").status_code == 200


def test_stripe_secrets_are_stored_encrypted_and_never_shown_back(client, db, world):
    login(client, world["a"]["admin"])
    key, hook = "rk_live_VerySecretRestrictedKey0042", "whsec_SigningSecretOfTheTenant77"
    incomplete = client.post(f"{BASE}/stripe", data={"mode": "own_key", "secret_key": key})
    assert incomplete.status_code == 422 and key not in incomplete.get_data(as_text=True)

    response = client.post(f"{BASE}/stripe", data={"mode": "own_key", "secret_key": key, "webhook_secret": hook,
                                                    "publishable_key": "pk_live_PublicKey00001"})
    assert response.status_code == 302
    page = client.get(f"{BASE}/stripe").get_data(as_text=True)
    assert key not in page and hook not in page and "…0042" in page and "/stripe/webhook/tenant-a" in page
    row = _a(db, world, StripeConnection)[0]
    assert key not in row.secret_key_encrypted and hook not in row.webhook_secret_encrypted and row.hint == "0042"


def test_staff_issue_a_manual_invoice_and_errors_name_the_line(client, db, world):
    login(client, world["a"]["admin"])
    company = world["a"]["company"]
    before = len(_a(db, world, Invoice))
    bad = client.post(f"{BASE}/invoices/new", data={"company_id": str(company.id), "line-0-description": "Kurs i HMS",
                                                    "line-0-unit_price": "tusen", "line-0-vat_code": "high"})
    assert bad.status_code == 422 and "Ugyldig beløp" in bad.get_data(as_text=True)
    assert len(_a(db, world, Invoice)) == before

    ok = client.post(f"{BASE}/invoices/new", data={
        "company_id": str(company.id), "note": "Avtalt på telefon",
        "line-0-description": "Kurs i HMS for ledere", "line-0-quantity": "2", "line-0-unit_price": "1 500,00", "line-0-vat_code": "high",
        "line-1-description": "Helsekontroll", "line-1-quantity": "1", "line-1-unit_price": "800", "line-1-vat_code": "exempt"})
    assert ok.status_code == 302
    invoice = _a(db, world, Invoice, Invoice.note == "Avtalt på telefon")[0]
    assert invoice.number == 3  # after the world's 1 and 2
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (380_000, 75_000, 455_000)
    assert invoice.state == "sent" and invoice.pdf_key  # the job rendered and e-mailed it after the commit

    detail = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Kurs i HMS for ledere" in detail and invoice.kid in detail
    pdf = client.get(f"{BASE}/invoices/{invoice.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.headers["Content-Disposition"].startswith("attachment")


def test_a_credit_note_from_the_invoice_page(client, db, world):
    login(client, world["a"]["admin"])
    created = client.post(f"{BASE}/invoices/new", data={"company_id": str(world["a"]["company"].id), "line-0-description": "Rådgivning",
                                                        "line-0-unit_price": "1000", "line-0-vat_code": "high"})
    invoice_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"{BASE}/invoices/{invoice_id}/credit", data={"reason": ""}).status_code == 422
    credited = client.post(f"{BASE}/invoices/{invoice_id}/credit", data={"reason": "Feil kunde"})
    assert credited.status_code == 302
    page = client.get(f"{BASE}/invoices/{invoice_id}").get_data(as_text=True)
    assert "Kreditert med kreditnota" in page
    again = client.post(f"{BASE}/invoices/{invoice_id}/credit", data={"reason": "Igjen"})
    assert again.status_code == 422 and "allerede kreditert" in again.get_data(as_text=True)


def test_a_client_contact_sees_only_their_own_companies_invoices(client, db, world):
    a = world["a"]
    login(client, a["admin"])
    other = client.post(f"{BASE}/invoices/new", data={"company_id": str(a["other_company"].id), "line-0-description": "Annen kunde",
                                                      "line-0-unit_price": "100", "line-0-vat_code": "high"})
    other_id = int(other.headers["Location"].rsplit("/", 1)[1])
    client.post("/logout")
    login(client, a["client"])

    mine = client.get(f"{BASE}/my-invoices").get_data(as_text=True)
    assert "Kunde A Hemmelig AS" in mine and "Annen kunde A AS" not in mine
    assert client.get(f"{BASE}/invoices/{a['invoice'].id}").status_code == 200
    assert client.get(f"{BASE}/invoices/{other_id}").status_code == 404
    assert client.get(f"{BASE}/invoices/{other_id}/pdf").status_code == 404
    assert client.get(f"{BASE}/invoices").status_code == 403
    assert client.post(f"{BASE}/invoices/{a['invoice'].id}/credit", data={"reason": "Vil ikke betale"}).status_code == 403


def test_the_invoice_link_shows_one_invoice_without_login(client, db, world):
    login(client, world["a"]["admin"])
    created = client.post(f"{BASE}/invoices/new", data={"company_id": str(world["a"]["company"].id), "line-0-description": "Kurs",
                                                        "line-0-unit_price": "2000", "line-0-vat_code": "high"})
    invoice = _a(db, world, Invoice, Invoice.id == int(created.headers["Location"].rsplit("/", 1)[1]))[0]
    client.post("/logout")

    page = client.get(f"/faktura/{invoice.public_token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and invoice.kid in text and "2\u00a0500,00\u00a0kr" in text
    assert "Betal med kort" in text and "med KID" in text  # card (the world's Stripe connection) or bank transfer
    assert client.get(f"/faktura/{invoice.public_token}/pdf").data.startswith(b"%PDF")
    assert client.get("/faktura/" + "x" * 43).status_code == 404
    assert client.get(f"/faktura/{invoice.public_token[:-1]}Z").status_code == 404


def test_the_ledger_and_its_csv(client, db, world):
    login(client, world["a"]["admin"])
    client.post(f"{BASE}/invoices/new", data={"company_id": str(world["a"]["company"].id), "line-0-description": "Kurs",
                                              "line-0-unit_price": "2000", "line-0-vat_code": "high"})
    from saas.scheduler import today_in_oslo

    year = today_in_oslo().year
    page = client.get(f"{BASE}/ledger?year={year}")
    assert page.status_code == 200 and "2\u00a0000,00\u00a0kr" in page.get_data(as_text=True)
    export = client.get(f"{BASE}/ledger.csv?year={year}")
    assert export.headers["Content-Type"].startswith("text/csv") and "attachment" in export.headers["Content-Disposition"]
    assert "Kunde A Hemmelig AS" in export.get_data(as_text=True)


def _api(world):
    return {"Authorization": f"Bearer {world['a']['api_token']}"}


def test_the_api_lists_shows_credits_invoices_and_edits_the_price_list(client, db, world):
    company = world["a"]["company"]
    created = client.post("/api/v1/t/tenant-a/invoices", headers=_api(world), json={
        "company_id": company.id, "lines": [{"description": "Rådgivning, mai 2026", "quantity": 1.5, "unit_price": 100_000,
                                             "vat_code": "high"}]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["number"] == 3 and body["gross_total"] == 187_500 and body["lines"][0]["quantity"] == 150
    listed = client.get("/api/v1/t/tenant-a/invoices?state=sent", headers=_api(world)).get_json()
    assert [i["number"] for i in listed["items"]] == [3]
    credit = client.post(f"/api/v1/t/tenant-a/invoices/{body['id']}/credit-note", headers=_api(world), json={"reason": "Feil"})
    assert credit.status_code == 201 and credit.get_json()["gross_total"] == -187_500
    again = client.post(f"/api/v1/t/tenant-a/invoices/{body['id']}/credit-note", headers=_api(world), json={"reason": "Feil"})
    assert again.status_code == 422
    pdf = client.get(f"/api/v1/t/tenant-a/invoices/{body['id']}/pdf", headers=_api(world))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/api/v1/t/tenant-a/invoices/{world['b']['invoice'].id}", headers=_api(world)).status_code == 404

    prices = client.get("/api/v1/t/tenant-a/price-list", headers=_api(world)).get_json()
    assert len(prices["prices"]) == 12
    changed = client.put("/api/v1/t/tenant-a/price-list", headers=_api(world),
                         json={"payment_terms_days": 30, "prices": [{"cert_class": "B", "band": 2, "amount": 777_700}]})
    assert changed.status_code == 200
    assert {(p["cert_class"], p["band"]): p["amount"] for p in changed.get_json()["prices"]}[("B", 2)] == 777_700
    assert changed.get_json()["payment_terms_days"] == 30
    bad = client.put("/api/v1/t/tenant-a/price-list", headers=_api(world), json={"prices": [{"cert_class": "C", "band": 9, "amount": -1}]})
    assert bad.status_code == 422

    spec = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/invoices", "/invoices/{invoice_id}", "/invoices/{invoice_id}/pdf", "/invoices/{invoice_id}/credit-note", "/price-list"):
        assert "/api/v1/t/{slug}" + path in spec


def test_a_lapsed_subscription_refuses_changes_but_not_reading(client, db, world):
    with platform_access(db):
        row = db.scalar(select(TenantSubscription).where(TenantSubscription.tenant_id == world["a"]["tenant"].id))
        row.status = "unpaid"
    db.commit()
    login(client, world["a"]["admin"])
    refused = client.post(f"{BASE}/settings", data=_price_form())
    assert refused.status_code == 402 and "bare lesetilgang".lower() in refused.get_data(as_text=True).lower()
    assert client.get(f"{BASE}/settings").status_code == 200
    assert client.get(f"{BASE}/ledger.csv").status_code == 200
    assert client.get(f"{BASE}/subscription").status_code == 200


def test_the_platform_operator_sees_every_subscription(client, db, world):
    operator = factories.make_user(db, None, roles=())
    db.commit()
    assert client.get("/platform/billing/").status_code == 302  # to the login page
    login(client, operator)
    page = client.get("/platform/billing/").get_data(as_text=True)
    assert "Tilbyder A AS" in page and "Tilbyder B AS" in page and "Aktivt" in page
    client.post("/logout")
    login(client, world["a"]["admin"])
    assert client.get("/platform/billing/").status_code == 404


def _all_invoices(db) -> int:
    with platform_access(db):
        return db.scalar(select(func.count()).select_from(Invoice))


def test_a_webhook_without_a_valid_signature_is_refused(client, db, world):
    before = _all_invoices(db)
    response = client.post("/stripe/webhook", data=b'{"id": "evt_1", "type": "payment_intent.succeeded"}',
                           headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"})
    assert response.status_code == 400
    assert client.post("/stripe/webhook/tenant-a", data=b"{}").status_code == 400  # no own-key connection, no secret
    assert client.post("/stripe/webhook/no-such-tenant", data=b"{}").status_code == 404
    assert _all_invoices(db) == before
