"""Each tenant's public register, /t/<slug>/register: no login, every certificate valid today and nothing
else, searchable by name or organisation number, paginated, with a JSON feed that shows no more than the
certificate itself."""
from __future__ import annotations

import pytest

from saas.certification.models import Certificate
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.integration.test_certificate_pdf import branded_tenant, certified_company


def _set_state(db, certificate: Certificate, state: str) -> None:
    certificate.state = state
    db.flush()


@pytest.fixture
def r(app, db):
    with app.app_context():
        today = today_in_oslo()
        tenant = branded_tenant(db, slug="bt")
        made = {}
        for name in ("Alfa Bygg AS", "Beta Elektro AS", "Gamma Rør og Varme AS", "Suspendert AS", "Trukket AS"):
            made[name] = certified_company(db, tenant, today=today, name=name, sub_units=())
        _set_state(db, made["Suspendert AS"][1], "suspended")
        _set_state(db, made["Trukket AS"][1], "withdrawn")
        made["Utløpt AS"] = certified_company(db, tenant, today=today, name="Utløpt AS", issued_days_ago=400, sub_units=())
        other = branded_tenant(db, slug="nabo", name="Naboen HMS AS", images=False)
        certified_company(db, other, today=today, name="Nabokunde Hemmelig AS", sub_units=())
        bind_tenant(db, None)
        db.commit()
    return dict(tenant=tenant, made=made, today=today)


def test_anyone_sees_every_certificate_valid_today_and_nothing_else(client, r):
    response = client.get("/t/bt/register")
    body = response.get_data(as_text=True)

    assert response.status_code == 200
    for name in ("Alfa Bygg AS", "Beta Elektro AS", "Gamma Rør og Varme AS"):
        assert name in body
    for name in ("Suspendert AS", "Trukket AS", "Utløpt AS", "Nabokunde Hemmelig AS"):
        assert name not in body
    alfa = r["made"]["Alfa Bygg AS"][1]
    assert alfa.number in body and f'href="/verify/{alfa.verification_code}"' in body
    assert "3 sertifikater" in body


def test_the_register_is_searchable_by_name_or_organisation_number(client, r):
    beta_company = r["made"]["Beta Elektro AS"][0]
    spaced = f"{beta_company.org_number[:3]} {beta_company.org_number[3:6]} {beta_company.org_number[6:]}"

    by_name = client.get("/t/bt/register", query_string={"q": "elektro"}).get_data(as_text=True)
    by_org = client.get("/t/bt/register", query_string={"q": spaced}).get_data(as_text=True)
    wildcard = client.get("/t/bt/register", query_string={"q": "%"}).get_data(as_text=True)

    assert "Beta Elektro AS" in by_name and "Alfa Bygg AS" not in by_name
    assert "Beta Elektro AS" in by_org and "Alfa Bygg AS" not in by_org
    assert "Ingen gyldige sertifikater funnet." in wildcard  # a LIKE wildcard is searched for, not obeyed


def test_the_json_feed_has_the_same_certificates_and_only_what_a_certificate_shows(client, r):
    data = client.get("/t/bt/register.json").get_json()

    assert (data["total"], data["page"], data["pages"]) == (3, 1, 1)
    assert data["issuer"]["name"] == "Bedriftstjenesten Sør AS"
    assert [i["company"]["name"] for i in data["items"]] == ["Alfa Bygg AS", "Beta Elektro AS", "Gamma Rør og Varme AS"]
    item = data["items"][0]
    assert set(item) == {"number", "cert_class", "class_label", "class_title", "issued_on", "valid_until", "company",
                         "verification_url"}
    assert set(item["company"]) == {"name", "org_number", "address", "postcode", "city"}
    assert item["verification_url"] == f"http://localhost/verify/{r['made']['Alfa Bygg AS'][1].verification_code}"
    assert client.get("/t/bt/register.json", query_string={"q": "gamma"}).get_json()["total"] == 1


def test_the_register_is_paginated(app, client, db, r):
    with app.app_context():
        bind_tenant(db, r["tenant"].id)
        for n in range(25):
            certified_company(db, r["tenant"], today=r["today"], name=f"Zeta {n:02d} AS", sub_units=())
        bind_tenant(db, None)
        db.commit()

    first = client.get("/t/bt/register").get_data(as_text=True)
    second = client.get("/t/bt/register", query_string={"page": 2}).get_data(as_text=True)
    feed = client.get("/t/bt/register.json", query_string={"page": 2}).get_json()

    assert first.count('href="/verify/') == 25 and second.count('href="/verify/') == 3
    assert "Zeta 24 AS" in second and "Alfa Bygg AS" in first
    assert (feed["total"], feed["pages"], len(feed["items"])) == (28, 2, 3)


def test_an_unknown_or_inactive_tenant_has_no_register(client, db, r):
    assert client.get("/t/finnes-ikke/register").status_code == 404
    with platform_access(db):
        r["tenant"].active = False
    db.commit()
    assert client.get("/t/bt/register").status_code == 404
    assert client.get("/t/bt/register.json").status_code == 404


def test_the_issuers_logo_is_public_and_a_tenant_without_one_answers_404(client, r):
    logo = client.get("/t/bt/register/logo")

    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data.startswith(b"\x89PNG")
    assert client.get("/t/nabo/register/logo").status_code == 404


def test_a_signed_in_user_of_another_tenant_sees_the_same_public_register(client, db, r):
    from tests.conftest import login

    with platform_access(db):
        outsider = factories.make_user(db, factories.make_tenant(db, slug="tredje"), roles=("admin",))
    db.commit()
    login(client, outsider)

    body = client.get("/t/bt/register").get_data(as_text=True)
    assert "Alfa Bygg AS" in body and "Nabokunde Hemmelig AS" not in body


def test_a_register_page_and_its_total_are_one_statement_whatever_the_number_of_certificates(app, client, db, r, count_queries):
    def statements() -> list[str]:
        with count_queries() as counter:
            assert client.get("/t/bt/register").status_code == 200
        # The other kinds' certificates (saas.certification.kinds) ride in the same statement.
        assert not [s for s in counter.statements if "scheme_certificates" in s and "FROM certificates" not in s]
        return [s for s in counter.statements if "FROM certificates" in s]

    few = statements()
    with app.app_context():
        bind_tenant(db, r["tenant"].id)
        for n in range(30):
            certified_company(db, r["tenant"], today=r["today"], name=f"Zeta {n:02d} AS", sub_units=())
        bind_tenant(db, None)
        db.commit()
    many = statements()
    assert len(few) == len(many) == 1 and "count(*)" in many[0] and "scheme_certificates" in many[0]
