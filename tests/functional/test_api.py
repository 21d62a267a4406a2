"""The JSON API: bearer tokens, pagination, validation errors naming the field, OpenAPI."""
import pytest
from sqlalchemy import func, select

from saas.clients.models import ClientCompany
from saas.tenancy import platform_access


def _headers(world, key="a"):
    return {"Authorization": f"Bearer {world[key]['api_token']}"}


def _count(db):
    with platform_access(db):
        return db.scalar(select(func.count(ClientCompany.id)))


def test_listing_companies_is_paginated(client, two_tenants):
    response = client.get("/api/v1/t/tenant-a/companies?per_page=1&page=2", headers=_headers(two_tenants))
    body = response.get_json()
    assert response.status_code == 200
    assert body["total"] == 2 and body["pages"] == 2 and len(body["items"]) == 1
    assert client.get("/api/v1/t/tenant-a/companies?per_page=0", headers=_headers(two_tenants)).status_code == 422


def test_creating_a_company_returns_201_and_normalises_the_org_number(client, two_tenants):
    response = client.post("/api/v1/t/tenant-a/companies", headers=_headers(two_tenants),
                           json={"name": "API AS", "org_number": "NO 974 760 673 MVA", "employee_count": 7})
    assert response.status_code == 201
    assert response.get_json()["org_number"] == "974760673"


@pytest.mark.parametrize("payload, field", [
    ({"name": "X", "org_number": "123456789"}, "org_number"),
    ({"name": "X" * 201, "org_number": "974760673"}, "name"),
    ({"name": "X", "org_number": "974760673", "employee_count": "mange"}, "employee_count"),
    ({"name": "X", "org_number": 974760673}, "org_number"),
    ({"org_number": "974760673"}, "name"),
    ({"name": "X", "org_number": "974760673", "follow_up_from": "i fjor"}, "follow_up_from"),
])
def test_bad_input_gets_422_naming_the_field_and_saves_nothing(client, db, two_tenants, payload, field):
    before = _count(db)
    response = client.post("/api/v1/t/tenant-a/companies", headers=_headers(two_tenants), json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert _count(db) == before


def test_a_duplicate_org_number_within_the_tenant_is_refused_but_another_tenant_may_use_it(client, two_tenants):
    existing = two_tenants["a"]["company"].org_number
    response = client.post("/api/v1/t/tenant-a/companies", headers=_headers(two_tenants), json={"name": "Dupe", "org_number": existing})
    assert response.status_code == 422 and "org_number" in response.get_json()["fields"]
    other = client.post("/api/v1/t/tenant-b/companies", headers=_headers(two_tenants, "b"), json={"name": "Samme nr", "org_number": existing})
    assert other.status_code == 201


def test_a_body_that_is_not_json_gets_a_clear_error(client, two_tenants):
    response = client.post("/api/v1/t/tenant-a/companies", headers=_headers(two_tenants), data="name=x")
    assert response.status_code == 422 and "_body" in response.get_json()["fields"]
    response = client.post("/api/v1/t/tenant-a/companies", headers={**_headers(two_tenants), "Content-Type": "application/json"}, data="{")
    assert response.status_code == 422


def test_patch_changes_only_the_given_fields_and_delete_archives(client, two_tenants):
    company = two_tenants["a"]["company"]
    url = f"/api/v1/t/tenant-a/companies/{company.id}"
    response = client.patch(url, headers=_headers(two_tenants), json={"city": "Notodden"})
    assert response.status_code == 200
    assert response.get_json()["city"] == "Notodden" and response.get_json()["name"] == company.name
    assert client.delete(url, headers=_headers(two_tenants)).get_json()["archived"] is True
    assert client.get(url, headers=_headers(two_tenants)).status_code == 200  # archived, never deleted


def test_users_api_invites_and_refuses_bad_roles(client, two_tenants):
    response = client.post("/api/v1/t/tenant-a/users", headers=_headers(two_tenants),
                           json={"name": "API Bruker", "email": "api.bruker@example.no", "roles": ["consultant"]})
    assert response.status_code == 201 and response.get_json()["roles"] == ["consultant"]
    bad = client.post("/api/v1/t/tenant-a/users", headers=_headers(two_tenants), json={"name": "X", "email": "ikke-epost", "roles": ["sjef"]})
    assert bad.status_code == 422 and {"email", "roles.0"} <= set(bad.get_json()["fields"])


def test_a_consultants_token_cannot_use_admin_endpoints(client, db, two_tenants):
    from saas.auth import create_api_token
    from saas.tenancy import bind_tenant

    bind_tenant(db, two_tenants["a"]["tenant"].id)
    _, token = create_api_token(db, two_tenants["a"]["consultant"], "k")
    db.commit()
    response = client.get("/api/v1/t/tenant-a/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.is_json


def test_the_openapi_document_describes_the_tenant_resources(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/t/{slug}/companies" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/t/{slug}/companies"]
    assert "Company" in spec["components"]["schemas"]
    assert "org_number" in spec["components"]["schemas"]["Company"]["properties"]


def test_adding_a_contact_with_invite_sends_an_invitation_and_invite_is_in_the_openapi_document(client, db, two_tenants):
    from saas.tenants.models import User

    company = two_tenants["a"]["company"]
    url = f"/api/v1/t/tenant-a/companies/{company.id}/contacts"
    response = client.post(url, headers=_headers(two_tenants), json={"name": "Ny Kontakt", "email": "ny.kontakt@example.no", "invite": True})
    assert response.status_code == 201 and response.get_json()["has_login"] is True and "invite" not in response.get_json()
    with platform_access(db):
        assert db.scalar(select(func.count(User.id)).where(User.email == "ny.kontakt@example.no")) == 1
    bad = client.post(url, headers=_headers(two_tenants), json={"name": "X", "invite": "kanskje"})
    assert bad.status_code == 422 and "invite" in bad.get_json()["fields"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "invite" in spec["components"]["schemas"]["NewContact"]["properties"]


def test_inviting_the_same_person_twice_as_a_contact_of_one_company_is_a_field_error(client, db, two_tenants):
    company = two_tenants["a"]["company"]
    url = f"/api/v1/t/tenant-a/companies/{company.id}/contacts"
    body = {"name": "Dobbel", "email": "dobbel@example.no", "invite": True}
    assert client.post(url, headers=_headers(two_tenants), json=body).status_code == 201
    again = client.post(url, headers=_headers(two_tenants), json=body)
    assert again.status_code == 422 and "email" in again.get_json()["fields"]
