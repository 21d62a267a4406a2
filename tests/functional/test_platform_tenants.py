"""The platform operator's page per tenant (users, companies, certificates, subscription, jobs) and suspending
or reopening a tenant with a reason: a suspended tenant's staff and client contacts can't log in or use the
API and are told why in Norwegian, while its public register and verification keep answering truthfully.
Only operators reach these pages; a tenant's admin gets 404 and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.audit.models import AuditEvent
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant
from tests import factories
from tests.conftest import login
from tests.integration.test_certificate_pdf import certified_company

SUSPENDED_TEXT = "er stengt inntil videre"


@pytest.fixture
def operator(db):
    user = factories.make_user(db, None, roles=(), email="drift@example.no")
    db.commit()
    return user


def _tenant(db, tenant_id: int) -> Tenant:
    with platform_access(db):
        tenant = db.get(Tenant, tenant_id)
        db.refresh(tenant)
        return tenant


def _suspend(client, tenant_id: int, reason: str = "Ubetalt abonnement siden oktober"):
    return client.post(f"/platform/tenants/{tenant_id}/suspend", data={"reason": reason})


def test_the_operator_opens_a_tenant_and_sees_its_users_companies_certificates_subscription_and_jobs(client, db, two_tenants, operator):
    a = two_tenants["a"]
    login(client, operator)
    listing = client.get("/platform/").get_data(as_text=True)
    assert f'href="/platform/tenants/{a["tenant"].id}"' in listing

    response = client.get(f"/platform/tenants/{a['tenant'].id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tilbyder A AS" in body and "Tilbyder B AS" not in body
    for heading in ("Brukere", "Kunder", "Sertifikater", "Abonnement", "Bakgrunnsjobber", "Steng tilbyderen"):
        assert heading in body, heading
    assert "Ansatte" in body and "Kundekontakter" in body and "Aktive kunder" in body
    assert client.get("/platform/tenants/999999").status_code == 404


def test_suspending_needs_a_reason_and_is_audit_logged_in_the_tenants_own_log(client, db, two_tenants, operator):
    a = two_tenants["a"]
    login(client, operator)
    refused = _suspend(client, a["tenant"].id, reason="   ")
    assert refused.status_code == 422 and "Skriv en begrunnelse." in refused.get_data(as_text=True)
    assert not _tenant(db, a["tenant"].id).suspended

    done = _suspend(client, a["tenant"].id)
    assert done.status_code == 302
    tenant = _tenant(db, a["tenant"].id)
    assert tenant.suspended and tenant.suspension_reason == "Ubetalt abonnement siden oktober"
    page = client.get(f"/platform/tenants/{a['tenant'].id}").get_data(as_text=True)
    assert "Ubetalt abonnement siden oktober" in page and "Åpne tilbyderen igjen" in page
    assert "Stengt" in client.get("/platform/").get_data(as_text=True)
    assert _suspend(client, a["tenant"].id).status_code == 422  # already suspended

    bind_tenant(db, a["tenant"].id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.suspended"))
    assert event is not None and event.actor_id == operator.id and event.tenant_id == a["tenant"].id
    assert event.data["reason"] == "Ubetalt abonnement siden oktober"
    bind_tenant(db, two_tenants["b"]["tenant"].id)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.suspended")) is None  # not in B's log


def test_a_suspended_tenants_staff_and_clients_cannot_log_in_and_are_told_why(app, client, db, two_tenants, operator):
    a, b = two_tenants["a"], two_tenants["b"]
    staff_session = app.test_client()
    login(staff_session, a["consultant"])  # a session from before the suspension
    login(client, operator)
    _suspend(client, a["tenant"].id)

    for user in (a["admin"], a["consultant"], a["client"]):
        fresh = app.test_client()
        response = fresh.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 403
        body = response.get_data(as_text=True)
        assert SUSPENDED_TEXT in body and "Tilbyder A AS" in body
        assert fresh.get("/t/tenant-a/work/").status_code in (302, 401)  # never logged in

    wrong = app.test_client().post("/login", data={"email": a["admin"].email, "password": "feil-passord-123"})
    assert wrong.status_code == 422 and SUSPENDED_TEXT not in wrong.get_data(as_text=True)  # no hint without the password

    old = staff_session.get("/t/tenant-a/companies/")
    assert old.status_code == 403 and SUSPENDED_TEXT in old.get_data(as_text=True)
    assert "Hemmelig" not in old.get_data(as_text=True)

    other = app.test_client()
    login(other, b["admin"])  # another tenant is untouched
    assert other.get("/t/tenant-b/companies/").status_code == 200


def test_a_suspended_tenants_api_answers_403_with_a_norwegian_reason(client, db, two_tenants, operator):
    a = two_tenants["a"]
    headers = {"Authorization": f"Bearer {a['api_token']}"}
    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 200
    login(client, operator)
    _suspend(client, a["tenant"].id)
    response = client.get("/api/v1/t/tenant-a/companies", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == "tenant_suspended" and SUSPENDED_TEXT in response.get_json()["message"]
    b_headers = {"Authorization": f"Bearer {two_tenants['b']['api_token']}"}
    assert client.get("/api/v1/t/tenant-b/companies", headers=b_headers).status_code == 200


def test_a_suspended_tenants_register_and_verification_keep_answering(app, client, db, operator):
    today = today_in_oslo()
    tenant = factories.make_tenant(db, slug="stengt", name="Stengt Leverandør AS")
    company, certificate = certified_company(db, tenant, today=today, name="Gyldig Kunde AS", sub_units=())
    bind_tenant(db, None)
    db.commit()
    login(client, operator)
    _suspend(client, tenant.id)

    register = client.get("/t/stengt/register")
    assert register.status_code == 200 and "Gyldig Kunde AS" in register.get_data(as_text=True)
    verify = client.get(f"/verify/{certificate.verification_code}.json")
    assert verify.status_code == 200 and verify.get_json()["number"] == certificate.number


def test_reactivating_needs_a_reason_lets_people_in_again_and_is_logged(app, client, db, two_tenants, operator):
    a = two_tenants["a"]
    login(client, operator)
    _suspend(client, a["tenant"].id)
    assert client.post(f"/platform/tenants/{a['tenant'].id}/reactivate", data={"reason": ""}).status_code == 422
    assert client.post(f"/platform/tenants/{a['tenant'].id}/reactivate", data={"reason": "Betalt"}).status_code == 302
    assert not _tenant(db, a["tenant"].id).suspended
    assert client.post(f"/platform/tenants/{a['tenant'].id}/reactivate", data={"reason": "Igjen"}).status_code == 422

    again = app.test_client()
    login(again, a["consultant"])
    assert again.get("/t/tenant-a/companies/").status_code == 200
    bind_tenant(db, a["tenant"].id)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "tenant.reactivated"))
    assert event.data == {"reason": "Betalt", "suspension_reason": "Ubetalt abonnement siden oktober"}


@pytest.mark.parametrize("role", ["admin", "consultant", "reviewer", "client"])
def test_tenant_users_cannot_reach_the_platform_pages_or_suspend_anyone(client, db, two_tenants, role):
    a, b = two_tenants["a"], two_tenants["b"]
    login(client, a[role])
    for tenant_id in (a["tenant"].id, b["tenant"].id):
        assert client.get(f"/platform/tenants/{tenant_id}").status_code == 404
        assert _suspend(client, tenant_id).status_code == 404
        assert client.post(f"/platform/tenants/{tenant_id}/reactivate", data={"reason": "x"}).status_code == 404
    assert client.get("/platform/").status_code == 404
    assert not _tenant(db, a["tenant"].id).suspended and not _tenant(db, b["tenant"].id).suspended


def test_anonymous_visitors_are_sent_to_log_in_and_an_api_token_opens_nothing(client, db, two_tenants):
    a = two_tenants["a"]
    response = client.get(f"/platform/tenants/{a['tenant'].id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _suspend(client, a["tenant"].id).status_code == 302
    headers = {"Authorization": f"Bearer {a['api_token']}"}
    assert client.post(f"/platform/tenants/{a['tenant'].id}/suspend", data={"reason": "x"}, headers=headers).status_code == 302
    assert not _tenant(db, a["tenant"].id).suspended


def test_the_suspension_message_is_english_on_an_english_login(app, client, db, two_tenants):
    operator = factories.make_user(db, None, roles=(), email="drift-en@example.no")
    db.commit()
    login(client, operator)
    assert client.post(f"/platform/tenants/{two_tenants['a']['tenant'].id}/suspend", data={"reason": "Ubetalt"}).status_code == 302
    english = app.test_client()
    english.post("/lang/en", data={"next": "/"})
    response = english.post("/login", data={"email": two_tenants["a"]["consultant"].email, "password": factories.PASSWORD})
    assert response.status_code == 403 and "is closed until further notice" in response.get_data(as_text=True)
