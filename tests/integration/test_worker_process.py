"""The Procfile's worker (saas.worker.PreloadedWorker) as real processes: it exits promptly when there is
nothing to do, and its jobs, run one after the other in a preloaded process that is recycled, render the
right PDFs and never run with another tenant's database scope."""
import io
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from redis import Redis
from sqlalchemy import select

from saas import storage
from saas.certification import documents
from saas.certification.demo import previous_certificate
from saas.certification.document_models import CertificateDocument
from saas.certification.models import Certificate
from saas.i18n import today_in_oslo
from saas.tenancy import bind_tenant
from tests import factories
from tests.integration.conftest import app_on_own_database
from tests.integration.rq_helpers import RQ, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.real_clock]  # the worker subprocesses keep the real time

WORKER = [RQ, "worker", "--with-scheduler", "--worker-class", "saas.jobs.PreloadedWorker"]

# The worker with a probe on every database connection it takes from the pool: the backend, and the
# row-level security scope the connection carries at that moment (before the job's transaction seals its
# own), one line per checkout, with the process that took it.
PROBED_WORKER = r"""
import os, sys
from sqlalchemy import event
from sqlalchemy.pool import Pool

probe = open(os.environ["CHECKOUT_PROBE"], "a", buffering=1)

@event.listens_for(Pool, "checkout")
def scope_at_checkout(dbapi_connection, record, proxy):
    if not os.environ["DATABASE_URL"].startswith("postgresql"):
        probe.write(f"{os.getpid()} - - -\n")
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT pg_backend_pid(), coalesce(current_setting('app.tenant_id', true), ''), "
                   "coalesce(current_setting('app.platform', true), '')")
    backend, tenant, platform = cursor.fetchone()
    cursor.close()
    dbapi_connection.rollback()
    probe.write(f"{os.getpid()} {backend} [{tenant}] [{platform}]\n")

from rq.cli import main
sys.argv = ["rq", "worker", "--burst", "--with-scheduler", "--worker-class", "saas.jobs.PreloadedWorker",
            "--url", os.environ["REDIS_URL"], "default"]
main()
"""


@pytest.fixture
def rq_app(tmp_path, redis_server):
    with app_on_own_database("workerproc", tmp_path, REDIS_URL=redis_server.url, PUBLIC_BASE_URL="http://localhost") as app:
        yield app


class LogWatch(threading.Thread):
    """Reads a worker's log as it is written, noting when each line came."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[tuple[float, str]] = []

    def run(self) -> None:
        for line in self.stream:
            self.lines.append((time.monotonic(), line))

    def wait_for(self, text: str, process: subprocess.Popen, seconds: float = 120) -> float:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            if process.poll() is not None and not self.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"the worker never logged {text!r}: {self.text()[-3000:]}")

    def text(self) -> str:
        return "".join(line for _, line in self.lines)


def _start(command, env) -> tuple[subprocess.Popen, LogWatch]:
    # RQ logs to stdout (errors to stderr): read both.
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watch = LogWatch(process.stdout)
    watch.start()
    return process, watch


def test_a_burst_worker_with_an_empty_queue_exits_promptly(rq_app, tmp_path, redis_server):
    env = worker_env(rq_app, tmp_path, redis_server.url)
    for _ in range(3):  # the stall was a race: try it more than once
        process, watch = _start(WORKER + ["--burst", "--url", redis_server.url, "default"], env)
        done = watch.wait_for("done, quitting", process)
        process.wait(timeout=60)
        exited = time.monotonic()
        assert process.returncode == 0, watch.text()[-3000:]
        assert exited - done < 5, f"exit took {exited - done:.1f} s after the queue was found empty"


def test_an_idle_worker_stops_promptly_on_sigterm(rq_app, tmp_path, redis_server):
    process, watch = _start(WORKER + ["--url", redis_server.url, "default"], worker_env(rq_app, tmp_path, redis_server.url))
    try:
        watch.wait_for("Listening on", process)  # the working process is up and waiting for jobs
        working = [int(pid) for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]
        assert working, "the supervisor has forked the working process"
        time.sleep(1)
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert time.monotonic() - sent < 5, f"SIGTERM took {time.monotonic() - sent:.1f} s"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, watch.text()[-3000:]
    assert "warm shut down requested" in watch.text()  # passed on to the working process, which stopped cleanly
    for pid in working:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), "a working process is left"
    assert not Redis.from_url(redis_server.url).smembers("rq:workers"), "every worker registered its death"


def test_the_command_channel_thread_never_holds_the_exit(redis_server):
    """rq 3.0 with redis-py 8: when the channel's thread reads the UNSUBSCRIBE reply before it is told to
    stop, it waits up to 60 s for a new subscription, and rq's teardown waits for it without a limit.  The
    thread is put in exactly that state here; the worker's teardown must still be quick."""
    from rq import Queue

    from saas.worker import PreloadedWorker

    connection = Redis.from_url(redis_server.url)
    worker = PreloadedWorker([Queue("default", connection=connection)], connection=connection)
    worker.subscribe()
    pubsub, thread = worker.pubsub, worker.pubsub_thread
    deadline = time.monotonic() + 10
    while not pubsub.channels and time.monotonic() < deadline:
        time.sleep(0.01)
    pubsub.unsubscribe()  # the thread reads the reply and goes on waiting for a subscription
    while pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert not pubsub.subscribed and thread.is_alive()
    start = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - start < 3
    assert not thread.is_alive()


def _pdf_text(key: str) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(storage.read(key))).pages)


def test_a_recycled_preloaded_worker_renders_each_tenants_certificates_under_its_own_scope(rq_app, tmp_path, redis_server):
    db = rq_app.extensions["saas.db"]
    issued: dict[int, dict] = {}
    with rq_app.test_request_context(), db.session_scope() as session:
        tenants = [factories.make_tenant(session, slug=slug, name=name)
                   for slug, name in (("nordlys", "Nordlys HMS AS"), ("sorvest", "Sørvest Sertifisering AS"))]
        pairs = []
        for tenant in tenants:
            consultant = factories.make_user(session, tenant, roles=("consultant",))
            reviewer = factories.make_user(session, tenant, roles=("reviewer",))
            for n in range(3):
                company = factories.make_company(session, tenant, name=f"{tenant.name.split()[0]} kunde {n} AS")
                certificate = previous_certificate(session, tenant, company, consultant, reviewer, today_in_oslo(), issued_days_ago=3)
                pairs.append((tenant, company, certificate))
        # Alternate the tenants in the queue, so each job follows one of the other tenant.
        order = [p for trio in zip(pairs[:3], pairs[3:]) for p in trio]
        for tenant, company, certificate in order:
            bind_tenant(session, tenant.id)
            documents.request_render(session, certificate.id, tenant.id)
            issued[certificate.id] = dict(tenant_id=tenant.id, tenant=tenant.name, company=company.name)
    probe = tmp_path / "checkouts.txt"
    supervisor = subprocess.Popen([sys.executable, "-c", PROBED_WORKER], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=worker_env(rq_app, tmp_path, rq_app.config["REDIS_URL"], CHECKOUT_PROBE=str(probe),
                                                 WORKER_RECYCLE_JOBS="4"))
    log, _ = supervisor.communicate(timeout=240)
    assert supervisor.returncode == 0, log[-3000:]
    assert "process recycled after 4 jobs" in log  # 6 jobs: a second working process did the rest

    names = {i["tenant"] for i in issued.values()}
    for certificate_id, expected in issued.items():
        with db.session_scope() as session:
            bind_tenant(session, expected["tenant_id"])
            document = session.scalar(select(CertificateDocument).where(CertificateDocument.certificate_id == certificate_id))
            number = session.get(Certificate, certificate_id).number
        assert document is not None, f"certificate {certificate_id} has no document"
        with rq_app.app_context():
            text = " ".join(_pdf_text(document.file_key).split())
        assert expected["company"] in text and number in text
        assert expected["tenant"] in text
        assert not any(other in text for other in names - {expected["tenant"]})
    for tenant_id in {i["tenant_id"] for i in issued.values()}:
        with db.session_scope() as session:
            bind_tenant(session, tenant_id)  # row-level security shows each tenant only its own three
            assert len(session.scalars(select(CertificateDocument)).all()) == 3

    checkouts = [line.split() for line in probe.read_text().splitlines()]
    working = {int(pid) for pid, *_ in checkouts} - {supervisor.pid}  # the supervisor's is preload's one connection
    assert len(working) == 2  # recycled: two working processes ran the jobs
    if db.is_postgres:
        # Connections are reused from job to job (the jobs alternate the tenants), and every one came out
        # of the pool with no tenant and no platform scope left in it.
        backends = [backend for _, backend, *_ in checkouts]
        assert len(set(backends)) < len(backends)
        assert all(tenant == "[]" and platform in ("[]", "[off]") for _, _, tenant, platform in checkouts), checkouts
