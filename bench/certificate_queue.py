"""500 certificates through the RQ queue with 2 worker processes: certificates per second and peak memory
per worker.

Run: .venv/bin/python bench/certificate_queue.py [--certificates 500] [--workers 2] [--worker-class rq.Worker]

Needs Redis on 127.0.0.1:6379 (database 13 is emptied).  On a fresh migrated database (PostgreSQL when
reachable), the demo provider with logo and signature gets ``--certificates`` certificates; one render job
each is enqueued after the commit (job id certificate-pdf-<id>), then ``--workers`` `rq worker --burst`
processes (the Procfile's command) work the queue until it is empty.  The clock runs from starting the
workers until the last one exits.  Peak memory is read from /proc (VmHWM) for each worker and for the work
horses it forks (one per job with the default rq.Worker), sampled every 20 ms.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from rq import Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class PeakMemory(threading.Thread):
    """Samples the peak resident memory (VmHWM) of each worker and of the horses it forks."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.worker = {pid: 0 for pid in pids}
        self.horse = {pid: 0 for pid in pids}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in self.worker:
                self.worker[pid] = max(self.worker[pid], _kib(pid, "VmHWM"))
                for child in _children(pid):
                    self.horse[pid] = max(self.horse[pid], _kib(child, "VmHWM"))
            time.sleep(0.02)


class PreloadedWorker(Worker):
    """A forking worker that builds the application and warms WeasyPrint once, before it forks: each work
    horse inherits both instead of importing and building them again for its one job.  (No connection is
    opened before the fork; each horse opens its own.)  Run with --worker-class certificate_queue.PreloadedWorker."""

    def work(self, *args, **kwargs):
        import saas.jobs
        from saas.app import create_app
        from weasyprint import HTML

        if saas.jobs._worker_app is None:
            saas.jobs._worker_app = create_app()
            with saas.jobs._worker_app.app_context():
                HTML(string='<p style="font-family: DejaVu Serif">æøå</p><p style="font-family: DejaVu Sans">ÆØÅ</p>').write_pdf()
        return super().work(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="rq.Worker",
                        help="rq.Worker (the Procfile's: forks a horse per job), rq.SimpleWorker or certificate_queue.PreloadedWorker")
    args = parser.parse_args()

    from redis import Redis
    from sqlalchemy import func, select

    from certificate_render import certified_companies, demo_provider

    from saas.app import create_app
    from saas.certification import documents
    from tests.conftest import SECRET_KEY, app_config, create_database
    from saas.certification.document_models import CertificateDocument
    from saas.tenancy import bind_tenant

    storage_dir = Path(tempfile.mkdtemp(prefix="saas-bench-queue-"))
    url = create_database("saas_bench_certificate_queue")
    app = create_app(app_config(url, storage_dir, JOBS_MODE="rq", REDIS_URL=REDIS_URL, PUBLIC_BASE_URL="https://hms-sertifikat.no",
                                PASSWORD_HASHER_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1}))
    Redis.from_url(REDIS_URL).flushdb()
    db = app.extensions["saas.db"]
    with app.test_request_context():
        with db.session_scope() as session:
            tenant = demo_provider(session)
            tenant_id = tenant.id
            certificates = certified_companies(session, tenant, args.certificates, date.today())
        with db.session_scope() as session:
            bind_tenant(session, tenant_id)
            for certificate in certificates:
                documents.request_render(session, certificate.id, tenant_id)  # enqueued when this commits

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH")])),
           "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL, "JOBS_MODE": "rq",
           "STORAGE_DIR": app.config["STORAGE_DIR"], "SAAS_ROOT": str(storage_dir), "PUBLIC_BASE_URL": "https://hms-sertifikat.no"}
    command = [str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--url", REDIS_URL,
               "--worker-class", args.worker_class, "--logging_level", "WARNING", "default"]
    # Each worker's log goes to a file: a pipe nobody reads while the other worker runs fills up and stalls it.
    logs = [tempfile.TemporaryFile(mode="w+") for _ in range(args.workers)]
    start = time.perf_counter()
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log) for log in logs]
    memory = PeakMemory([w.pid for w in workers])
    memory.start()
    for worker in workers:
        worker.wait()
    elapsed = time.perf_counter() - start
    errors = []
    for log in logs:
        log.seek(0)
        errors.append(log.read())
    memory.stop.set()
    memory.join()

    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        stored = session.scalar(select(func.count(CertificateDocument.id)))
    from rq.job import Job

    jobs = Job.fetch_many([documents.render_job_id(c.id) for c in certificates], connection=Redis.from_url(REDIS_URL))
    durations = sorted((j.ended_at - j.started_at).total_seconds() for j in jobs if j and j.ended_at and j.started_at)
    failures = [(j.id, (j.exc_info or "").strip().splitlines()[-1:]) for j in jobs if j and j.get_status() == "failed"]
    failed = [e[-1500:] for w, e in zip(workers, errors) if w.returncode != 0]
    print(f"backend {db.engine.dialect.name}, {args.workers} x {args.worker_class} --burst")
    print(f"certificates: {len(certificates)} enqueued, {stored} stored" + (f", worker errors: {failed}" if failed else ""))
    print(f"elapsed {elapsed:.1f} s (including worker start-up): {stored / elapsed:.2f} certificates per second")
    if durations:
        print(f"time inside a job (RQ started_at to ended_at): median {durations[len(durations) // 2] * 1000:.0f} ms, "
              f"p95 {durations[int(len(durations) * 0.95) - 1] * 1000:.0f} ms, max {durations[-1] * 1000:.0f} ms")
    for job_id, last_line in failures[:5]:
        print(f"failed job {job_id}: {last_line}")
    for n, pid in enumerate(memory.worker, 1):
        forks = args.worker_class != "rq.SimpleWorker"
        horse = f", peak of a forked work horse {memory.horse[pid] / 1024:.0f} MiB" if forks and memory.horse[pid] else ""
        print(f"worker {n}: peak RSS {memory.worker[pid] / 1024:.0f} MiB{horse}")


if __name__ == "__main__":
    main()
