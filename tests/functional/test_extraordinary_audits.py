"""Follow-up and extraordinary audits as cases of their own: opened from a nonconformity of a case or from a
complaint's decision, linked both ways and shown on both pages (web and API)."""
from datetime import date

import pytest
from sqlalchemy import select

from saas.audits.models import AuditCase
from saas.auth import create_api_token
from saas.certification import complaints
from saas.certification.scheme_models import SchemeCertificate
from saas.tenancy import bind_tenant
from tests.audit_helpers import applied, audit_world, audited, certified, reviewed_documents, team_named
from tests.conftest import login


@pytest.fixture
def w(app, db):
    with app.test_request_context():
        world = audit_world(db)
        db.commit()
    return world


def test_a_follow_up_audit_of_a_nonconformity_is_a_case_linked_both_ways(app, client, db, w):
    with app.test_request_context():
        bind_tenant(db, w["tenant"].id)
        case = applied(w)
        reviewed_documents(w, case, nonconformity=False)
        team_named(w, case)
        audited(w, case)  # one minor finding
        finding = next(f for f in case.findings if f.grade == "minor")
        case_id, finding_id = case.id, finding.id
        db.commit()
    slug = w["tenant"].slug
    login(client, w["client"])  # the company cannot open one
    refused = client.post(f"/t/{slug}/audits/cases/{case_id}/extraordinary",
                          data={"finding_id": finding_id, "reason": "Vi vil ha besøk"})
    assert refused.status_code == 422
    client.post("/logout")
    login(client, w["lead"])
    missing = client.post(f"/t/{slug}/audits/cases/{case_id}/extraordinary", data={"finding_id": finding_id})
    assert missing.status_code == 422 and 'id="x-reason-e"' in missing.get_data(as_text=True)
    made = client.post(f"/t/{slug}/audits/cases/{case_id}/extraordinary",
                       data={"finding_id": finding_id, "reason": "Besøk for å verifisere nye kursbevis",
                             "planned_on": "2026-04-10"})
    assert made.status_code == 302
    bind_tenant(db, w["tenant"].id)
    follow_up = db.scalar(select(AuditCase).where(AuditCase.origin_case_id == case_id))
    assert follow_up.kind == "extraordinary" and follow_up.origin_finding_id == finding_id
    assert follow_up.audit_planned_on == date(2026, 4, 10) and follow_up.scope_ids == sorted(case.scope_ids)
    origin_page = client.get(f"/t/{slug}/audits/cases/{case_id}").get_data(as_text=True)
    assert f'data-follow-up="{follow_up.id}"' in origin_page and "Besøk for å verifisere nye kursbevis" in origin_page
    page = client.get(f"/t/{slug}/audits/cases/{follow_up.id}").get_data(as_text=True)
    assert f'data-origin-case="{case_id}"' in page and f"#funn-{finding_id}" in page
    assert "Ekstraordinær revisjon" in page and 'data-party="provider"' in page  # the team is named next
    # The API shows the same links.
    bind_tenant(db, w["tenant"].id)
    _, token = create_api_token(db, w["lead"], "t")
    db.commit()
    body = client.get(f"/api/v1/t/{slug}/audit-cases/{case_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [k["id"] for k in body["follow_ups"]] == [follow_up.id]
    other = client.get(f"/api/v1/t/{slug}/audit-cases/{follow_up.id}", headers={"Authorization": f"Bearer {token}"})
    assert other.get_json()["origin_case_id"] == case_id and other.get_json()["origin_finding_id"] == finding_id


def test_a_complaint_decision_leads_to_an_extraordinary_audit_linked_both_ways(app, client, db, w):
    with app.test_request_context():
        bind_tenant(db, w["tenant"].id)
        case = certified(w)
        certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
        complaint = complaints.register(db, w["admin"], dict(kind="complaint", company_id=w["company"].id,
                                                             scheme_id=w["scheme"].id, name="Ola Kursdeltaker",
                                                             email="ola@example.no",
                                                             text="Kurset varte to timer, ikke to dager."),
                                        date(2026, 5, 2))
        complaint_id = complaint.id
        db.commit()
    slug = w["tenant"].slug
    login(client, w["admin"])
    early = client.post(f"/t/{slug}/complaints/{complaint_id}/extraordinary-audit",
                        data={"reason": "Kontroll av kursets varighet"})
    assert early.status_code == 422 and "må være avgjort" in early.get_data(as_text=True)
    bind_tenant(db, w["tenant"].id)
    row = complaints.get(db, complaint_id)
    row.relevant, row.handling_note, row.handler_id = True, "Undersøkt", w["outsider"].id
    row.decided_on, row.decided_by, row.outcome = date(2026, 5, 20), w["reviewer"].id, "Ekstraordinær revisjon"
    db.commit()
    made = client.post(f"/t/{slug}/complaints/{complaint_id}/extraordinary-audit",
                       data={"reason": "Kontroll av kursets varighet etter klage"})
    assert made.status_code == 302
    bind_tenant(db, w["tenant"].id)
    audit_case = db.scalar(select(AuditCase).where(AuditCase.complaint_id == complaint_id))
    assert audit_case.kind == "extraordinary" and audit_case.certificate_id == certificate.id
    assert made.headers["Location"].endswith(f"/audits/cases/{audit_case.id}")
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert f'data-complaint="{complaint_id}"' in page and f"/complaints/{complaint_id}" in page
    complaint_page = client.get(f"/t/{slug}/complaints/{complaint_id}").get_data(as_text=True)
    assert f'data-audit-case="{audit_case.id}"' in complaint_page
    _, token = create_api_token(db, w["admin"], "t")
    db.commit()
    body = client.get(f"/api/v1/t/{slug}/complaints/{complaint_id}", headers={"Authorization": f"Bearer {token}"})
    assert [k["id"] for k in body.get_json()["audit_cases"]] == [audit_case.id]
    # The certificate is kept: an approved extraordinary audit issues none.
    bind_tenant(db, w["tenant"].id)
    assert db.get(SchemeCertificate, certificate.id).state == "active"
