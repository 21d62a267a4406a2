"""Downloading the framed PDF (UI and API), for staff and for client contacts of the company only; the
decision over HTTP renders it right after the commit; the settings preview with sample data."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from saas.auth import create_api_token
from saas.certification import documents
from saas.certification.demo import complete_year
from saas.certification.document_models import CertificateDocument
from saas.certification.services import decisions
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import login
from tests.integration.test_certificate_pdf import branded_tenant, certified_company, pdf_text, stored_pdf


@pytest.fixture
def d(app, db):
    with app.app_context():
        today = today_in_oslo()
        tenant = branded_tenant(db, slug="bt")
        admin = factories.make_user(db, tenant, roles=("admin",))
        consultant = factories.make_user(db, tenant, roles=("consultant",))
        reviewer = factories.make_user(db, tenant, roles=("reviewer",))
        company, certificate = certified_company(db, tenant, today=today)
        other_company, other_certificate = certified_company(db, tenant, today=today, name="Naboen AS")
        client_user = factories.make_user(db, tenant, roles=("client",))
        factories.make_contact(db, company, user=client_user)
        documents.render_and_store(db, certificate.id)
        document, pdf = stored_pdf(db, certificate.id)
        tokens = {name: create_api_token(db, user, "test")[1] for name, user in
                  (("consultant", consultant), ("client", client_user))}
        stranger = factories.make_user(db, factories.make_tenant(db, slug="andre"), roles=("admin", "consultant", "reviewer"))
        data = dict(tenant=tenant, admin=admin, consultant=consultant, reviewer=reviewer, client=client_user, stranger=stranger,
                    company=company, certificate=certificate, other_certificate=other_certificate, document=document,
                    pdf=pdf, tokens=tokens, today=today)
        bind_tenant(db, None)
        db.commit()
    return data


def pdf_url(certificate) -> str:
    return f"/t/bt/certificates/{certificate.id}/pdf"


def test_staff_download_the_stored_pdf_as_an_attachment(client, d):
    login(client, d["consultant"])
    response = client.get(pdf_url(d["certificate"]))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"HMS-sertifikat-{d['certificate'].number}.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(response.data).hexdigest() == d["document"].sha256


def test_a_client_contact_downloads_only_their_own_companys_certificate(client, d):
    login(client, d["client"])

    assert client.get(pdf_url(d["certificate"])).data == d["pdf"]
    assert client.get(pdf_url(d["other_certificate"])).status_code == 404


def test_another_tenants_user_gets_404_and_an_anonymous_visitor_is_sent_to_login(app, client, d):
    login(client, d["stranger"])
    assert client.get(pdf_url(d["certificate"])).status_code == 404
    assert client.get(f"/t/andre/certificates/{d['certificate'].id}/pdf").status_code == 404

    anonymous = app.test_client().get(pdf_url(d["certificate"]))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_certificate_not_yet_rendered_gets_a_waiting_page_and_then_the_pdf(client, db, d):
    login(client, d["consultant"])
    waiting = client.get(pdf_url(d["other_certificate"]))

    assert waiting.status_code == 202
    body = waiting.get_data(as_text=True)
    assert "Sertifikatet lages" in body and 'data-doc-state="queued"' in body  # app.js follows it without a reload
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in body
    ready = client.get(pdf_url(d["other_certificate"]))  # the render ran after the first request committed
    assert ready.status_code == 200 and d["other_certificate"].number in pdf_text(ready.data)


def test_a_decision_over_http_issues_a_certificate_whose_pdf_is_there_right_after(app, client, db, d):
    with app.app_context():
        bind_tenant(db, d["tenant"].id)
        company = factories.make_company(db, d["tenant"], consultant_id=d["consultant"].id, name="Ny Kunde AS")
        year = complete_year(db, company, d["consultant"], d["today"])
        proposal = decisions.propose(db, d["consultant"], year.id, {"cert_class": "A", "b_alternative": False,
                                                                     "justification": ""}, d["today"])
        db.flush()
        bind_tenant(db, None)
        db.commit()
    login(client, d["reviewer"])

    response = client.post(f"/t/bt/certification/proposals/{proposal.id}/decision", data={"outcome": "approve"})

    assert response.status_code == 302
    certificate_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with platform_access(db):
        assert db.scalar(select(func.count(CertificateDocument.id)).where(CertificateDocument.certificate_id == certificate_id)) == 1
    download = client.get(f"/t/bt/certificates/{certificate_id}/pdf")
    assert download.status_code == 200 and "Ny Kunde AS" in pdf_text(download.data)


def test_the_api_gives_the_pdf_its_hash_and_the_current_verification(client, d):
    headers = {"Authorization": f"Bearer {d['tokens']['consultant']}"}
    base = f"/api/v1/t/bt/certificates/{d['certificate'].id}"

    pdf = client.get(f"{base}/pdf", headers=headers)
    meta = client.get(f"{base}/document", headers=headers).get_json()
    verification = client.get(f"{base}/verification", headers=headers).get_json()

    assert pdf.status_code == 200 and pdf.data == d["pdf"]
    assert (meta["status"], meta["sha256"], meta["size"]) == ("ready", d["document"].sha256, len(d["pdf"]))
    assert meta["pdf_url"] == f"{base}/pdf" and "file_key" not in meta
    assert verification["state"] == "active" and verification["number"] == d["certificate"].number
    assert verification["verification_url"].endswith(f"/verify/{d['certificate'].verification_code}")


def test_the_api_keeps_a_client_contact_to_their_own_companies(client, d):
    headers = {"Authorization": f"Bearer {d['tokens']['client']}"}
    own = f"/api/v1/t/bt/certificates/{d['certificate'].id}"
    other = f"/api/v1/t/bt/certificates/{d['other_certificate'].id}"

    assert client.get(f"{own}/pdf", headers=headers).status_code == 200
    for suffix in ("pdf", "document", "verification"):
        assert client.get(f"{other}/{suffix}", headers=headers).status_code == 404
    assert client.get(f"{own}/pdf").status_code == 401


def test_the_api_says_rendering_until_the_job_has_run(client, d):
    headers = {"Authorization": f"Bearer {d['tokens']['consultant']}"}
    base = f"/api/v1/t/bt/certificates/{d['other_certificate'].id}"

    assert client.get(f"{base}/document", headers=headers).get_json()["status"] == "none"  # nobody asked yet
    waiting = client.get(f"{base}/pdf", headers=headers)
    assert waiting.status_code == 202 and waiting.get_json()["status"] == "rendering"
    assert client.get(f"{base}/document", headers=headers).get_json()["status"] == "ready"


def test_the_openapi_document_lists_the_certificate_document_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    for suffix in ("pdf", "document", "verification"):
        assert f"/api/v1/t/{{slug}}/certificates/{{certificate_id}}/{suffix}" in paths


def test_an_admin_previews_the_certificate_with_sample_data(client, d):
    login(client, d["admin"])
    response = client.get("/t/bt/settings/certificate-preview", query_string={"class": "A+"})

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    text = pdf_text(response.data)
    assert "FORHÅNDSVISNING" in text and "Eksempelbedriften Fjellstø AS" in text and "klasse A+" in text
    assert "Bedriftstjenesten Sør AS" in text


def test_only_an_admin_may_preview(client, d):
    login(client, d["consultant"])
    assert client.get("/t/bt/settings/certificate-preview").status_code == 403
