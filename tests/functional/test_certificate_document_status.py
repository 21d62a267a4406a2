"""Document status for the certificate PDF (issue 13, point 7): the certificate page and the download page show
queued / rendering / ready / failed, a JSON status lets the page follow it without a reload, and a failed
render says why (to staff) and can be retried, after which the PDF is there."""
from __future__ import annotations

from sqlalchemy import select

from saas.certification import documents
from saas.db import utcnow
from saas.outbox import OutboxJob, job_key
from saas.tenancy import bind_tenant
from tests.conftest import login
from tests.integration.test_certificate_pdf_downloads import d, pdf_url  # noqa: F401  (fixture)


def _status(client, certificate):
    return client.get(f"/t/bt/certificates/{certificate.id}/pdf/status").get_json()


def _page(client, certificate):
    return client.get(f"/t/bt/certification/certificates/{certificate.id}").get_data(as_text=True)


def test_a_stored_pdf_is_ready_with_its_download_link(client, d):
    login(client, d["consultant"])
    status = _status(client, d["certificate"])
    assert status["state"] == "ready" and status["pdf_url"] == pdf_url(d["certificate"])
    assert 'data-doc-state="ready"' in _page(client, d["certificate"])


def test_a_certificate_without_a_document_or_job_can_have_its_pdf_made(client, d):
    login(client, d["consultant"])
    assert _status(client, d["other_certificate"])["state"] == "none"
    page = _page(client, d["other_certificate"])
    assert 'data-doc-state="none"' in page and "Lag PDF" in page
    response = client.post(f"/t/bt/certificates/{d['other_certificate'].id}/pdf/retry",
                           data={"next": f"/t/bt/certification/certificates/{d['other_certificate'].id}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/certificates/{d['other_certificate'].id}")
    assert _status(client, d["other_certificate"])["state"] == "ready"


def test_queued_and_rendering_follow_the_render_jobs_row(client, db, d):
    bind_tenant(db, d["tenant"].id)
    key = job_key(documents.render_job_id(d["other_certificate"].id))
    row = OutboxJob(tenant_id=d["tenant"].id, job_key=key, name="saas.certification.document_jobs.render_certificate_document",
                    args=[d["other_certificate"].id], status="pending", attempts=0, last_error="")
    db.add(row)
    db.commit()
    login(client, d["consultant"])
    assert _status(client, d["other_certificate"])["state"] == "queued"
    page = _page(client, d["other_certificate"])
    assert 'data-doc-state="queued"' in page and "I kø" in page and "data-doc-status-url" in page
    bind_tenant(db, d["tenant"].id)
    db.scalar(select(OutboxJob).where(OutboxJob.job_key == key)).dispatched_at = utcnow()
    db.commit()
    status = _status(client, d["other_certificate"])
    assert status["state"] == "rendering" and status["label"] == "Lages nå"


def test_a_failed_render_shows_failed_with_its_reason_and_a_retry_that_works(client, db, d, monkeypatch):
    real_render = documents.render_certificate

    def broken(data):
        raise RuntimeError("Skrifttypen DejaVu Serif mangler")

    monkeypatch.setattr(documents, "render_certificate", broken)
    login(client, d["consultant"])
    first = client.get(pdf_url(d["other_certificate"]))  # asks for the render; the job fails after the commit
    assert first.status_code == 202

    status = _status(client, d["other_certificate"])
    assert status["state"] == "failed" and status["label"] == "Feilet"
    assert "Skrifttypen DejaVu Serif mangler" in status["error"] and status["pdf_url"] is None
    page = _page(client, d["other_certificate"])
    assert 'data-doc-state="failed"' in page and "Feilet" in page and "Skrifttypen DejaVu Serif mangler" in page
    assert "Prøv igjen" in page
    download = client.get(pdf_url(d["other_certificate"])).get_data(as_text=True)
    assert "Sertifikatet kunne ikke lages" in download and "Skrifttypen DejaVu Serif mangler" in download

    client.post("/logout")
    login(client, d["client"])  # a client contact sees that it failed, not the worker's error
    assert _status(client, d["certificate"])["state"] == "ready"
    client.post("/logout")

    monkeypatch.setattr(documents, "render_certificate", real_render)
    login(client, d["consultant"])
    retried = client.post(f"/t/bt/certificates/{d['other_certificate'].id}/pdf/retry",
                          data={"next": f"/t/bt/certification/certificates/{d['other_certificate'].id}"})
    assert retried.status_code == 302
    assert _status(client, d["other_certificate"])["state"] == "ready"
    ready = client.get(pdf_url(d["other_certificate"]))
    assert ready.status_code == 200 and ready.mimetype == "application/pdf"


def test_clients_see_a_failure_without_the_workers_error_and_other_tenants_get_404(app, client, db, d, monkeypatch):
    monkeypatch.setattr(documents, "render_certificate", lambda data: (_ for _ in ()).throw(RuntimeError("intern feil 42")))
    bind_tenant(db, d["tenant"].id)
    db.delete(db.scalar(select(documents.CertificateDocument).where(
        documents.CertificateDocument.certificate_id == d["certificate"].id)))
    db.commit()
    login(client, d["client"])
    client.get(pdf_url(d["certificate"]))
    status = _status(client, d["certificate"])
    assert status["state"] == "failed" and status["error"] == ""
    assert "intern feil 42" not in client.get(pdf_url(d["certificate"])).get_data(as_text=True)
    assert client.get(f"/t/bt/certificates/{d['other_certificate'].id}/pdf/status").status_code == 404  # not their company

    stranger = app.test_client()
    login(stranger, d["stranger"])
    assert stranger.get(f"/t/bt/certificates/{d['certificate'].id}/pdf/status").status_code == 404
    assert stranger.post(f"/t/bt/certificates/{d['certificate'].id}/pdf/retry").status_code == 404
    assert stranger.get(f"/t/andre/certificates/{d['certificate'].id}/pdf/status").status_code == 404
    assert stranger.post(f"/t/andre/certificates/{d['certificate'].id}/pdf/retry").status_code == 404


def test_the_status_speaks_english_on_an_english_page(client, db, d):
    login(client, d["consultant"])
    client.post("/lang/en", data={"next": "/"})
    assert _status(client, d["other_certificate"])["label"] == "Not made yet"
    page = _page(client, d["other_certificate"])
    assert "Certificate PDF" in page and "Make the PDF" in page and "Lag PDF" not in page



def test_the_api_reports_a_failed_render_with_its_reason_and_asking_for_the_pdf_retries_it(client, d, monkeypatch):
    real_render = documents.render_certificate
    monkeypatch.setattr(documents, "render_certificate", lambda data: (_ for _ in ()).throw(RuntimeError("Skriften mangler")))
    staff = {"Authorization": f"Bearer {d['tokens']['consultant']}"}
    base = f"/api/v1/t/bt/certificates/{d['other_certificate'].id}"
    assert client.get(f"{base}/pdf", headers=staff).status_code == 202  # asks; the job fails after the commit
    meta = client.get(f"{base}/document", headers=staff).get_json()
    assert meta["status"] == "failed" and "Skriften mangler" in meta["error"]

    monkeypatch.setattr(documents, "render_certificate", real_render)
    assert client.get(f"{base}/pdf", headers=staff).status_code == 202  # re-arms the failed job
    assert client.get(f"{base}/document", headers=staff).get_json()["status"] == "ready"
