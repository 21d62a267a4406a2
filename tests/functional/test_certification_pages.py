"""Certification over HTTP: the year page (staff and client contact), proposing, deciding, certificates and
their states, the yearly run, and another tenant kept out of every certification route."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from saas.certification.demo import complete_year, previous_certificate
from saas.certification.models import Certificate, CertificationDecision, CertificationProposal
from saas.jobs import BackgroundTask
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import login


@pytest.fixture
def w(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db, slug="bt")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
        both = factories.make_user(db, tenant, roles=("consultant", "reviewer"), name="Berit Begge")
        client_user = factories.make_user(db, tenant, roles=("client",), name="Lise Leder")
        company = factories.make_company(db, tenant, consultant_id=consultant.id, name="Verkstedet AS")
        factories.make_contact(db, company, user=client_user)
        other = factories.make_company(db, tenant, name="Naboen AS")
        year = complete_year(db, company, consultant, today_in_oslo())
        other_year = complete_year(db, other, consultant, today_in_oslo())
        ids = dict(tenant=tenant, consultant=consultant, reviewer=reviewer, both=both, client=client_user,
                   company=company, year_id=year.id, other_year_id=other_year.id)
        bind_tenant(db, None)
        db.commit()
        yield ids


def page(client, year_id):
    return client.get(f"/t/bt/certification/years/{year_id}")


def count(db, model):
    with platform_access(db):
        return db.scalar(select(func.count()).select_from(model))


def test_staff_see_the_verdict_with_every_criterion(client, w):
    login(client, w["consultant"])
    body = page(client, w["year_id"]).get_data(as_text=True)

    assert 'data-eligible="A"' in body
    assert len(re.findall(r'data-criterion="', body)) == 13
    assert 'data-criterion="A+1" data-outcome="not_met"' in body
    assert "Dette mangler for klasse A+:" in body
    assert "Foreslå klasse" in body


def test_a_client_contact_sees_what_is_missing_in_plain_words_and_only_for_their_company(client, w):
    login(client, w["client"])
    response = page(client, w["year_id"])
    body = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Dette gjenstår for å oppnå klasse A+:" in body
    assert "Klasse A+ krever at dere hadde sertifikat i klasse A eller A+ i fjor." in body
    assert "data-criterion" not in body and "Foreslå klasse" not in body and "trivselsmøter" not in body
    assert page(client, w["other_year_id"]).status_code == 404
    assert client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"cert_class": "B"}).status_code == 403


def test_a_class_above_the_eligible_one_is_refused_and_nothing_is_saved(client, db, w):
    login(client, w["consultant"])
    response = client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"cert_class": "A+"})

    assert response.status_code == 422
    assert "ikke klasse A+. Mangler: A+1, A+2" in response.get_data(as_text=True)
    assert count(db, CertificationProposal) == 0


def test_b_alt_without_a_justification_re_renders_the_form_with_the_field_error(client, db, w):
    login(client, w["consultant"])
    response = client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"b_alternative": "1", "justification": ""})

    assert response.status_code == 422
    assert 'aria-describedby="e-justification"' in response.get_data(as_text=True)
    assert count(db, CertificationProposal) == 0


def test_a_consultant_proposes_and_a_reviewer_approves(client, db, w):
    login(client, w["consultant"])
    response = client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"cert_class": "A"})
    assert response.status_code == 302
    body = page(client, w["year_id"]).get_data(as_text=True)
    assert "Forslag som venter på beslutning" in body and "Godkjenn og utsted" not in body
    with platform_access(db):
        proposal_id = db.scalar(select(CertificationProposal.id))
    assert client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "approve"}).status_code == 403

    client.post("/logout")
    login(client, w["reviewer"])
    assert "Godkjenn og utsted sertifikat" in page(client, w["year_id"]).get_data(as_text=True)
    response = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "approve"})

    assert response.status_code == 302 and "/certification/certificates/" in response.location
    body = client.get(response.location).get_data(as_text=True)
    assert 'data-state="active"' in body and f"HMS-{today_in_oslo().year}-0001" in body
    again = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "approve"})
    assert again.status_code == 409 and "allerede godkjent" in again.get_data(as_text=True)
    assert count(db, Certificate) == 1


def test_a_reviewer_who_proposed_the_year_is_stopped_and_told_who_may_decide(client, db, w):
    login(client, w["both"])
    client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"cert_class": "A"})
    with platform_access(db):
        proposal_id = db.scalar(select(CertificationProposal.id))

    body = page(client, w["year_id"]).get_data(as_text=True)
    assert "data-decide-blocked" in body and "foreslo klasse" in body and "Godkjenn og utsted" not in body
    assert "Kan beslutte for dette året: Siri Sertifisør." in body
    response = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "approve"})
    assert response.status_code == 422 and "ikke er upartisk" in response.get_data(as_text=True)
    assert count(db, Certificate) == 0 and count(db, CertificationDecision) == 0

    # In English, the refusal and what the person did are English too.
    from flask_babel import refresh

    from tests.functional.test_i18n import english

    english(client)
    refresh()  # the fixture's app context outlives requests, and Flask-Babel caches the locale on it
    body = page(client, w["year_id"]).get_data(as_text=True)
    assert "proposed the class" in body and "foreslo klasse" not in body
    response = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "approve"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "you are not impartial (" in body and "ikke er upartisk" not in body


def test_sending_back_without_a_reason_is_a_field_error(client, db, w):
    login(client, w["consultant"])
    client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"cert_class": "B"})
    client.post("/logout")
    login(client, w["reviewer"])
    with platform_access(db):
        proposal_id = db.scalar(select(CertificationProposal.id))

    response = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "return", "reason": ""})
    assert response.status_code == 422 and 'aria-describedby="e-reason"' in response.get_data(as_text=True)
    response = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision",
                           data={"outcome": "return", "reason": "Rapporten er ikke signert"})
    assert response.status_code == 302
    assert "Rapporten er ikke signert" in page(client, w["year_id"]).get_data(as_text=True)


def test_attestations_are_recorded_from_the_year_page(client, w):
    login(client, w["reviewer"])
    response = client.post(f"/t/bt/certification/years/{w['year_id']}/attestations", data={"kind": "a_plus_2", "note": ""})
    assert response.status_code == 422
    response = client.post(f"/t/bt/certification/years/{w['year_id']}/attestations",
                           data={"kind": "a_plus_2", "note": "Ledelsen følger opp HMS månedlig"})
    assert response.status_code == 302
    assert "Ledelsen følger opp HMS månedlig" in page(client, w["year_id"]).get_data(as_text=True)
    refused = client.post(f"/t/bt/certification/years/{w['year_id']}/attestations", data={"kind": "a4", "note": "Jevnlig"})
    assert refused.status_code == 422 and "Bare en HMS-rådgiver" in refused.get_data(as_text=True)


def _certificate(db, w):
    with platform_access(db):
        tenant, company = db.merge(w["tenant"]), db.merge(w["company"])
        bind_tenant(db, tenant.id)
        cert = previous_certificate(db, tenant, company, db.merge(w["consultant"]), db.merge(w["reviewer"]), today_in_oslo())
    bind_tenant(db, None)
    db.commit()
    return cert.id


def test_a_reviewer_suspends_a_certificate_with_a_reason_and_the_history_shows_it(client, db, w, app):
    with app.app_context():
        cert_id = _certificate(db, w)
    login(client, w["consultant"])
    assert client.post(f"/t/bt/certification/certificates/{cert_id}/state", data={"action": "suspend", "reason": "x"}).status_code == 403
    client.post("/logout")
    login(client, w["reviewer"])

    response = client.post(f"/t/bt/certification/certificates/{cert_id}/state", data={"action": "suspend", "reason": ""})
    assert response.status_code == 422
    response = client.post(f"/t/bt/certification/certificates/{cert_id}/state",
                           data={"action": "suspend", "reason": "Mangler ved kontroll"})
    assert response.status_code == 302
    body = client.get(f"/t/bt/certification/certificates/{cert_id}").get_data(as_text=True)
    assert 'data-state="suspended"' in body and "Mangler ved kontroll" in body and "Siri Sertifisør" in body


def test_a_client_contact_sees_their_certificates_only(client, db, w, app):
    with app.app_context():
        cert_id = _certificate(db, w)
    login(client, w["client"])
    assert client.get(f"/t/bt/certification/certificates/{cert_id}").status_code == 200
    assert "Endre status" not in client.get(f"/t/bt/certification/certificates/{cert_id}").get_data(as_text=True)
    listing = client.get("/t/bt/certification/certificates/").get_data(as_text=True)
    assert "Verkstedet AS" in listing and "Naboen AS" not in listing


def test_the_yearly_run_shows_a_table_and_opens_proposals_in_bulk(client, db, w):
    login(client, w["consultant"])
    assert client.post("/t/bt/certification/yearly-run", data={"within_days": "0"}).status_code == 422
    response = client.post("/t/bt/certification/yearly-run", data={"within_days": "90"})
    assert response.status_code == 302
    result = client.get(response.location)
    body = result.get_data(as_text=True)

    assert result.status_code == 200
    assert "Verkstedet AS" in body and "Naboen AS" in body and body.count('name="year_ids"') == 2
    with platform_access(db):
        task = db.scalar(select(BackgroundTask).where(BackgroundTask.kind == "yearly_run"))
    assert task.status == "done" and task.result["count"] == 2

    response = client.post(f"{response.location}/proposals", data={"year_ids": [str(w["year_id"])]})
    assert response.status_code == 200 and "1 forslag er opprettet" in response.get_data(as_text=True)
    assert count(db, CertificationProposal) == 1


# -- the JSON API ----------------------------------------------------------------------------------------

def _token(db, user):
    from saas.auth import create_api_token

    with platform_access(db):
        user = db.merge(user)
        bind_tenant(db, user.tenant_id)
        _, token = create_api_token(db, user, "test")
    bind_tenant(db, None)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_api_proposes_decides_and_lists_certificates_with_their_history(client, db, w):
    consultant, reviewer = _token(db, w["consultant"]), _token(db, w["reviewer"])
    verdict = client.get(f"/api/v1/t/bt/years/{w['year_id']}/verdict", headers=consultant).get_json()
    assert verdict["eligible"] == "A" and len(verdict["criteria"]) == 13 and verdict["criteria"][0]["id"] == "B1"

    refused = client.post(f"/api/v1/t/bt/years/{w['year_id']}/proposals", headers=consultant, json={"cert_class": "A+"})
    assert refused.status_code == 422 and refused.get_json()["error"] == "refused"
    proposal = client.post(f"/api/v1/t/bt/years/{w['year_id']}/proposals", headers=consultant, json={"cert_class": "A"})
    assert proposal.status_code == 201 and proposal.get_json()["status"] == "pending"

    decided = client.post(f"/api/v1/t/bt/proposals/{proposal.get_json()['id']}/decision", headers=reviewer,
                          json={"outcome": "approve"})
    assert decided.status_code == 201
    cert = decided.get_json()["certificate"]
    assert cert["state"] == "active" and cert["cert_class"] == "A"
    assert len(decided.get_json()["decision"]["facts_sha256"]) == 64
    again = client.post(f"/api/v1/t/bt/proposals/{proposal.get_json()['id']}/decision", headers=reviewer, json={"outcome": "approve"})
    assert again.status_code == 409

    changed = client.post(f"/api/v1/t/bt/certificates/{cert['id']}/state", headers=reviewer,
                          json={"action": "withdraw", "reason": "Trukket etter klage"})
    assert changed.status_code == 200 and changed.get_json()["state"] == "withdrawn"
    assert [e["to_state"] for e in changed.get_json()["events"]] == ["active", "withdrawn"]
    listed = client.get("/api/v1/t/bt/certificates?state=withdrawn", headers=consultant).get_json()
    assert listed["total"] == 1 and listed["items"][0]["number"] == cert["number"]
    assert client.get("/api/v1/t/bt/certificates?state=nonsense", headers=consultant).status_code == 422
    history = client.get(f"/api/v1/t/bt/years/{w['year_id']}/proposals", headers=consultant).get_json()
    assert history["items"][0]["decision"]["outcome"] == "approved"


def test_the_certification_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/years/{year_id}/verdict", "/years/{year_id}/proposals", "/proposals/{proposal_id}/decision",
                 "/certificates", "/certificates/{certificate_id}", "/certificates/{certificate_id}/state"):
        assert "/api/v1/t/{slug}" + path in paths


# -- another tenant --------------------------------------------------------------------------------------

def test_another_tenant_gets_404_on_every_certification_route_and_changes_nothing(app, client, db, two_tenants):
    from tests.functional.test_cross_tenant import SECRET_MARKERS, _ids_of_tenant, _request, _snapshot, _url

    a, b = two_tenants["a"], two_tenants["b"]
    before = _snapshot(db, b["tenant"].id)
    login(client, a["admin"])
    b_ids = _ids_of_tenant(db, b["tenant"].id)
    failures, checked = [], 0
    mine = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("certification.")
            or app.view_functions[r.endpoint].__module__ == "saas.api.certification"]
    for rule in mine:
        token = a["api_token"] if rule.rule.startswith("/api/") else None
        targets = [_url(app, rule, "tenant-b", b_ids)]
        if rule.arguments - {"slug"}:
            targets.append(_url(app, rule, "tenant-a", b_ids))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for url in targets:
                response = _request(client, method, url, token)
                checked += 1
                if response.status_code != 404 or any(m in response.get_data(as_text=True) for m in SECRET_MARKERS):
                    failures.append(f"{method} {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked >= 30
    assert _snapshot(db, b["tenant"].id) == before


def test_lists_and_the_yearly_run_never_show_another_tenants_companies(app, db, two_tenants):
    from saas.certification.services import certificates, yearly_run

    a = two_tenants["a"]
    bind_tenant(db, a["tenant"].id)
    today = today_in_oslo()
    rows = yearly_run.evaluate_run(db, today, 400)
    names = {r["company_name"] for r in rows}
    assert names and all(" A " in f" {n} " or "A Hemmelig" in n for n in names), names
    assert all(c["company_name"].endswith("A Hemmelig AS") for c in certificates.expiring(db, None, 400, today))
    from saas.clients.models import ClientCompany

    ids = set(db.scalars(select(ClientCompany.id).where(certificates.company_filter_clause("none", None, today))))
    with platform_access(db):
        b_ids = set(db.scalars(select(ClientCompany.id).where(ClientCompany.tenant_id == two_tenants["b"]["tenant"].id)))
    assert ids and not ids & b_ids


def test_a_provider_whose_only_reviewer_worked_on_the_year_is_told_to_invite_an_external_reviewer(client, db, w):
    """One person who consults, proposes and would decide: the page explains and links to the invitation of
    an external reviewer, who gets the reviewer role only and may then decide."""
    import re

    from saas.tenants.models import OutboxMessage, User

    with platform_access(db):
        for user in db.scalars(select(User).where(User.tenant_id == w["tenant"].id)):
            if user.id != w["both"].id:
                user.active = False
        admin = db.merge(w["both"])
        from saas.tenants.models import UserRole
        db.add(UserRole(user_id=admin.id, role="admin", tenant_id=admin.tenant_id))
        db.commit()
    login(client, w["both"])
    client.post(f"/t/bt/certification/years/{w['year_id']}/proposals", data={"cert_class": "A"})

    body = page(client, w["year_id"]).get_data(as_text=True)
    assert "data-decide-external" in body and "Ingen hos dere kan beslutte dette året." in body
    assert "/t/bt/users/new?ekstern=1" in body

    form = client.get("/t/bt/users/new?ekstern=1").get_data(as_text=True)
    assert "Inviter ekstern sertifiseringsansvarlig" in form and 'name="roles" value="consultant"' not in form
    response = client.post("/t/bt/users/new?ekstern=1", data={"name": "Ekstern Revisor", "email": "ekstern@annen.example.no",
                                                              "roles": ["admin", "consultant"]})
    assert response.status_code == 302
    with platform_access(db):
        external = db.scalar(select(User).where(User.email == "ekstern@annen.example.no"))
        assert {r.value for r in external.roles} == {"reviewer"}
        link = re.search(r"http://localhost(/invite/\S+)", db.scalar(select(OutboxMessage.body).where(
            OutboxMessage.to == "ekstern@annen.example.no"))).group(1)
    client.post("/logout")
    client.post(link, data={"password": "eksternt-passord-1", "password_repeat": "eksternt-passord-1"})
    login(client, external, password="eksternt-passord-1")
    with platform_access(db):
        proposal_id = db.scalar(select(CertificationProposal.id))
    response = client.post(f"/t/bt/certification/proposals/{proposal_id}/decision", data={"outcome": "approve"})
    assert response.status_code == 302 and count(db, Certificate) == 1
