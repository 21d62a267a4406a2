"""The audit pages over HTTP: the case page for client and staff, the matrix, the auditor's page, the
programme, the certificate page, and /verify showing scheme, scope, sub-units and the live state."""
from datetime import date

import pytest
from sqlalchemy import select

from saas.certification.scheme_models import SchemeCertificate
from tests.audit_helpers import applied, audit_world, certified, reviewed_documents
from tests.conftest import login


@pytest.fixture
def w(app, db):
    with app.app_context():
        world = audit_world(db)
        db.commit()
        yield world


def test_a_client_applies_in_the_portal_and_sees_who_waits(client, w):
    login(client, w["client"])
    slug = w["tenant"].slug
    form = client.get(f"/t/{slug}/audits/apply")
    assert form.status_code == 200 and "Søknadskontrakt" in form.get_data(as_text=True)
    bad = client.post(f"/t/{slug}/audits/apply", data=dict(company_id=w["company"].id, scheme_id=w["scheme"].id,
                                                           scope_ids=[w["scopes"][0].id]))
    assert bad.status_code == 422 and "Søknadskontrakten må signeres" in bad.get_data(as_text=True)
    response = client.post(f"/t/{slug}/audits/apply", data=dict(
        company_id=w["company"].id, scheme_id=w["scheme"].id, scope_ids=[w["scopes"][0].id],
        sub_unit=[w["unit"].id], **{f"sub_unit_scopes-{w['unit'].id}": [w["scopes"][0].id]},
        contract_accepted="1", contract_signed_by="Kari Kunde"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-party="provider"' in page and "Tilbyderen vurderer søknaden" in page
    assert client.post(response.headers["Location"] + "/accept").status_code == 422  # staff only


def test_the_staff_case_page_matrix_and_audit_page(client, w, db):
    case = applied(w)
    db.commit()
    login(client, w["admin"])
    slug = w["tenant"].slug
    assert client.post(f"/t/{slug}/audits/cases/{case.id}/accept").status_code == 302
    client.post("/logout")
    login(client, w["client"])
    assert client.post(f"/t/{slug}/audits/cases/{case.id}/pre-evaluation", data={"answers": "Alt finnes"}).status_code == 302
    assert client.post(f"/t/{slug}/audits/cases/{case.id}/documents", data={"note": "Håndbok v3"}).status_code == 302
    client.post("/logout")
    login(client, w["lead"])
    matrix = client.get(f"/t/{slug}/audits/cases/{case.id}/matrix").get_data(as_text=True)
    assert "§ 8-1 a" in matrix and "Hvor dokumentert" in matrix
    from saas.audits.services.cases import requirements

    reqs = requirements(db, case)
    data = {f"assessment-{r.id}": "conform" for r in reqs} | {f"where-{r.id}": "Håndbok" for r in reqs}
    data[f"assessment-{reqs[0].id}"] = "nonconformity"
    assert client.post(f"/t/{slug}/audits/cases/{case.id}/matrix", data=data).status_code == 302
    assert client.post(f"/t/{slug}/audits/cases/{case.id}/document-review").status_code == 302
    page = client.get(f"/t/{slug}/audits/cases/{case.id}").get_data(as_text=True)
    assert "Mindre alvorlig avvik" in page and 'data-step="team"' in page
    audit_page = client.get(f"/t/{slug}/audits/cases/{case.id}/audit")
    assert audit_page.status_code == 200 and 'name="viewport"' in audit_page.get_data(as_text=True)


def test_verify_shows_scheme_scope_sub_units_and_a_suspension_at_once(client, w, db):
    case = certified(w)
    db.commit()
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Sertifisert opplæringsvirksomhet (§ 8-1)" in page
    assert w["scopes"][0].name in page and "Avdeling Drammen" in page and "Per Faglig" in page
    assert 'data-state="active"' in page and 'data-notice="marketing"' not in page
    login(client, w["admin"])
    slug = w["tenant"].slug
    response = client.post(f"/t/{slug}/audits/certificates/{certificate.id}/sanction",
                           data={"action": "suspend", "reason": "Alvorlig avvik ved kontroll"})
    assert response.status_code == 302
    client.post("/logout")
    page = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert 'data-state="suspended"' in page and "kan ikke brukes i markedsføring" in page
    body = client.get(f"/verify/{certificate.verification_code}.json").get_json()
    assert body["state"] == "suspended" and body["scopes"][0]["name"] == w["scopes"][0].name
    register = client.get(f"/t/{slug}/register").get_data(as_text=True)
    assert certificate.number in register and "Suspendert" in register


def test_a_scope_reduction_on_the_page_issues_a_new_certificate_that_supersedes_the_old(client, w, db):
    case = certified(w)
    db.commit()
    old = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    login(client, w["admin"])
    slug = w["tenant"].slug
    response = client.post(f"/t/{slug}/audits/certificates/{old.id}/reduce-scope",
                           data={"scope_ids": [w["scopes"][0].id], "reason": "Instruktør sluttet"})
    assert response.status_code == 302
    new_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "redusert" in new_page and old.number not in new_page.split("Historikk")[0].split("<h1>")[1]
    old_verify = client.get(f"/verify/{old.verification_code}").get_data(as_text=True)
    assert 'data-state="superseded"' in old_verify
    programme = client.get(f"/t/{slug}/audits/programme")
    assert programme.status_code == 200 and "Kranskolen AS" in programme.get_data(as_text=True)


def test_the_api_runs_the_same_steps_and_names_bad_fields(client, w, db):
    from saas.auth import create_api_token

    _, client_token = create_api_token(db, w["client"], "t")
    _, admin_token = create_api_token(db, w["admin"], "t")
    db.commit()
    slug = w["tenant"].slug
    as_client = {"Authorization": f"Bearer {client_token}"}
    as_admin = {"Authorization": f"Bearer {admin_token}"}
    bad = client.post(f"/api/v1/t/{slug}/audit-cases", headers=as_client, json={"company_id": w["company"].id})
    assert bad.status_code == 422 and "scheme_id" in bad.get_json()["fields"]
    created = client.post(f"/api/v1/t/{slug}/audit-cases", headers=as_client, json=dict(
        company_id=w["company"].id, scheme_id=w["scheme"].id, scope_ids=[w["scopes"][0].id],
        contract_accepted=True, contract_signed_by="Kari Kunde"))
    assert created.status_code == 201 and created.get_json()["party"] == "provider"
    case_id = created.get_json()["id"]
    refused = client.post(f"/api/v1/t/{slug}/audit-cases/{case_id}/accept", headers=as_client, json={})
    assert refused.status_code == 422 and refused.get_json()["error"] == "refused"
    accepted = client.post(f"/api/v1/t/{slug}/audit-cases/{case_id}/accept", headers=as_admin, json={})
    assert accepted.status_code == 200 and accepted.get_json()["step"] == "pre_evaluation"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/t/{slug}/audit-cases/{case_id}/team" in spec["paths"]
    assert "/api/v1/t/{slug}/scheme-certificates/{scheme_certificate_id}/sanction" in spec["paths"]


def test_the_certificate_pdf_shows_scope_and_sub_units(client, w, db):
    import io

    from pypdf import PdfReader

    case = certified(w)
    db.commit()  # the render job runs after the commit (JOBS_MODE=sync in tests)
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    db.refresh(certificate)
    assert certificate.document_key and len(certificate.document_sha256) == 64
    login(client, w["client"])
    response = client.get(f"/t/{w['tenant'].slug}/audits/certificates/{certificate.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Avdeling Drammen" in text and "Per Faglig" in text and w["scopes"][0].name in text and "4 år" in text


def test_the_case_page_in_english(client, w, db):
    case = applied(w)
    db.commit()
    login(client, w["admin"])
    client.post("/lang/en")
    from flask_babel import refresh

    refresh()  # the fixture's app context outlives requests, and Flask-Babel caches the locale on it
    page = client.get(f"/t/{w['tenant'].slug}/audits/cases/{case.id}").get_data(as_text=True)
    assert "Waiting for the provider" in page and "Accept the application" in page
    assert "The provider is reviewing the application and contract." in page
