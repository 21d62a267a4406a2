"""Evidence over HTTP: upload, download, replace with history, verification, and who may do what."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from saas.hms.models import Evidence
from saas.tenancy import bind_tenant, bound_tenant
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(client, target_type, target_id, data=PDF, name="rapport.pdf", **extra):
    return client.post(f"/t/tenant-a/evidence/new?target_type={target_type}&target_id={target_id}",
                       data={"file": (io.BytesIO(data), name), **extra}, content_type="multipart/form-data")


def fresh(db):
    """See what the requests committed: re-send the tenant settings (requests on the shared test connection
    changed them) and forget cached rows."""
    bind_tenant(db, bound_tenant(db))
    db.expire_all()


def rows(db, **where):
    fresh(db)
    query = select(Evidence)
    for key, value in where.items():
        query = query.where(getattr(Evidence, key) == value)
    return db.scalars(query.order_by(Evidence.id)).all()


@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    return two_tenants["a"]


def test_a_client_uploads_a_file_to_an_action_item_and_downloads_it_as_an_attachment(client, db, a):
    login(client, a["client"])
    page = client.get(f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}")
    assert page.status_code == 200 and "Tiltak A Hemmelig" in page.get_data(as_text=True)
    response = upload(client, "action_item", a["action"].id, description="Kvittering")
    assert response.status_code == 302
    [evidence] = rows(db, target_type="action_item", target_id=a["action"].id, original_name="rapport.pdf")
    assert evidence.status == "pending" and evidence.uploaded_by == a["client"].id
    assert evidence.year_id == a["year"].id and evidence.description == "Kvittering"
    import hashlib

    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert "rapport" not in evidence.file_key  # generated storage names
    download = client.get(f"/t/tenant-a/evidence/{evidence.id}/download")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_consultants_own_upload_counts_as_verified_by_them(client, db, a):
    login(client, a["consultant"])
    assert upload(client, "hazard", a["hazard"].id).status_code == 302
    [evidence] = rows(db, target_type="hazard")
    assert evidence.status == "verified" and evidence.verified_by == a["consultant"].id and evidence.verified_at


def test_the_download_of_a_row_whose_file_is_missing_answers_404_not_500(client, a):
    login(client, a["consultant"])
    response = client.get(f"/t/tenant-a/evidence/{a['evidence'].id}/download")
    assert response.status_code == 404


def test_a_client_contact_of_another_company_gets_404(client, db, a):
    from tests import factories

    stranger = factories.make_user(db, a["tenant"], roles=("client",), email="fremmed@example.no")
    factories.make_contact(db, a["other_company"], user=stranger)
    db.commit()
    login(client, stranger)
    assert client.get(f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}").status_code == 404
    assert upload(client, "action_item", a["action"].id).status_code == 404
    assert client.get(f"/t/tenant-a/evidence/{a['evidence'].id}").status_code == 404
    assert client.get(f"/t/tenant-a/evidence/{a['evidence'].id}/download").status_code == 404
    assert rows(db, target_type="action_item", original_name="rapport.pdf") == []


@pytest.mark.parametrize("target_type,key", [
    ("action_item", "action"), ("checklist_answer", "answer"), ("physical_mapping", "mapping"),
    ("psychosocial_mapping", "psy_mapping"), ("physical_mapping_report", "mapping"),
    ("psychosocial_mapping_report", "psy_mapping"), ("hazard", "hazard"), ("risk_assessment", "assessment"),
    ("safety_round", "safety_round"), ("compliance_check", "compliance_check"),
])
def test_every_kind_of_work_can_carry_files(client, db, a, target_type, key):
    login(client, a["consultant"])
    assert upload(client, target_type, a[key].id).status_code == 302
    [evidence] = rows(db, target_type=target_type, original_name="rapport.pdf")
    assert evidence.year_id == a["year"].id and evidence.target_id == a[key].id


def test_an_uploaded_report_becomes_the_mappings_report(client, db, a):
    login(client, a["consultant"])
    upload(client, "physical_mapping_report", a["mapping"].id)
    [evidence] = rows(db, target_type="physical_mapping_report")
    fresh(db)
    db.refresh(a["mapping"])
    assert a["mapping"].report_evidence_id == evidence.id


def test_unknown_target_types_and_ids_answer_404(client, a):
    login(client, a["consultant"])
    assert client.get("/t/tenant-a/evidence/new?target_type=users&target_id=1").status_code == 404
    assert client.get("/t/tenant-a/evidence/new?target_type=action_item&target_id=999999").status_code == 404
    assert client.get("/t/tenant-a/evidence/new?target_type=action_item&target_id=abc").status_code == 404
    assert client.get("/t/tenant-a/evidence/new").status_code == 404


def test_a_form_without_a_file_is_refused_with_a_field_error(client, db, a):
    login(client, a["client"])
    response = client.post(f"/t/tenant-a/evidence/new?target_type=action_item&target_id={a['action'].id}", data={})
    assert response.status_code == 422 and "Velg en fil" in response.get_data(as_text=True)


def test_replace_keeps_every_version_downloadable_in_the_history(client, db, a):
    login(client, a["client"])
    upload(client, "action_item", a["action"].id, data=PDF + b"v1", name="v1.pdf")
    [first] = rows(db, original_name="v1.pdf")
    response = client.post(f"/t/tenant-a/evidence/{first.id}/replace", data={"file": (io.BytesIO(PDF + b"v2"), "v2.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    [second] = rows(db, original_name="v2.pdf")
    fresh(db)
    db.refresh(first)
    assert second.replaces_id == first.id and first.superseded and not second.superseded
    history = client.get(f"/t/tenant-a/evidence/{first.id}").get_data(as_text=True)
    assert "v1.pdf" in history and "v2.pdf" in history and "Erstattet" in history
    assert client.get(f"/t/tenant-a/evidence/{first.id}/download").data == PDF + b"v1"
    assert client.get(f"/t/tenant-a/evidence/{second.id}/download").data == PDF + b"v2"
    # an old version cannot be replaced again: the history stays a single line
    again = client.post(f"/t/tenant-a/evidence/{first.id}/replace", data={"file": (io.BytesIO(PDF), "v3.pdf")},
                        content_type="multipart/form-data")
    assert again.status_code == 422 and rows(db, original_name="v3.pdf") == []


def test_a_consultant_verifies_and_the_product_records_who_and_when(client, db, a):
    login(client, a["client"])
    upload(client, "action_item", a["action"].id, name="bevis.pdf")
    [evidence] = rows(db, original_name="bevis.pdf")
    evidence_id = evidence.id
    assert client.post(f"/t/tenant-a/evidence/{evidence_id}/verify", data={"status": "verified"}).status_code == 403
    client.post("/logout")
    fresh(db)
    login(client, a["consultant"])
    assert "bevis.pdf" in client.get("/t/tenant-a/evidence/").get_data(as_text=True)
    response = client.post(f"/t/tenant-a/evidence/{evidence_id}/verify", data={"status": "verified", "note": "Ser bra ut"})
    assert response.status_code == 302
    fresh(db)
    assert evidence.status == "verified" and evidence.verified_by == a["consultant"].id
    assert evidence.verified_at is not None and evidence.review_note == "Ser bra ut"
    assert "bevis.pdf" not in client.get("/t/tenant-a/evidence/").get_data(as_text=True)


def test_a_rejection_needs_a_note(client, db, a):
    login(client, a["client"])
    upload(client, "action_item", a["action"].id, name="uklar.pdf")
    [evidence] = rows(db, original_name="uklar.pdf")
    evidence_id = evidence.id
    client.post("/logout")
    fresh(db)
    login(client, a["consultant"])
    response = client.post(f"/t/tenant-a/evidence/{evidence_id}/verify", data={"status": "rejected", "note": ""})
    assert response.status_code == 422 and "Skriv hvorfor" in response.get_data(as_text=True)
    fresh(db)
    assert evidence.status == "pending" and evidence.verified_by is None
    client.post(f"/t/tenant-a/evidence/{evidence_id}/verify", data={"status": "rejected", "note": "Bildet er uskarpt"})
    fresh(db)
    assert evidence.status == "rejected" and evidence.review_note == "Bildet er uskarpt"


def test_the_review_list_shows_only_my_companies_unless_everyone_is_asked_for(client, db, a):
    from saas.hms.models import CertificationYear

    other_year = CertificationYear(company_id=a["other_company"].id, year=2026)
    db.add(other_year)
    db.flush()
    db.add(Evidence(year_id=other_year.id, target_type="action_item", target_id=a["action"].id, file_key="0000/" + "c" * 32 + ".pdf",
                    original_name="annen-kunde.pdf", content_type="application/pdf", size=1, sha256="0" * 64))
    db.commit()
    login(client, a["consultant"])
    assert "annen-kunde.pdf" not in client.get("/t/tenant-a/evidence/").get_data(as_text=True)
    assert "annen-kunde.pdf" in client.get("/t/tenant-a/evidence/?alle=1").get_data(as_text=True)


def test_redirects_after_upload_stay_inside_the_tenant(client, db, a):
    login(client, a["client"])
    response = upload(client, "action_item", a["action"].id, next="https://evil.example/")
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    response = upload(client, "action_item", a["action"].id, next="/t/tenant-a/work/mine")
    assert response.headers["Location"].endswith("/t/tenant-a/work/mine")


def test_control_characters_in_the_description_are_refused_not_a_server_error(client, db, a):
    login(client, a["client"])
    response = upload(client, "action_item", a["action"].id, description="før\x00etter")
    # Refused before any view runs (saas/hygiene.py), with the Norwegian message.
    assert response.status_code in (400, 422) and "ugyldige tegn" in response.get_data(as_text=True)
    assert rows(db, original_name="rapport.pdf") == []
