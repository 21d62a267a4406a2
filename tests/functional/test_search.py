"""One search box (issue 13, point 6): companies, certificates, actions, invoices and people, scoped to what
the user may see; the same through the API; wildcards in the query are plain text."""
from __future__ import annotations

from datetime import timedelta

import pytest

from saas.auth import create_api_token
from saas.certification.demo import previous_certificate
from saas.hms.services import actions, years
from saas.i18n import today_in_oslo
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import keeps_today, login

TODAY = today_in_oslo()
_today = keeps_today(TODAY)  # the date the product sees, should the run cross midnight


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        tenant = factories.make_tenant(db, slug="bht")
        consultant = factories.make_user(db, tenant, roles=("consultant", "reviewer"), name="Kari Rådgiver")
        contact = factories.make_user(db, tenant, roles=("client",), name="Dag Leder")
        company = factories.make_company(db, tenant, name="Jondal Bygg AS", consultant_id=consultant.id)
        other = factories.make_company(db, tenant, name="Jondal Rør AS", consultant_id=consultant.id)
        factories.make_contact(db, company, user=contact, name="Dag Leder", email="dag@jondalbygg.example.no")
        factories.make_contact(db, other, name="Rita Rørlegger", email="rita@ror.example.no")
        year = years.open_year(db, consultant, company, {"year": TODAY.year})
        other_year = years.open_year(db, consultant, other, {"year": TODAY.year})
        actions.create_action_item(db, consultant, year, title="Sikre stillaset mot vind", deadline=TODAY + timedelta(days=9))
        actions.create_action_item(db, consultant, other_year, title="Sikre lageret", deadline=TODAY + timedelta(days=9))
        certificate = previous_certificate(db, tenant, company, consultant, consultant, TODAY)
        factories.give_bank_account(db)
        from saas.billing.services import invoices
        invoice = invoices.invoice_certificate(db, certificate.id, TODAY)
        token = create_api_token(db, contact, "t")[1]
        data = dict(tenant=tenant, consultant=consultant, contact=contact, certificate=certificate, invoice=invoice, token=token)
        db.flush()
        bind_tenant(db, None)
        db.commit()
        return data


def test_staff_find_every_kind_from_one_box(client, world):
    login(client, world["consultant"])
    page = client.get("/t/bht/search/?q=jondal").get_data(as_text=True)
    for section in ("treff-company", "treff-certificate", "treff-invoice"):
        assert f'id="{section}"' in page
    assert "Jondal Bygg AS" in page and "Jondal Rør AS" in page
    assert "Sikre stillaset" in client.get("/t/bht/search/?q=STILLAS").get_data(as_text=True)  # case-insensitive
    assert world["certificate"].number in client.get(f"/t/bht/search/?q={world['certificate'].number}").get_data(as_text=True)
    assert f"Faktura {world['invoice'].number}" in client.get(f"/t/bht/search/?q={world['invoice'].number}").get_data(as_text=True)
    people = client.get("/t/bht/search/?q=rita").get_data(as_text=True)
    assert "Rita Rørlegger" in people
    assert 'role="search"' in page  # the box in the menu


def test_a_client_contact_finds_only_their_own_company(client, world):
    login(client, world["contact"])
    page = client.get("/t/bht/search/?q=jondal").get_data(as_text=True)
    assert "Jondal Bygg AS" in page and "Jondal Rør AS" not in page
    assert "Sikre lageret" not in client.get("/t/bht/search/?q=sikre").get_data(as_text=True)
    assert "Rita" not in client.get("/t/bht/search/?q=rita").get_data(as_text=True)
    assert "Kari Rådgiver" not in client.get("/t/bht/search/?q=kari").get_data(as_text=True)


def test_wildcards_are_text_and_short_queries_ask_for_more(client, world):
    login(client, world["consultant"])
    assert 'id="ingen-treff"' in client.get("/t/bht/search/?q=%25%25").get_data(as_text=True)
    assert 'id="ingen-treff"' in client.get("/t/bht/search/?q=__").get_data(as_text=True)
    assert "Skriv minst to tegn." in client.get("/t/bht/search/?q=j").get_data(as_text=True)


def test_the_api_searches_and_names_a_short_query(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    found = client.get("/api/v1/t/bht/search?q=jondal", headers=headers)
    assert found.status_code == 200
    assert {(h["kind"], h["title"]) for h in found.json["items"] if h["kind"] == "company"} == {("company", "Jondal Bygg AS")}
    short = client.get("/api/v1/t/bht/search?q=j", headers=headers)
    assert short.status_code == 422 and "q" in short.json["fields"]
