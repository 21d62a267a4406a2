"""The archive: a case is not deleted before its retention ends; the case file export is one PDF with the
index and the history, and a ZIP with the evidence, made by a background job."""
import io
import zipfile
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, select

from saas.audits.archive import RetentionNotEnded, retention_ends
from saas.audits.models import Finding
from saas.jobs import BackgroundTask
from tests.audit_helpers import audit_world, certified
from tests.conftest import login


@pytest.fixture
def w(app, db):
    with app.test_request_context():
        world = audit_world(db)
        world["case"] = certified(world)
        db.commit()
        yield world


def test_nothing_in_a_case_is_deleted_before_its_retention_ends(w, db):
    case = w["case"]
    assert retention_ends(case) == date(2036, 3, 10)  # 10 years after the decision
    with pytest.raises(RetentionNotEnded):
        db.delete(case.findings[0])
        db.flush()
    db.rollback()
    with pytest.raises(RetentionNotEnded):
        db.execute(delete(Finding).where(Finding.case_id == case.id))


def test_the_case_file_export_has_the_index_history_and_evidence(client, w, db):
    from saas import storage
    from saas.audits.services import cases

    stored = storage.save_bytes(b"%PDF-1.4 bevis", "pdf", "Instruktøroversikt.pdf", "application/pdf")
    cases.add_file(db, w["lead"], w["case"], "document", stored)
    db.commit()
    login(client, w["admin"])
    slug = w["tenant"].slug
    response = client.post(f"/t/{slug}/audits/cases/{w['case'].id}/export")
    assert response.status_code == 302
    task_id = int(response.headers["Location"].rsplit("export=", 1)[1])
    task = db.scalar(select(BackgroundTask).where(BackgroundTask.id == task_id))
    assert task.status == "done", task.message
    download = client.get(f"/t/{slug}/audits/cases/{w['case'].id}/export/{task_id}")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = archive.namelist()
    assert f"sak-{w['case'].id}/saksmappe.pdf" in names
    evidence = [n for n in names if "/bevis/" in n]
    assert len(evidence) == 1 and evidence[0].endswith("Instruktøroversikt.pdf")
    assert archive.read(evidence[0]) == b"%PDF-1.4 bevis"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(names[0]))).pages)
    assert "Innhold" in text and "Historikk" in text and "Kranskolen AS" in text and "audit.approved" in text
    assert client.get(f"/t/{slug}/audits/cases/{w['case'].id}/export/999999").status_code == 404


def test_the_export_through_the_api(client, w, db):
    from saas.auth import create_api_token

    _, token = create_api_token(db, w["admin"], "t")
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    slug = w["tenant"].slug
    started = client.post(f"/api/v1/t/{slug}/audit-cases/{w['case'].id}/export", headers=headers, json={})
    assert started.status_code == 202
    task_id = started.get_json()["task_id"]
    download = client.get(f"/api/v1/t/{slug}/audit-cases/{w['case'].id}/export/{task_id}", headers=headers)
    assert download.status_code == 200 and zipfile.ZipFile(io.BytesIO(download.data)).namelist()
