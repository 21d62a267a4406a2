"""Accounts: login, sessions, invitations, password reset, rate limit, CSRF, API tokens, roles."""
import re

import pytest
from sqlalchemy import select

from saas.auth import token_digest
from saas.config import ConfigError, load_config
from saas.tenancy import platform_access
from saas.tenants.models import ApiToken, OutboxMessage, User
from tests import factories
from tests.conftest import login


def _last_mail(db, to):
    with platform_access(db):
        return db.scalars(select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id.desc())).first()


def test_a_wrong_password_and_an_unknown_email_get_the_same_norwegian_message(client, two_tenants):
    wrong = client.post("/login", data={"email": two_tenants["a"]["consultant"].email, "password": "feil"})
    unknown = client.post("/login", data={"email": "ingen@example.no", "password": "feil"})
    assert wrong.status_code == unknown.status_code == 422
    assert "Feil e-postadresse eller passord." in wrong.get_data(as_text=True)
    assert "Feil e-postadresse eller passord." in unknown.get_data(as_text=True)


def test_logout_ends_the_session(client, two_tenants):
    login(client, two_tenants["a"]["consultant"])
    assert client.get("/t/tenant-a/companies/").status_code == 200
    client.post("/logout")
    response = client.get("/t/tenant-a/companies/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changing_the_password_ends_every_session_of_the_user(app, client, db, two_tenants):
    user = two_tenants["a"]["consultant"]
    other_device = app.test_client()
    login(client, user)
    login(other_device, user)
    response = client.post("/t/tenant-a/account", data={"current_password": factories.PASSWORD,
                                                         "password": "et-nytt-langt-passord", "password_repeat": "et-nytt-langt-passord"})
    assert response.status_code == 302
    assert other_device.get("/t/tenant-a/companies/").status_code == 302
    login(client, user, password="et-nytt-langt-passord")


def test_disabling_a_user_ends_their_sessions_and_blocks_login(app, client, db, two_tenants):
    a = two_tenants["a"]
    victim = app.test_client()
    login(victim, a["consultant"])
    login(client, a["admin"])
    assert client.post(f"/t/tenant-a/users/{a['consultant'].id}/active", data={"active": "0"}).status_code == 302
    assert victim.get("/t/tenant-a/companies/").status_code == 302
    response = victim.post("/login", data={"email": a["consultant"].email, "password": factories.PASSWORD})
    assert response.status_code == 422 and "deaktivert" in response.get_data(as_text=True)


def test_a_password_reset_link_works_once_and_sets_the_new_password(client, db, two_tenants):
    user = two_tenants["a"]["consultant"]
    assert client.post("/password/forgot", data={"email": user.email}).status_code == 302
    link = re.search(r"http://localhost(/password/reset/\S+)", _last_mail(db, user.email).body).group(1)
    form = {"password": "helt-nytt-passord-1", "password_repeat": "helt-nytt-passord-1"}
    assert client.post(link, data=form).status_code == 302
    assert client.post(link, data=form).status_code == 422  # used
    login(client, user, password="helt-nytt-passord-1")


def test_a_reset_request_for_an_unknown_address_reveals_nothing_and_sends_nothing(client, db):
    response = client.post("/password/forgot", data={"email": "finnes.ikke@example.no"}, follow_redirects=True)
    assert "Hvis adressen er registrert" in response.get_data(as_text=True)
    assert _last_mail(db, "finnes.ikke@example.no") is None


def test_an_expired_reset_link_is_refused(client, db, two_tenants):
    from datetime import timedelta

    from saas.auth import create_one_time_token
    from saas.tenancy import bind_tenant

    user = two_tenants["a"]["consultant"]
    bind_tenant(db, user.tenant_id)
    token = create_one_time_token(db, user, "reset", timedelta(seconds=-1))
    db.commit()
    response = client.post(f"/password/reset/{token}", data={"password": "helt-nytt-passord-1", "password_repeat": "helt-nytt-passord-1"})
    assert response.status_code == 422 and "utløpt" in response.get_data(as_text=True)


def test_an_invited_user_chooses_a_password_and_logs_in(client, db, two_tenants):
    login(client, two_tenants["a"]["admin"])
    response = client.post("/t/tenant-a/users/new", data={"name": "Nina Ny", "email": "nina@example.no", "roles": ["consultant", "reviewer"]})
    assert response.status_code == 302
    link = re.search(r"http://localhost(/invite/\S+)", _last_mail(db, "nina@example.no").body).group(1)
    client.post("/logout")
    assert client.post(link, data={"password": "ninas-passord-123", "password_repeat": "ninas-passord-123"}).status_code == 302
    with platform_access(db):
        nina = db.scalar(select(User).where(User.email == "nina@example.no"))
        assert {r.value for r in nina.roles} == {"consultant", "reviewer"}
    login(client, nina, password="ninas-passord-123")


def test_an_invitation_with_a_duplicate_email_shows_a_field_error(client, two_tenants):
    login(client, two_tenants["a"]["admin"])
    response = client.post("/t/tenant-a/users/new", data={"name": "X", "email": two_tenants["b"]["consultant"].email, "roles": ["consultant"]})
    assert response.status_code == 422
    assert "finnes allerede en bruker" in response.get_data(as_text=True)


def test_repeated_failed_logins_are_limited_with_a_clear_message(client, two_tenants):
    email = two_tenants["a"]["consultant"].email
    statuses = [client.post("/login", data={"email": email, "password": "feil"}).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "For mange mislykkede innlogginger" in response.get_data(as_text=True)


def test_session_cookies_are_secure_httponly_and_samesite_in_production(app, client, two_tenants, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = login(client, two_tenants["a"]["consultant"])
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError):
        load_config({"SAAS_ENV": "production"}, root=tmp_path)
    with pytest.raises(ConfigError):
        load_config({"DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/x"}, root=tmp_path)
    config = load_config({"DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/x", "SECRET_KEY": "k" * 40}, root=tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True


def _csrf_exempt(app, endpoint: str) -> bool:
    """Bearer-token API and signed webhooks are exempt; every form is not."""
    from saas.app import csrf

    view = app.view_functions[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    exempt_blueprints = {getattr(b, "name", b) for b in csrf._exempt_blueprints}
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views or blueprint in exempt_blueprints


def test_every_form_post_without_a_csrf_token_is_refused(app, client, two_tenants, monkeypatch):
    login(client, two_tenants["a"]["admin"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or _csrf_exempt(app, rule.endpoint):
            continue
        values = {arg: 1 if arg.endswith("_id") else "x" for arg in rule.arguments}
        values.update(slug="tenant-a", code="nb", fmt="csv", kind="logo")
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        response = client.post(url, data={"name": "x"})
        refused.append((url, response.status_code))
        assert response.status_code == 400, url
        assert "CSRF" in response.get_data(as_text=True)
    assert len(refused) > 10


def test_an_api_token_is_shown_once_stored_hashed_and_revocable(client, db, two_tenants):
    login(client, two_tenants["a"]["consultant"])
    page = client.post("/t/tenant-a/account/tokens", data={"name": "Integrasjon"}).get_data(as_text=True)
    token = re.search(r"(hms_[A-Za-z0-9_\-]+)", page).group(1)
    with platform_access(db):
        row = db.scalar(select(ApiToken).where(ApiToken.name == "Integrasjon"))
    assert row.token_hash == token_digest(token) and token not in row.token_hash
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 200
    client.post(f"/t/tenant-a/account/tokens/{row.id}/revoke")
    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 401
    assert token not in client.get("/t/tenant-a/account").get_data(as_text=True)


@pytest.mark.parametrize("who, url, status", [
    ("consultant", "/t/tenant-a/users", 403),
    ("consultant", "/t/tenant-a/settings", 403),
    ("client", "/t/tenant-a/companies/", 403),
    ("client", "/t/tenant-a/companies/new", 403),
    ("reviewer", "/t/tenant-a/companies/", 200),
    ("admin", "/t/tenant-a/audit/", 200),
])
def test_roles_guard_the_pages(client, two_tenants, who, url, status):
    login(client, two_tenants["a"][who])
    assert client.get(url).status_code == status


def test_a_platform_operator_creates_a_tenant_and_invites_its_admin(client, db):
    operator = factories.make_user(db, None, roles=(), email="drift@example.no")
    db.commit()
    login(client, operator)
    response = client.post("/platform/tenants/new", data={"name": "Ny Tilbyder AS", "slug": "ny-tilbyder", "org_number": "974 760 673",
                                                          "admin_email": "sjef@ny.example.no", "admin_name": "Sjefen"})
    assert response.status_code == 302
    assert _last_mail(db, "sjef@ny.example.no") is not None
    assert "Ny Tilbyder AS" in client.get("/platform/").get_data(as_text=True)
    bad = client.post("/platform/tenants/new", data={"name": "X", "slug": "Ugyldig Slug", "org_number": "123456789", "admin_email": ""})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "kontrollsiffer" in body and "Bruk 2–39 små bokstaver" in body
