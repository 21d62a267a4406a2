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


# -- found by schemathesis (tests/functional/test_openapi_conformance.py) -----------------------------------------

def _spec_operation(client, path, method):
    return client.get("/api/v1/openapi.json").get_json()["paths"][f"/api/v1/t/{{slug}}{path}"][method]


def test_retrying_a_job_that_has_not_failed_answers_the_documented_409(client, two_tenants):
    a = two_tenants["a"]
    url = f"/api/v1/t/tenant-a/jobs/{a['failed_job'].id}/retry"
    assert client.post(url, headers=_headers(two_tenants)).status_code == 200
    assert client.post(url, headers=_headers(two_tenants)).status_code == 409
    assert "409" in _spec_operation(client, "/jobs/{job_id}/retry", "post")["responses"]


def test_a_revocation_case_for_an_unknown_person_scheme_is_a_field_error_not_a_500(client, two_tenants):
    a = two_tenants["a"]
    url = f"/api/v1/t/tenant-a/persons/{a['person'].id}/revocations"
    for scheme_id in (a["audit_scheme"].id, 2**31 - 1, two_tenants["b"]["person_scheme"].id):
        response = client.post(url, headers=_headers(two_tenants), json={"scheme_id": scheme_id, "trigger": "left_employer"})
        assert response.status_code == 422 and list(response.get_json()["fields"]) == ["scheme_id"], scheme_id


def test_a_person_without_photo_consent_dumps_null_and_the_document_allows_it(client, two_tenants):
    a = two_tenants["a"]
    body = client.get(f"/api/v1/t/tenant-a/persons/{a['candidate'].id}", headers=_headers(two_tenants)).get_json()
    assert body["photo_consent_at"] is None and body["has_photo"] is False
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Person"]["properties"]
    assert schema["photo_consent_at"].get("nullable") or "null" in str(schema["photo_consent_at"])
    assert schema["has_photo"]["type"] == "boolean"


@pytest.mark.parametrize("path", ["/calendar", "/surveys/{survey_id}/codes"])
def test_lists_documented_as_pages_answer_the_page_envelope(client, two_tenants, path):
    url = "/api/v1/t/tenant-a" + path.replace("{survey_id}", str(two_tenants["a"]["survey"].id))
    body = client.get(url + "?per_page=1", headers=_headers(two_tenants)).get_json()
    assert set(body) == {"items", "total", "page", "per_page", "pages"} and body["per_page"] == 1
    assert len(body["items"]) <= 1


def test_the_case_file_export_of_a_case_with_files_finishes(app, client, db, two_tenants):
    from saas import storage
    from saas.jobs import BackgroundTask

    a = two_tenants["a"]
    storage.validate_key(a["case_file"].storage_key)  # the world's file has a key the store makes, like the product's
    started = client.post(f"/api/v1/t/tenant-a/audit-cases/{a['audit_case'].id}/export", headers=_headers(two_tenants))
    assert started.status_code == 202
    db.expire_all()
    with platform_access(db):
        task = db.get(BackgroundTask, started.get_json()["task_id"])
        assert task.status == "done", task.message
    download = client.get(started.get_json()["download"], headers=_headers(two_tenants))
    assert download.status_code == 200 and download.mimetype == "application/zip"
