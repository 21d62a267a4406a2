"""The impartiality and competence register, and the one tie check every scheme uses."""
from datetime import date

import pytest

from saas.schemas import FieldErrors
from saas.schemes import register, services
from saas.schemes.impartiality import (Tie, barring_ties, competence_problem, impartiality_problem, tie_counts)
from saas.hms.models import CertificationYear
from tests import factories
from tests.conftest import login

ON = date(2026, 6, 1)


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        admin = factories.make_user(db, tenant, roles=("admin",), name="Anne Admin")
        auditor = factories.make_user(db, tenant, roles=("consultant",), name="Rolf Revisor")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        company = factories.make_company(db, tenant, consultant_id=None)
        scheme = services.scheme_by_code(db, "opplaering-8-1")
        yield dict(db=db, tenant=tenant, admin=admin, auditor=auditor, consultant=consultant, company=company,
                   scheme=scheme)


@pytest.mark.parametrize("from_on, to_on, on, counts", [
    (date(2025, 1, 1), None, ON, True),                       # ongoing
    (date(2025, 1, 1), date(2025, 3, 1), ON, True),           # ended, inside 24 months
    (date(2022, 1, 1), date(2024, 6, 1), ON, True),           # ended exactly 24 months ago
    (date(2022, 1, 1), date(2024, 5, 31), ON, False),         # ended more than 24 months ago
    (date(2026, 7, 1), None, ON, False),                      # starts later
])
def test_a_tie_bars_from_its_start_until_the_cooling_off_after_its_end(from_on, to_on, on, counts):
    assert tie_counts(Tie(1, 1, "consulted", from_on, to_on, "register"), on, 24) is counts


def test_a_registered_tie_is_an_impartiality_problem_with_no_way_around(ctx):
    db = ctx["db"]
    assert impartiality_problem(db, ctx["auditor"].id, ctx["company"].id, ON) is None
    register.add_tie(db, ctx["admin"], dict(user_id=ctx["auditor"].id, company_id=ctx["company"].id, kind="family",
                                            from_on=date(2020, 1, 1), to_on=None, note="Søster er daglig leder"))
    problem = impartiality_problem(db, ctx["auditor"].id, ctx["company"].id, ON)
    assert "familie" in problem and "kan ikke overstyres" in problem and "pågående" in problem
    from flask_babel import force_locale

    with force_locale("en"):  # an English user reads it in English
        problem = impartiality_problem(db, ctx["auditor"].id, ctx["company"].id, ON)
        assert problem == ("The person has a tie to the company: family, from 01.01.2020, ongoing. "
                           "The impartiality requirement cannot be overridden.")
        assert competence_problem(db, ctx["auditor"].id, ctx["scheme"].id, "lead_auditor", ON) == (
            f"The person has no valid competence as lead auditor for the scheme as of {ON:%d.%m.%Y}.")


def test_a_consultant_who_did_hms_work_for_the_company_is_tied_without_registering_it(ctx):
    db = ctx["db"]
    db.add(CertificationYear(company_id=ctx["company"].id, year=2025, consultant_id=ctx["consultant"].id))
    db.flush()
    assert "HMS-arbeidet" in impartiality_problem(db, ctx["consultant"].id, ctx["company"].id, ON)
    assert impartiality_problem(db, ctx["consultant"].id, ctx["company"].id, date(2028, 1, 1)) is None
    company = factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id)
    since = company.created_at.date()  # the company's consultant from when it became a client
    assert impartiality_problem(db, ctx["consultant"].id, company.id, since) is not None
    assert set(barring_ties(db, company.id, since, 24)) == {ctx["consultant"].id}


def test_competence_is_per_scheme_function_scope_and_expires(ctx):
    db, scheme = ctx["db"], ctx["scheme"]
    user = ctx["auditor"].id
    scopes = services.scopes_of(db, scheme.id)
    assert "ikke gyldig kompetanse" in competence_problem(db, user, scheme.id, "auditor", ON)
    register.add_competence(db, ctx["admin"], dict(user_id=user, scheme_id=scheme.id, scope_id=scopes[0].id,
                                                   function="auditor", valid_from=date(2025, 1, 1),
                                                   expires_on=date(2026, 12, 31), note=""))
    assert competence_problem(db, user, scheme.id, "auditor", ON, [scopes[0].id]) is None
    assert "fagområdene" in competence_problem(db, user, scheme.id, "auditor", ON, [scopes[0].id, scopes[1].id])
    assert competence_problem(db, user, scheme.id, "lead_auditor", ON) is not None  # an auditor is not a lead
    assert competence_problem(db, user, scheme.id, "auditor", date(2027, 1, 1), [scopes[0].id]) is not None
    other = services.scheme_by_code(db, "ns9600-5")
    assert competence_problem(db, user, other.id, "auditor", ON) is not None


def test_the_register_refuses_bad_input_with_the_field_named(ctx):
    db = ctx["db"]
    with pytest.raises(FieldErrors) as error:
        register.add_tie(db, ctx["admin"], dict(user_id=ctx["auditor"].id, company_id=ctx["company"].id,
                                                kind="consulted", from_on=date(2026, 1, 1), to_on=date(2025, 1, 1)))
    assert "to_on" in error.value.errors
    other_scope = services.scopes_of(db, services.scheme_by_code(db, "ns9600-5").id)[0]
    with pytest.raises(FieldErrors) as error:
        register.add_competence(db, ctx["admin"], dict(user_id=ctx["auditor"].id, scheme_id=ctx["scheme"].id,
                                                       scope_id=other_scope.id, function="auditor",
                                                       valid_from=date(2026, 1, 1)))
    assert "scope_id" in error.value.errors


def test_an_admin_registers_a_tie_on_the_page_and_a_consultant_may_only_read(ctx, client):
    login(client, ctx["admin"])
    page = client.get("/t/" + ctx["tenant"].slug + "/schemes/register")
    assert page.status_code == 200 and "Habilitet og kompetanse" in page.get_data(as_text=True)
    response = client.post("/t/" + ctx["tenant"].slug + "/schemes/register/ties",
                           data=dict(user_id=ctx["auditor"].id, company_id=ctx["company"].id, kind="trained",
                                     from_on="2026-01-10", to_on="", note="Holdt kurs"))
    assert response.status_code == 302
    bad = client.post("/t/" + ctx["tenant"].slug + "/schemes/register/ties",
                      data=dict(user_id=ctx["auditor"].id, company_id="", kind="trained", from_on="2026-01-10"))
    assert bad.status_code == 422 and "Må være et heltall." in bad.get_data(as_text=True)
    client.post("/logout")
    login(client, ctx["consultant"])
    assert client.get("/t/" + ctx["tenant"].slug + "/schemes/register").status_code == 200
    assert client.post("/t/" + ctx["tenant"].slug + "/schemes/register/ties",
                       data=dict(user_id=ctx["auditor"].id)).status_code == 403


def test_the_schemes_pages_and_api(ctx, client):
    from saas.auth import create_api_token

    login(client, ctx["admin"])
    slug = ctx["tenant"].slug
    assert "NS 9600-5 tjenestevirksomhet" in client.get(f"/t/{slug}/schemes/").get_data(as_text=True)
    detail = client.get(f"/t/{slug}/schemes/{ctx['scheme'].id}").get_data(as_text=True)
    assert "§ 8-1 f" in detail and "kapasitet for sikkerhetsopplæringen" in detail
    _, token = create_api_token(ctx["db"], ctx["admin"], "t")
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/t/{slug}/schemes", headers=headers).get_json()
    assert body["total"] == 5
    bad = client.post(f"/api/v1/t/{slug}/schemes/{ctx['scheme'].id}/versions", headers=headers,
                      json={"settings": {"validity_months": 0}})
    assert bad.status_code == 422 and "validity_months" in bad.get_json()["fields"]
    ok = client.post(f"/api/v1/t/{slug}/schemes/{ctx['scheme'].id}/versions", headers=headers,
                     json={"settings": {"validity_months": 36}, "note": "Ny forskrift"})
    assert ok.status_code == 201 and ok.get_json()["version"] == 2
    tie = client.post(f"/api/v1/t/{slug}/ties", headers=headers,
                      json=dict(user_id=ctx["auditor"].id, company_id=ctx["company"].id, kind="financial",
                                from_on="2026-01-01"))
    assert tie.status_code == 201 and tie.get_json()["kind_label"] == "Økonomisk interesse"
    ties = client.get(f"/api/v1/t/{slug}/companies/{ctx['company'].id}/ties", headers=headers).get_json()
    assert [t["kind"] for t in ties["items"]] == ["financial"]
