"""Evidence in the JSON API: multipart upload, list, download, history, replace, verify, pending; in the OpenAPI document."""
from __future__ import annotations

import io

import pytest

from saas.auth import create_api_token
from saas.tenancy import bind_tenant

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BASE = "/api/v1/t/tenant-a"


@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    world = two_tenants["a"]
    _row, world["client_token"] = create_api_token(db, world["client"], "kunde")
    db.commit()
    return world


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def upload(client, token, target_id, data=PDF, name="bevis.pdf", url=f"{BASE}/evidence", **fields):
    return client.post(url, headers=auth(token), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name), "target_type": "action_item", "target_id": str(target_id), **fields})


def test_a_client_uploads_lists_and_downloads_through_the_api(client, a):
    response = upload(client, a["client_token"], a["action"].id, description="Kvittering")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["status"] == "pending" and created["original_name"] == "bevis.pdf" and created["description"] == "Kvittering"
    assert len(created["sha256"]) == 64 and "file_key" not in created
    listing = client.get(f"{BASE}/evidence?target_type=action_item&target_id={a['action'].id}", headers=auth(a["client_token"]))
    assert listing.status_code == 200
    assert created["id"] in [item["id"] for item in listing.get_json()["items"]]
    download = client.get(f"{BASE}/evidence/{created['id']}/download", headers=auth(a["client_token"]))
    assert download.data == PDF and download.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"{BASE}/evidence/{created['id']}", headers=auth(a["client_token"])).get_json()["id"] == created["id"]


def test_api_uploads_are_checked_like_the_web_form(client, a):
    response = upload(client, a["client_token"], a["action"].id, data=b"#!/bin/sh\n", name="x.pdf")
    assert response.status_code == 422
    assert "Filtypen er ikke tillatt" in response.get_json()["fields"]["file"][0]
    response = upload(client, a["client_token"], a["action"].id, name="../../x.pdf")
    assert response.status_code == 422 and "ulovlige tegn" in response.get_json()["fields"]["file"][0]
    response = client.post(f"{BASE}/evidence", headers=auth(a["client_token"]), data={"target_type": "nope", "target_id": "1"})
    assert response.status_code == 422 and "target_type" in response.get_json()["fields"]
    big = upload(client, a["client_token"], a["action"].id, data=PDF + b"0" * (25 * 1024 * 1024))
    assert big.status_code == 413 and "Filen er for stor" in big.get_json()["message"]


def test_replace_history_and_verify_through_the_api(client, a):
    first = upload(client, a["client_token"], a["action"].id, name="v1.pdf").get_json()
    second = client.post(f"{BASE}/evidence/{first['id']}/replace", headers=auth(a["client_token"]), content_type="multipart/form-data",
                         data={"file": (io.BytesIO(PDF + b"2"), "v2.pdf")})
    assert second.status_code == 201 and second.get_json()["replaces_id"] == first["id"]
    history = client.get(f"{BASE}/evidence/{first['id']}/history", headers=auth(a["client_token"])).get_json()
    assert [v["original_name"] for v in history["items"]] == ["v2.pdf", "v1.pdf"] and history["items"][1]["superseded"]
    new_id = second.get_json()["id"]
    assert client.post(f"{BASE}/evidence/{new_id}/verify", headers=auth(a["client_token"]), json={"status": "verified"}).status_code == 403
    pending = client.get(f"{BASE}/evidence/pending?all=1", headers=auth(a["api_token"])).get_json()
    assert new_id in [item["id"] for item in pending["items"]] and pending["items"][0]["company_name"]
    refused = client.post(f"{BASE}/evidence/{new_id}/verify", headers=auth(a["api_token"]), json={"status": "rejected"})
    assert refused.status_code == 422 and "note" in refused.get_json()["fields"]
    verified = client.post(f"{BASE}/evidence/{new_id}/verify", headers=auth(a["api_token"]), json={"status": "verified", "note": "OK"})
    assert verified.status_code == 200
    body = verified.get_json()
    assert body["status"] == "verified" and body["verified_by_name"] == a["admin"].name and body["verified_at"]


def test_the_api_answers_404_for_another_companys_or_a_missing_file(client, db, a):
    from tests import factories

    stranger = factories.make_user(db, a["tenant"], roles=("client",))
    factories.make_contact(db, a["other_company"], user=stranger)
    _row, token = create_api_token(db, stranger, "fremmed")
    db.commit()
    assert client.get(f"{BASE}/evidence/{a['evidence'].id}", headers=auth(token)).status_code == 404
    assert upload(client, token, a["action"].id).status_code == 404
    # the world's row has no file on disk
    assert client.get(f"{BASE}/evidence/{a['evidence'].id}/download", headers=auth(a["api_token"])).status_code == 404


def test_evidence_operations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in (("/evidence", "post"), ("/evidence", "get"), ("/evidence/pending", "get"), ("/evidence/{evidence_id}", "get"),
                         ("/evidence/{evidence_id}/download", "get"), ("/evidence/{evidence_id}/history", "get"),
                         ("/evidence/{evidence_id}/replace", "post"), ("/evidence/{evidence_id}/verify", "post")):
        assert method in spec["paths"][f"/api/v1/t/{{slug}}{path}"], (path, method)
    assert "Evidence" in spec["components"]["schemas"] and "Verify" in spec["components"]["schemas"]
