"""The certificate queue against the machine's limit: steady-state certificates per second with 2 workers of
the Procfile's worker class, the bare render CPU per certificate, and the limit (cores ÷ bare render CPU).

Run: .venv/bin/python bench/certificate_queue.py [--certificates 300] [--workers 2] [--rounds 3]
                                                   [--worker-class CLASS] [--compare CLASS,CLASS]

Needs Redis on 127.0.0.1:6379 (database 13, or BENCH_REDIS_URL, is emptied).  On a fresh migrated database
(PostgreSQL when reachable), the demo provider with logo and signature gets ``--certificates``
certificates.  Each round deletes their documents, asks for every render again (one job each, enqueued when
the commit lands) and starts ``--workers`` processes of the Procfile's command
(``rq worker --burst --with-scheduler --worker-class <the Procfile's class>``) that work the queue empty.

* steady rate: from RQ's end times of the jobs, the certificates finished between the 10th and the 90th
  percentile of them divided by the time between the two, so worker start-up (the preload) and the tail
  of the last jobs are not in it; the rate including start-up and exit is printed beside it.
* bare render CPU: ``weasyprint.HTML(string=html).write_pdf()`` of the certificates' own HTML in this
  process, CPU seconds (user + system), measured before every round; the limit is the machine's cores
  divided by its median.
* worker CPU per certificate: user + system seconds of the worker processes and everything they forked,
  divided by the certificates (PostgreSQL's and Redis's CPU is not in it, but shares the cores).

``--compare`` runs other worker classes in the same rounds, interleaved (round 1: A B C, round 2: B C A,
...), so the load of a shared machine hits each alike; every round prints the load average.  E.g.
``--compare saas.jobs.ForkingPreloadedWorker,rq.Worker``; ``PATH:CLASS`` runs the class from another
checkout's code on the same schema (``--compare /tmp/base:saas.jobs.PreloadedWorker`` with
``git archive <commit> | tar -x -C /tmp/base``: before and after a change).
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
ROOT = Path(__file__).resolve().parent.parent


def procfile_worker_class() -> str:
    """The ``--worker-class`` of the Procfile's ``worker`` line."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    return re.search(r"--worker-class\s+(\S+)", line).group(1)


def _kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        try:
            tasks = list(Path(f"/proc/{todo.pop()}/task").iterdir())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found += children
            todo += children
    return found


class PeakMemory(threading.Thread):
    """Samples the peak resident memory (VmHWM) of each worker process and of all the processes it forks."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.worker = {pid: 0 for pid in pids}
        self.forked = {pid: 0 for pid in pids}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in self.worker:
                self.worker[pid] = max(self.worker[pid], _kib(pid, "VmHWM"))
                for child in _descendants(pid):
                    self.forked[pid] = max(self.forked[pid], _kib(child, "VmHWM"))
            time.sleep(0.05)


def bare_render_cpu(db, tenant_id: int, ids: list[int]) -> list[float]:
    """CPU seconds of bare WeasyPrint for each certificate's own HTML (after one warm-up)."""
    from weasyprint import HTML

    from saas.certification import documents
    from saas.pdf import render_html
    from saas.tenancy import bind_tenant

    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        pages = [render_html("certificate.html", **documents.certificate_data(session, i)) for i in ids]
    HTML(string=pages[0]).write_pdf()
    samples = []
    for html in pages:
        start = time.process_time()
        HTML(string=html).write_pdf()
        samples.append(time.process_time() - start)
    return samples


def run_round(app, tenant_id: int, certificates: list[int], worker_class: str, workers: int, env: dict) -> dict:
    from redis import Redis
    from rq.job import Job
    from sqlalchemy import delete, func, select

    from saas.certification import documents
    from saas.certification.document_models import CertificateDocument
    from saas.outbox import OutboxJob
    from saas.tenancy import bind_tenant, platform_access

    db = app.extensions["saas.db"]
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        session.execute(delete(CertificateDocument))
    with db.session_scope() as session, platform_access(session):  # a failed earlier round must not hold them back
        session.execute(delete(OutboxJob).where(OutboxJob.job_key.in_([documents.render_job_id(c) for c in certificates])))
    with app.test_request_context(), db.session_scope() as session:
        bind_tenant(session, tenant_id)
        for certificate_id in certificates:
            documents.request_render(session, certificate_id, tenant_id)  # enqueued when this commits

    code, _, name = worker_class.rpartition(":")
    if code:  # another checkout's code, e.g. /work/main:saas.jobs.PreloadedWorker (a before/after comparison)
        env = {**env, "PYTHONPATH": os.pathsep.join([code, env["PYTHONPATH"]])}
    command = [str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--with-scheduler", "--url", REDIS_URL,
               "--worker-class", name, "--logging_level", "WARNING", "default"]
    # Each worker's log goes to a file: a pipe nobody reads while the other worker runs fills up and stalls it.
    logs = [tempfile.TemporaryFile(mode="w+") for _ in range(workers)]
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log) for log in logs]
    memory = PeakMemory([p.pid for p in processes])
    memory.start()
    for process in processes:
        process.wait()
    end = time.time()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    memory.stop.set()
    memory.join()
    failed = []
    for process, log in zip(processes, logs):
        log.seek(0)
        if process.returncode != 0:
            failed.append(log.read()[-1500:])

    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        stored = session.scalar(select(func.count(CertificateDocument.id)))
    jobs = [j for j in Job.fetch_many([documents.render_job_id(c) for c in certificates], connection=redis) if j]
    ended = sorted(j.ended_at.timestamp() for j in jobs if j.ended_at and j.get_status() == "finished")
    lo, hi = int(len(ended) * 0.1), int(len(ended) * 0.9) - 1
    if not certificates:
        return dict(wall=end - start, cpu=(cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime),
                    failed=failed)
    steady = (hi - lo) / (ended[hi] - ended[lo]) if hi > lo and ended[hi] > ended[lo] else float("nan")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return dict(worker_class=worker_class, stored=stored, steady=steady, cpu=cpu, overall=stored / (end - start),
                startup=ended[0] - start if ended else float("nan"), exit=end - ended[-1] if ended else float("nan"),
                cpu_per_certificate=cpu / max(stored, 1), system_cpu=(cpu_after.ru_stime - cpu_before.ru_stime) / max(stored, 1),
                load=(load_before + os.getloadavg()[0]) / 2, failed=failed,
                worker_mib=max(memory.worker.values()) / 1024, forked_mib=max(memory.forked.values()) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker-class", default=procfile_worker_class(), help="default: the Procfile's")
    parser.add_argument("--compare", default="", help="other worker classes, comma-separated, run in the same rounds")
    args = parser.parse_args()

    import logging

    from certificate_render import certified_companies, demo_provider

    from saas.app import create_app
    from tests.conftest import SECRET_KEY, app_config, create_database, drop_database

    storage_dir = Path(tempfile.mkdtemp(prefix="saas-bench-queue-"))
    url = create_database(f"saas_bench_certificate_queue_{os.getpid()}")  # its own: other runs may start meanwhile
    app = create_app(app_config(url, storage_dir, JOBS_MODE="rq", REDIS_URL=REDIS_URL, PUBLIC_BASE_URL="https://hms-sertifikat.no",
                                PASSWORD_HASHER_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1}))
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    db = app.extensions["saas.db"]
    with app.test_request_context():
        with db.session_scope() as session:
            tenant = demo_provider(session)
            tenant_id = tenant.id
            certificates = [c.id for c in certified_companies(session, tenant, args.certificates, date.today())]
    if db.is_postgres:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL, "JOBS_MODE": "rq",
           "STORAGE_DIR": app.config["STORAGE_DIR"], "SAAS_ROOT": str(storage_dir), "PUBLIC_BASE_URL": "https://hms-sertifikat.no"}
    classes = [args.worker_class] + [c for c in args.compare.split(",") if c]
    cores = os.cpu_count() or 1
    bare: list[float] = []
    results: dict[str, list[dict]] = {c: [] for c in classes}
    print(f"backend {db.engine.dialect.name}, {len(certificates)} certificates, {args.workers} workers, {cores} cores, "
          f"Procfile's class {procfile_worker_class()}")
    for n in range(args.rounds):
        with app.app_context():
            sample = bare_render_cpu(db, tenant_id, certificates[:: max(1, len(certificates) // 15)][:15])
        bare += sample
        print(f"round {n + 1}: bare render CPU median {statistics.median(sample) * 1000:.0f} ms "
              f"(load average {os.getloadavg()[0]:.1f})")
        for worker_class in classes[n % len(classes):] + classes[:n % len(classes)]:
            idle = run_round(app, tenant_id, [], worker_class, args.workers, env)  # start-up and exit alone
            r = run_round(app, tenant_id, certificates, worker_class, args.workers, env)
            r["idle_wall"], r["job_cpu"] = idle["wall"], (r["cpu"] - idle["cpu"]) / max(r["stored"], 1)
            results[worker_class].append(r)
            print(f"  {worker_class}: steady {r['steady']:.2f}/s, with start-up and exit {r['overall']:.2f}/s; empty queue: "
                  f"{idle['wall']:.1f} s from start to exit, {idle['cpu'] / args.workers:.1f} s CPU a worker; worker CPU "
                  f"{r['cpu_per_certificate'] * 1000:.0f} ms/certificate (system {r['system_cpu'] * 1000:.0f}), without "
                  f"start-up and exit {r['job_cpu'] * 1000:.0f}; {r['stored']} stored; load {r['load']:.1f}"
                  + (f"; FAILED: {r['failed'] + idle['failed']}" if r["failed"] or idle["failed"] else ""))

    bare_cpu = statistics.median(bare)
    limit = cores / bare_cpu
    print(f"\nbare render CPU per certificate: median {bare_cpu * 1000:.0f} ms (n={len(bare)}, "
          f"min {min(bare) * 1000:.0f}, max {max(bare) * 1000:.0f}); limit {cores} cores / bare = {limit:.2f} certificates/s")
    for worker_class, rounds in results.items():
        steady = statistics.median(r["steady"] for r in rounds)
        job_cpu = statistics.median(r["job_cpu"] for r in rounds)
        print(f"{worker_class}: steady {steady:.2f} certificates/s = {steady / limit * 100:.0f} % of the limit "
              f"(rounds: {', '.join(format(r['steady'], '.2f') for r in rounds)}); with start-up and exit "
              f"{statistics.median(r['overall'] for r in rounds):.2f}/s; exit after the last job "
              f"{statistics.median(r['exit'] for r in rounds):.1f} s; empty queue start to exit "
              f"{statistics.median(r['idle_wall'] for r in rounds):.1f} s; worker CPU per certificate without start-up "
              f"and exit {job_cpu * 1000:.0f} ms ({job_cpu / bare_cpu:.2f}x bare: on idle cores at most "
              f"{bare_cpu / job_cpu * 100:.0f} % of the limit); peak RSS worker "
              f"{max(r['worker_mib'] for r in rounds):.0f} MiB, forked {max(r['forked_mib'] for r in rounds):.0f} MiB; "
              f"load average {statistics.median(r['load'] for r in rounds):.1f}")
    db.engine.dispose()
    drop_database(url)


if __name__ == "__main__":
    main()
