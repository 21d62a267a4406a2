"""The embedded default (SQLite, jobs in the in-process thread): certificates, invoices and a mapping report
are made by in-process jobs while other requests write at the same time, and no job fails or even needs a
second attempt ("database is locked" was the old failure)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from saas.app import create_app
from saas.auth import create_api_token
from saas.billing.models import Invoice
from saas.certification.demo import complete_year
from saas.certification.document_models import CertificateDocument
from saas.hms.models import PhysicalMapping
from saas.hms.services.reports import request_physical_report
from saas.norway import generate_valid_org_numbers
from saas.outbox import FAILED, PENDING, OutboxJob, wait_until_idle
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import app_config, create_database, drop_database

COMPANIES = 4
WRITES = 24


@pytest.fixture
def embedded_app(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.conftest.BACKEND", "sqlite")
    url = create_database("saas_test_embedded_jobs")
    app = create_app(app_config(url, tmp_path, JOBS_MODE="thread"))
    yield app
    wait_until_idle(app, 60)
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def _world(app) -> dict:
    db = app.extensions["saas.db"]
    today = today_in_oslo()
    with app.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="innebygd")
        factories.give_bank_account(session)
        consultant = factories.make_user(session, tenant, roles=("consultant",))
        reviewer = factories.make_user(session, tenant, roles=("reviewer",))
        years = []
        for n in range(COMPANIES):
            company = factories.make_company(session, tenant, consultant_id=consultant.id, name=f"Bedrift {n} AS")
            factories.make_contact(session, company, email=f"faktura{n}@example.no")
            years.append(complete_year(session, company, consultant, today).id)
        # One more company whose year stays open: its mapping report is asked for while the others are decided.
        reported = factories.make_company(session, tenant, consultant_id=consultant.id, name="Rapport AS")
        report_year = complete_year(session, reported, consultant, today).id
        mapping = session.scalar(select(PhysicalMapping).where(PhysicalMapping.year_id == report_year))
        return dict(tenant_id=tenant.id, years=years, mapping_id=mapping.id, consultant_id=consultant.id,
                    consultant={"Authorization": f"Bearer {create_api_token(session, consultant, 't')[1]}"},
                    reviewer={"Authorization": f"Bearer {create_api_token(session, reviewer, 't')[1]}"})


def test_in_process_jobs_never_fail_while_requests_write(embedded_app, caplog):
    app, w = embedded_app, _world(embedded_app)
    errors: list[str] = []

    def decide_every_year():
        client = app.test_client()
        for year_id in w["years"]:
            proposal = client.post(f"/api/v1/t/innebygd/years/{year_id}/proposals", headers=w["consultant"], json={"cert_class": "A"})
            decided = client.post(f"/api/v1/t/innebygd/proposals/{proposal.get_json()['id']}/decision", headers=w["reviewer"],
                                  json={"outcome": "approve"})
            if decided.status_code != 201:
                errors.append(f"decision {decided.status_code}: {decided.get_data(as_text=True)[:300]}")

    def write_companies(seed: int):
        client = app.test_client()
        for number in generate_valid_org_numbers(seed, WRITES):
            response = client.post("/api/v1/t/innebygd/companies", headers=w["consultant"],
                                   json={"name": f"Skriver {number} AS", "org_number": number})
            if response.status_code != 201:
                errors.append(f"company {response.status_code}: {response.get_data(as_text=True)[:300]}")

    def ask_for_the_mapping_report():
        db = app.extensions["saas.db"]
        with app.test_request_context(), db.session_scope() as session:
            bind_tenant(session, w["tenant_id"])
            from saas.hms.models import CertificationYear
            from saas.tenants.models import User

            mapping = session.get(PhysicalMapping, w["mapping_id"])
            year = session.get(CertificationYear, mapping.year_id)
            request_physical_report(session, session.get(User, w["consultant_id"]), year, mapping)

    threads = [threading.Thread(target=decide_every_year), threading.Thread(target=write_companies, args=(8123,)),
               threading.Thread(target=write_companies, args=(9456,)), threading.Thread(target=ask_for_the_mapping_report)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors

    db = app.extensions["saas.db"]
    for _ in range(100):  # jobs start jobs (an invoice starts its delivery): wait until nothing is pending
        assert wait_until_idle(app, 120)
        with db.session_scope(write_lock=False) as session, platform_access(session):
            if not session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.status == PENDING)):
                break
    with db.session_scope(write_lock=False) as session:
        with platform_access(session):
            jobs = session.execute(select(OutboxJob.job_key, OutboxJob.status, OutboxJob.attempts, OutboxJob.last_error)).all()
        bind_tenant(session, w["tenant_id"])
        documents = session.scalar(select(func.count(CertificateDocument.id)))
        invoices = session.scalar(select(func.count(Invoice.id)).where(Invoice.sent_at.is_not(None)))
        mapping = session.get(PhysicalMapping, w["mapping_id"])
        generated = mapping.report_generated_version
    assert [j for j in jobs if j.status == FAILED or j.attempts] == []  # 0 failed jobs, not even a failed attempt
    assert {j.status for j in jobs} == {"done"}
    assert len(jobs) >= 3 * COMPANIES + 1  # a render, an invoice and its delivery per certificate, and the report
    assert documents == COMPANIES and invoices == COMPANIES and generated == 1
    assert not [r for r in caplog.records if "database is locked" in r.getMessage()]  # not even a retried lock error
