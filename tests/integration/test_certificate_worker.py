"""The certificate render through a real RQ worker on Redis, killed in the middle of its work.

A worker process is started (not in burst mode) with the render paused at a chosen point; once the pause
is reached, the worker and its work horse (RQ puts the horse in a process group of its own) get SIGKILL.  The
clock's sweeper then finds the job abandoned in RQ's StartedJobRegistry (once the dead worker's heartbeat has
expired), RQ's Retry schedules it again, and a fresh worker finishes it.  Whatever the point of the kill,
exactly one document row and one file remain, the file's SHA-256 is the stored one, and the outbox says done.
"""
import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from saas.certification import documents
from saas.certification.demo import previous_certificate
from saas.certification.document_models import CertificateDocument
from saas.certification.models import Certificate
from saas.i18n import today_in_oslo
from saas.outbox import DONE, OutboxJob, sweep
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import SECRET_KEY
from tests.integration.conftest import app_on_own_database
from tests.integration.rq_helpers import burst_worker

pytestmark = [pytest.mark.redis, pytest.mark.real_clock]  # the worker subprocess keeps the real time

# Runs `rq worker` with the render paused (PAUSE_AT=render: inside WeasyPrint's part; PAUSE_AT=stored:
# after the file is written, before the transaction commits) and a marker file written at the pause.
PAUSED_WORKER = r"""
import os, pathlib, sys, time
from saas.certification import documents

marker = pathlib.Path(os.environ["RENDER_MARKER"])
if os.environ["PAUSE_AT"] == "render":
    original = documents.html_to_pdf
    def paused(html):
        marker.write_text(str(os.getpid()))
        time.sleep(120)
        return original(html)
    documents.html_to_pdf = paused
else:
    original = documents._write_file
    def paused(key, data):
        original(key, data)
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    documents._write_file = paused

from rq.cli import main
sys.argv = ["rq", "worker", "--url", os.environ["REDIS_URL"], "default"]
main()
"""


@pytest.fixture
def rq_app(tmp_path, redis_server):
    with app_on_own_database("rqcert", tmp_path, REDIS_URL=redis_server.url, JOB_RETRY_INTERVALS=(1, 1, 1)) as app:
        yield app


def _issue_and_enqueue(app) -> tuple[int, int]:
    db = app.extensions["saas.db"]
    with app.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="rq-cert")
        consultant = factories.make_user(session, tenant, roles=("consultant",))
        reviewer = factories.make_user(session, tenant, roles=("reviewer",))
        company = factories.make_company(session, tenant, name="Kraftverk Åmot AS")
        certificate = previous_certificate(session, tenant, company, consultant, reviewer, today_in_oslo(), issued_days_ago=3)
        documents.request_render(session, certificate.id, tenant.id)  # enqueued to Redis when this commits
        return tenant.id, certificate.id


def _worker_env(app, tmp_path, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": app.extensions["saas.db"].url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": app.config["REDIS_URL"],
            "JOBS_MODE": "rq", "STORAGE_DIR": app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path),
            "PUBLIC_BASE_URL": "http://localhost", **extra}


def _wait_for(path: Path, worker: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if worker.poll() is not None:
            raise AssertionError(f"the worker ended before the pause: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the render never reached the pause")
        time.sleep(0.1)


def _wait_until_dead(pid: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.05)
    raise AssertionError(f"the work horse {pid} is still alive")


@pytest.mark.parametrize("pause_at", ["render", "stored"])
def test_killing_the_worker_mid_render_and_starting_again_leaves_one_pdf_and_one_hash(rq_app, tmp_path, pause_at):
    from rq.job import Job

    tenant_id, certificate_id = _issue_and_enqueue(rq_app)
    job_id = documents.render_job_id(certificate_id)
    redis = Redis.from_url(rq_app.config["REDIS_URL"])
    marker = tmp_path / "paused"
    log = (tmp_path / "worker.log").open("w")  # a file, not a pipe: an unread pipe that fills up blocks the worker
    worker = subprocess.Popen([sys.executable, "-c", PAUSED_WORKER], env=_worker_env(rq_app, tmp_path, RENDER_MARKER=str(marker),
                              PAUSE_AT=pause_at), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        _wait_for(marker, worker, tmp_path / "worker.log")
        assert Job.fetch(job_id, connection=redis).get_status() == "started"
        horse = int(marker.read_text())  # RQ forks a work horse per job into a process group of its own
        assert horse != worker.pid
        os.killpg(horse, signal.SIGKILL)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # no chance to clean up anything, as in a power cut
        worker.wait(timeout=30)
        log.close()
    _wait_until_dead(horse)

    db = rq_app.extensions["saas.db"]
    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        assert session.scalar(select(CertificateDocument.id)) is None  # the killed transaction never committed
        key = documents.document_key(session.get(Certificate, certificate_id))
    storage_dir = Path(rq_app.config["STORAGE_DIR"])
    assert (storage_dir / key).exists() == (pause_at == "stored")  # the orphan a crash after the write leaves

    # The clock's sweeper, once the dead worker's heartbeat has expired (an hour on, here): RQ's abandoned-job
    # handling moves the job out of the started registry and its Retry schedules it again.
    assert sweep(rq_app, now=datetime.now(timezone.utc) + timedelta(hours=1)) == 0
    assert Job.fetch(job_id, connection=redis).get_status() in ("scheduled", "queued")
    time.sleep(1.5)  # the retry's interval (JOB_RETRY_INTERVALS=1)
    burst_worker(rq_app, tmp_path, rq_app.config["REDIS_URL"], PUBLIC_BASE_URL="http://localhost")
    assert Job.fetch(job_id, connection=redis).get_status() == "finished"

    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        rows = session.scalars(select(CertificateDocument)).all()
    assert len(rows) == 1 and rows[0].file_key == key
    files = [p for p in storage_dir.rglob("*") if p.is_file()]
    assert files == [storage_dir / key]
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == rows[0].sha256
    with db.session_scope() as session, platform_access(session):
        assert session.scalar(select(OutboxJob.status).where(OutboxJob.job_key == job_id)) == DONE
