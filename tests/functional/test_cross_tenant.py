"""Attack tenant isolation through every URL rule and every tenant-owned model.

A user of tenant A (holding every staff role) tries every route of tenant B, and every object route of
its own tenant with tenant B's object ids: each answer is 404 with none of B's data, and no row of B
changes.  New routes and models join automatically; an id parameter no model claims fails the test.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.tenancy import platform_access, tenant_models
from tests.conftest import login

# Values for URL parameters that are not object ids.
PLAIN_PARAMS = {"fmt": "csv", "kind": "logo", "lang": "nb", "code": "nb", "token": "x" * 43, "filename": "css/app.css",
                "year": "2026",
                # only on the operator's /platform/tenants/<tenant_id> pages (a tenant is not tenant-owned);
                # tenant users get 404 there: tests/functional/test_platform_tenants.py
                "tenant_id": "1"}
SAFE_METHODS = {"GET"}
SECRET_MARKERS = ("B Hemmelig", "Tilbyder B")


@pytest.fixture
def world(two_tenants):
    return two_tenants


def _model_for_param():
    return {getattr(m, "__url_param__"): m for m in tenant_models() if getattr(m, "__url_param__", None)}


def _ids_of_tenant(db, tenant_id: int) -> dict[str, int]:
    ids = {}
    with platform_access(db):
        for param, model in _model_for_param().items():
            row = db.scalar(select(model.id).where(model.tenant_id == tenant_id).order_by(model.id))
            if row is not None:
                ids[param] = row
    return ids


def _snapshot(db, tenant_id: int) -> dict:
    data = {}
    with platform_access(db):
        for model in tenant_models():
            rows = db.execute(select(model.__table__).where(model.__table__.c.tenant_id == tenant_id)).all()
            data[model.__name__] = sorted(tuple(str(v) for v in row) for row in rows)
    return data


def _tenant_rules(app):
    for rule in app.url_map.iter_rules():
        if "slug" in rule.arguments:
            yield rule


def _url(app, rule, slug: str, ids: dict[str, int]) -> str:
    values = {"slug": slug}
    for arg in rule.arguments - {"slug"}:
        if arg in ids:
            values[arg] = ids[arg]
        elif arg in PLAIN_PARAMS:
            values[arg] = PLAIN_PARAMS[arg]
        else:
            raise AssertionError(f"URL parameter <{arg}> of {rule.rule} names no tenant-owned model "
                                 f"(set __url_param__ = {arg!r} on its model) and no plain value in PLAIN_PARAMS")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _request(client, method: str, url: str, api_token: str | None):
    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
    if method in SAFE_METHODS:
        return client.open(url, method=method, headers=headers)
    if api_token:
        return client.open(url, method=method, headers=headers, json={"name": "Overtatt", "org_number": "974760673"})
    return client.open(url, method=method, headers=headers, data={"name": "Overtatt", "org_number": "974760673", "active": "0"})


def test_every_tenant_owned_model_is_populated_for_the_attack(db, world):
    missing = []
    with platform_access(db):
        for model in tenant_models():
            if db.scalar(select(model.id).where(model.tenant_id == world["b"]["tenant"].id)) is None:
                missing.append(model.__name__)
    assert not missing, f"add these models to a tests/worlds/ module: {missing}"


def test_a_user_of_another_tenant_gets_404_on_every_route_and_changes_nothing(app, client, db, world):
    a, b = world["a"], world["b"]
    before = _snapshot(db, b["tenant"].id)
    login(client, a["admin"])
    b_ids = _ids_of_tenant(db, b["tenant"].id)
    checked = 0
    failures = []
    for rule in _tenant_rules(app):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "is_public", False):
            continue
        token = a["api_token"] if rule.rule.startswith("/api/") else None
        targets = [_url(app, rule, "tenant-b", b_ids)]
        if rule.arguments - {"slug"} - set(PLAIN_PARAMS):  # object routes: also B's ids under A's own slug
            targets.append(_url(app, rule, "tenant-a", b_ids))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for url in targets:
                response = _request(client, method, url, token)
                checked += 1
                body = response.get_data(as_text=True)
                if response.status_code != 404 or any(marker in body for marker in SECRET_MARKERS):
                    failures.append(f"{method} {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked > 20
    assert _snapshot(db, b["tenant"].id) == before


def test_every_id_parameter_in_the_url_map_belongs_to_a_model(app):
    known = set(_model_for_param()) | set(PLAIN_PARAMS) | {"slug"}
    unknown = {(rule.rule, arg) for rule in app.url_map.iter_rules() for arg in rule.arguments if arg not in known}
    assert not unknown


def test_a_client_contact_gets_404_for_companies_they_are_not_linked_to(app, client, db, world):
    a = world["a"]
    login(client, a["client"])
    assert client.get(f"/t/tenant-a/companies/{a['company'].id}").status_code == 200
    assert client.get(f"/t/tenant-a/companies/{a['other_company'].id}").status_code == 404


def test_an_api_token_of_another_tenant_gets_404_and_no_token_gets_401(client, world):
    a, b = world["a"], world["b"]
    headers = {"Authorization": f"Bearer {a['api_token']}"}
    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 200
    response = client.get("/api/v1/t/tenant-b/companies", headers=headers)
    assert response.status_code == 404 and "Hemmelig" not in response.get_data(as_text=True)
    assert client.get("/api/v1/t/tenant-b/companies").status_code == 401
    assert client.get(f"/api/v1/t/tenant-a/companies/{b['company'].id}", headers=headers).status_code == 404


def test_a_tenant_header_set_by_the_client_is_ignored(client, world):
    a = world["a"]
    login(client, a["admin"])
    response = client.get("/t/tenant-a/companies/", headers={"X-Tenant": "tenant-b", "X-Tenant-Id": str(world["b"]["tenant"].id)})
    assert response.status_code == 200
    assert "Kunde B Hemmelig" not in response.get_data(as_text=True)
