"""Complaints and appeals for every scheme: the public form on the verification page, acknowledged at
once, assessed, handled and decided by people not involved, the outcome told, statistics per year."""
import pytest
from sqlalchemy import select

from saas.certification import complaints
from saas.certification.complaint_models import Complaint
from saas.tenancy import platform_access
from saas.tenants.models import OutboxMessage
from tests.audit_helpers import audit_world, certified
from tests.conftest import login


@pytest.fixture
def w(app, db):
    with app.test_request_context():
        world = audit_world(db)
        case = certified(world)
        from saas.certification.scheme_models import SchemeCertificate

        world["certificate"] = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
        db.commit()
        yield world


def test_the_public_complains_on_the_verification_page_and_is_answered(client, w, db):
    code = w["certificate"].verification_code
    assert "Klag på sertifikatet" in client.get(f"/verify/{code}").get_data(as_text=True)
    bad = client.post(f"/verify/{code}/complaint", data={"name": "Ola", "email": "nei", "text": "kort"})
    assert bad.status_code == 422
    sent = client.post(f"/verify/{code}/complaint", data={"kind": "complaint", "name": "Ola Kjøper",
                                                          "email": "ola@example.no",
                                                          "text": "Kurset ble holdt uten instruktør til stede."})
    assert sent.status_code == 200 and "Referanse" in sent.get_data(as_text=True)
    assert client.post("/verify/" + "x" * 22 + "/complaint", data={"name": "Ola", "email": "ola@example.no",
                                                                   "text": "Noe galt med sertifikatet"}).status_code == 404
    with platform_access(db):
        complaint = db.scalar(select(Complaint).order_by(Complaint.id.desc()).limit(1))
        assert complaint.tenant_id == w["tenant"].id and complaint.acknowledged_on is not None
        assert db.scalar(select(OutboxMessage.to).where(OutboxMessage.subject.like("Vi har mottatt%"))) == "ola@example.no"
    slug = w["tenant"].slug
    # The lead auditor was involved in the certification: may not handle it.
    login(client, w["lead"])
    client.post(f"/t/{slug}/complaints/{complaint.id}/assess", data={"relevant": "1", "note": "Gjelder kurs"})
    refused = client.post(f"/t/{slug}/complaints/{complaint.id}/handle", data={"note": "Undersøkt"})
    assert refused.status_code == 422 and "involvert" in refused.get_data(as_text=True)
    client.post("/logout")
    login(client, w["admin"])
    assert client.post(f"/t/{slug}/complaints/{complaint.id}/handle", data={"note": "Undersøkt hos kunden"}).status_code == 302
    same = client.post(f"/t/{slug}/complaints/{complaint.id}/decide", data={"note": "Klagen tas til følge"})
    assert same.status_code == 422 and "annen enn den som behandlet" in same.get_data(as_text=True)
    client.post("/logout")
    login(client, w["outsider"])  # staff, not involved, not tied
    assert client.post(f"/t/{slug}/complaints/{complaint.id}/decide",
                       data={"note": "Klagen tas til følge; ekstra revisjon."}).status_code == 302
    assert client.post(f"/t/{slug}/complaints/{complaint.id}/tell").status_code == 302
    page = client.get(f"/t/{slug}/complaints/").get_data(as_text=True)
    assert 'data-year="' in page and "Avgjort og svar sendt" in page
    with platform_access(db):
        assert db.scalar(select(OutboxMessage.id).where(OutboxMessage.subject == "Resultatet av henvendelsen din"))


def test_statistics_count_per_year_and_kind(app, db, w):
    from datetime import date

    for kind in ("complaint", "complaint", "appeal"):
        complaints.register(db, w["admin"], dict(kind=kind, name="Per", email="per@example.no", text="Noe galt",
                                                 certificate_ref=""), date(2026, 4, 1))
    complaints.register(db, w["admin"], dict(kind="appeal", name="Per", email="per@example.no", text="Anke",
                                             certificate_ref=""), date(2025, 4, 1))
    rows, stats = complaints.listing(db)
    assert [(s["year"], s["complaints"], s["appeals"]) for s in stats] == [(2026, 2, 1), (2025, 0, 1)]


def test_the_complaints_api(client, w, db):
    from saas.auth import create_api_token

    _, token = create_api_token(db, w["admin"], "t")
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    slug = w["tenant"].slug
    bad = client.post(f"/api/v1/t/{slug}/complaints", headers=headers, json={"name": "Per"})
    assert bad.status_code == 422 and "email" in bad.get_json()["fields"]
    made = client.post(f"/api/v1/t/{slug}/complaints", headers=headers, json=dict(
        kind="appeal", name="Per Anker", email="per@example.no", text="Vi anker avslaget på søknaden."))
    assert made.status_code == 201 and made.get_json()["status"] == "received"
    complaint_id = made.get_json()["id"]
    step = client.post(f"/api/v1/t/{slug}/complaints/{complaint_id}/decide", headers=headers, json={"note": "Avgjort"})
    assert step.status_code == 422 and step.get_json()["error"] == "refused"
    listing = client.get(f"/api/v1/t/{slug}/complaints", headers=headers).get_json()
    assert listing["total"] == 1 and listing["statistics"][0]["appeals"] == 1
