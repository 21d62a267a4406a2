"""Public verification over HTTP, without login: the QR code's target answers with the certificate's
current state (also after it is suspended, withdrawn or expired), a JSON variant, a search by number and
organisation number that is rate-limited, and unknown codes that get a 404 without hints."""
from __future__ import annotations

from datetime import timedelta

import pytest

from saas.certification import documents
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login
from tests.integration.test_certificate_pdf import branded_tenant, certified_company, decode_qr, stored_pdf

INTERNAL_NOTE = "Intern merknad: faktura 2231 ubetalt"


@pytest.fixture
def v(app, db):
    with app.app_context():
        today = today_in_oslo()
        tenant = branded_tenant(db, slug="bt")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
        company, certificate = certified_company(db, tenant, today=today, issued_days_ago=10, org_number="974760673")
        documents.render_and_store(db, certificate.id)
        _, pdf = stored_pdf(db, certificate.id)
        data = dict(app=app, tenant=tenant, reviewer=reviewer, company=company, certificate=certificate, pdf=pdf,
                    code=certificate.verification_code, today=today, number=certificate.number)
        bind_tenant(db, None)
        db.commit()
    return data  # outside the app context: each request gets its own (and its own g)


def change_state(app, v, action: str) -> None:
    staff = app.test_client()
    login(staff, v["reviewer"])
    response = staff.post(f"/t/bt/certification/certificates/{v['certificate'].id}/state",
                          data={"action": action, "reason": INTERNAL_NOTE})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]


def test_the_qr_code_leads_to_the_current_state_also_after_the_certificate_is_suspended(app, client, v, tmp_path):
    [url] = decode_qr(v["pdf"], tmp_path)
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/verify/")
    path = url.removeprefix(app.config["PUBLIC_BASE_URL"])

    body = client.get(path).get_data(as_text=True)
    assert client.get(path).status_code == 200
    assert 'data-state="active"' in body and "Sertifikatet er gyldig." in body
    for shown in ("Fjellstø Rør og Varme AS", "974 760 673", v["number"], "Klasse A", "12 måneder", "Bedriftstjenesten Sør AS",
                  f"{v['certificate'].valid_until:%d.%m.%Y}", f"{v['certificate'].issued_on:%d.%m.%Y}", "Avdeling Notodden"):
        assert shown in body

    change_state(app, v, "suspend")

    body = client.get(path).get_data(as_text=True)
    assert 'data-state="suspended"' in body
    assert f"Suspendert fra {v['today']:%d.%m.%Y}" in body and "suspendert av utstederen" in body
    assert INTERNAL_NOTE not in body and "Siri Sertifisør" not in body  # the category, never the internal note
    assert client.get(path + ".json").get_json()["state"] == "suspended"


def test_a_withdrawn_certificate_says_so_plainly_with_its_date(app, client, v):
    change_state(app, v, "withdraw")
    body = client.get(f"/verify/{v['code']}").get_data(as_text=True)

    assert 'data-state="withdrawn"' in body and f"Trukket tilbake fra {v['today']:%d.%m.%Y}" in body
    assert "trukket tilbake av utstederen og er ikke lenger gyldig" in body and INTERNAL_NOTE not in body


def test_a_certificate_past_its_last_day_reads_as_expired_from_the_next_day(app, client, db, v):
    with app.app_context():
        _, old = certified_company(db, v["tenant"], today=v["today"], issued_days_ago=400, name="Gammel Sag AS")
        code, expired_on = old.verification_code, old.valid_until + timedelta(days=1)
        bind_tenant(db, None)
        db.commit()
    data = client.get(f"/verify/{code}.json").get_json()

    assert (data["state"], data["state_since"], data["valid_now"]) == ("expired", expired_on.isoformat(), False)
    assert f"Utløpt fra {expired_on:%d.%m.%Y}" in client.get(f"/verify/{code}").get_data(as_text=True)


def test_the_json_variant_shows_what_the_certificate_shows_and_its_state_nothing_internal(client, v):
    by_suffix = client.get(f"/verify/{v['code']}.json")
    by_accept = client.get(f"/verify/{v['code']}", headers={"Accept": "application/json"})

    assert by_suffix.status_code == by_accept.status_code == 200
    data = by_suffix.get_json()
    assert data == by_accept.get_json()
    assert (data["number"], data["cert_class"], data["state"], data["valid_now"]) == (v["number"], "A", "active", True)
    assert data["company"] == {"name": "Fjellstø Rør og Varme AS", "org_number": "974760673", "address": "Storgata 12",
                               "postcode": "3616", "city": "Kongsberg"}
    assert data["issuer"]["name"] == "Bedriftstjenesten Sør AS" and data["duration"] == "12 måneder"
    assert data["valid_until"] == v["certificate"].valid_until.isoformat()
    assert not {"id", "company_id", "decision_id", "reason", "events", "tenant_id"} & set(data)


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAAAAAAAA", "x", "..%2F..%2Fetc", "HMS-2026-0001"])
def test_an_unknown_code_gets_the_plain_404_page_without_hints(client, v, code):
    response = client.get(f"/verify/{code}")
    reference = client.get("/no-such-page")

    assert response.status_code == 404
    # The same content as any missing page.  Only <main> is compared: the page around it carries the
    # language switch's CSRF token, which is signed with a timestamp.
    assert _main(response) == _main(reference)
    assert client.get(f"/verify/{code}.json").status_code == 404


def _main(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index("<main>"):html.index("</main>")]


def test_searching_by_number_and_organisation_number_finds_the_certificate(client, v):
    response = client.get("/verify", query_string={"number": v["number"].lower(), "org_number": "NO 974 760 673 MVA"})

    assert response.status_code == 303 and response.headers["Location"].endswith(f"/verify/{v['code']}")


def test_the_search_needs_both_the_number_and_the_organisation_number(client, v):
    wrong_company = client.get("/verify", query_string={"number": v["number"], "org_number": "123456785"})
    wrong_number = client.get("/verify", query_string={"number": "HMS-1999-9999", "org_number": "974760673"})
    invalid = client.get("/verify", query_string={"number": v["number"], "org_number": "123456789"})

    for response in (wrong_company, wrong_number):
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "Fant ikke noe gyldig sertifikat" in body and v["code"] not in body
    assert invalid.status_code == 422 and "gyldig organisasjonsnummer" in invalid.get_data(as_text=True)
    assert client.get("/verify").status_code == 200  # the empty form


def test_the_same_number_at_two_issuers_lists_both(app, client, db, v):
    with app.app_context():
        other = branded_tenant(db, slug="nabo", name="Naboen HMS AS", images=False)
        _, twin = certified_company(db, other, today=v["today"], org_number="974760673")
        bind_tenant(db, None)
        db.commit()
    assert twin.number == v["number"]  # both issuers use the default number format

    body = client.get("/verify", query_string={"number": v["number"], "org_number": "974760673"}).get_data(as_text=True)
    assert "Naboen HMS AS" in body and "Bedriftstjenesten Sør AS" in body and body.count('data-state="active"') == 2


def test_the_search_is_rate_limited_against_enumeration(client, v):
    statuses = [client.get("/verify", query_string={"number": f"HMS-2026-{n:04d}", "org_number": "974760673"}).status_code
                for n in range(21)]

    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert client.get(f"/verify/{v['code']}").status_code == 200  # the QR target has its own limit


def test_the_public_verification_page_reads_in_english(client, v):
    from tests.functional.test_i18n import english

    english(client)
    body = client.get(f"/verify/{v['code']}").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "The certificate is valid." in body and "12 months" in body and "Class “A” is a high certification class." in body
    assert "Sertifikatet er gyldig." not in body and "12 måneder" not in body


def test_the_verification_page_reads_the_issuer_and_the_certificate_in_two_statements(client, db, v, count_queries):
    """The issuer found by the code (one statement), the certificate with its company, the company's
    sub-units and the scheme version (one); the scope seals are not counted.  As many sub-units as there are."""
    bind_tenant(db, v["tenant"].id)
    for name in ("Filial Nes", "Filial Gol", "Filial Hol"):
        factories.make_sub_unit(db, v["company"], name=name)
    bind_tenant(db, None)
    db.commit()
    with count_queries() as counter:
        response = client.get(f"/verify/{v['code']}")
    assert response.status_code == 200
    assert counter.count == 2, counter.statements
    body = response.get_data(as_text=True)
    assert "Filial Gol; Filial Hol; Filial Nes" in body  # in name order, each once
