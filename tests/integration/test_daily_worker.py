"""`saas daily` with REDIS_URL set, a real Redis and a real `rq worker`: every daily job finishes with its
effect, and a second run on the same day changes nothing (each effect happens once)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import time

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from saas.billing.models import Invoice
from saas.certification.demo import previous_certificate
from saas.certification.document_models import CertificateDocument
from saas.certification.models import Certificate
from saas.db import utcnow
from saas.hms.models import ActionItem, CertificationYear
from saas.outbox import DONE, OutboxJob, job_key
from saas.scheduler import daily_key, today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.integration.conftest import app_on_own_database
from tests.integration.rq_helpers import RQ, worker_env

pytestmark = [pytest.mark.redis]
OLD_LINK = "http://localhost/reset/" + "Q" * 43


@pytest.fixture
def daily_app(tmp_path, redis_server):
    with app_on_own_database("daily", tmp_path, REDIS_URL=redis_server.url) as app:
        yield app


def _world(app) -> dict:
    """One effect waiting for each kind of daily job."""
    today = today_in_oslo()
    db = app.extensions["saas.db"]
    with app.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="daglig")
        factories.give_bank_account(session)
        consultant = factories.make_user(session, tenant, roles=("consultant",))
        reviewer = factories.make_user(session, tenant, roles=("reviewer",))
        lapsed = factories.make_company(session, tenant, name="Utløpt AS")
        expiring = factories.make_company(session, tenant, name="Snart AS")
        crashed = factories.make_company(session, tenant, name="Krasj AS")
        for company in (lapsed, expiring, crashed):
            factories.make_contact(session, company, email=f"kontakt@{company.name.split()[0].lower()}.no")
        old = previous_certificate(session, tenant, lapsed, consultant, reviewer, today, issued_days_ago=400)
        soon = previous_certificate(session, tenant, expiring, consultant, reviewer, today, issued_days_ago=330)
        # Issued three days ago by a process that died before its jobs were recorded: no invoice, no PDF.
        lost = previous_certificate(session, tenant, crashed, consultant, reviewer, today, issued_days_ago=3)
        year = CertificationYear(company_id=crashed.id, year=today.year + 1, consultant_id=consultant.id)
        session.add(year)
        session.flush()
        session.add(ActionItem(year_id=year.id, title="Sikre reolene", deadline=today + timedelta(days=7)))
        with platform_access(session):
            session.add(OutboxMessage(to="x@example.no", subject="Gammel", body=f"Lenke: {OLD_LINK}", tenant_id=tenant.id,
                                      created_at=utcnow() - timedelta(days=20)))
        return dict(tenant_id=tenant.id, old=old.id, soon=soon.id, lost=lost.id, consultant_email=consultant.email)


def _effects(app, w) -> dict:
    with app.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, w["tenant_id"])
        state = session.scalar(select(Certificate.state).where(Certificate.id == w["old"]))
        invoices = session.scalar(select(func.count(Invoice.id)).where(Invoice.certificate_id == w["lost"]))
        documents = session.scalar(select(func.count(CertificateDocument.id)))
        with platform_access(session):
            mails = session.execute(select(OutboxMessage.to, OutboxMessage.subject).order_by(OutboxMessage.id)).all()
            old_body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.subject == "Gammel"))
            jobs = dict(session.execute(select(OutboxJob.job_key, OutboxJob.status)).all())
    return dict(expired=state, invoices=invoices, documents=documents, old_body=old_body, jobs=jobs,
                renewal=sum(1 for to, s in mails if s.startswith("Sertifikatet til Snart AS")),
                action=sum(1 for to, s in mails if "Sikre reolene" in s),
                invoice_mails=sum(1 for to, s in mails if s.startswith("Faktura")), mails=len(mails))


def _saas_daily(app, tmp_path, redis_url) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "saas"), "daily", "--wait", "200"],
                          env=worker_env(app, tmp_path, redis_url), capture_output=True, text=True, timeout=260)


def test_saas_daily_runs_every_daily_job_through_a_real_worker_and_twice_changes_nothing(daily_app, redis_server, tmp_path):
    w = _world(daily_app)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([RQ, "worker", "--with-scheduler", "--worker-class", "saas.jobs.PreloadedWorker",
                               "--url", redis_server.url, "default"], env=worker_env(daily_app, tmp_path, redis_server.url),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first = _saas_daily(daily_app, tmp_path, redis_server.url)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        after_first = _effects(daily_app, w)
        second = _saas_daily(daily_app, tmp_path, redis_server.url)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        after_second = _effects(daily_app, w)
        # The clock's tick (what `rq cron saas.cron` enqueues every minute) through the same worker.
        tick = Queue("default", connection=Redis.from_url(redis_server.url)).enqueue("saas.jobs.clock_tick")
        deadline = time.monotonic() + 120
        while tick.get_status(refresh=True) not in ("finished", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tick.get_status() == "finished" and tick.return_value()["swept"] == 0
        assert _effects(daily_app, w) == after_second
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        log.close()

    from saas import scheduler
    from saas.jobs import _import_job_modules

    _import_job_modules()
    DAILY_JOBS = scheduler.DAILY_JOBS
    today = today_in_oslo()
    keys = [job_key(daily_key(name, today)) for name in DAILY_JOBS]
    assert len(keys) >= 10 and all(after_first["jobs"][k] == DONE for k in keys), after_first["jobs"]
    assert all(status == DONE for status in after_first["jobs"].values()), after_first["jobs"]
    assert after_first["expired"] == "expired"  # expire_certificates
    assert after_first["renewal"] == 1  # send_renewal_reminders
    assert after_first["action"] >= 1  # send_action_reminders
    assert after_first["invoices"] == 1 and after_first["invoice_mails"] == 1  # the repair: an invoice, delivered
    assert after_first["documents"] == 3  # the repair renders every certificate without a PDF
    assert OLD_LINK not in after_first["old_body"] and "[fjernet]" in after_first["old_body"]  # purge_link_secrets
    assert "Startet: daily-" in first.stdout and f"{keys[0]}: done" in first.stdout
    # The same day again: nothing new anywhere.
    assert {k: v for k, v in after_second.items() if k != "jobs"} == {k: v for k, v in after_first.items() if k != "jobs"}
    assert after_second["jobs"] == after_first["jobs"]
