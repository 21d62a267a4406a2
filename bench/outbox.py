"""The cost of the transactional outbox against a direct enqueue to RQ, in jobs per second end to end.

Run: .venv/bin/python bench/outbox.py [--jobs 200] [--rounds 8] [--workers 2] [--scope tenant|platform]
                                     [--in-process]

A private redis-server on a free loopback port and a fresh migrated database (PostgreSQL when reachable,
or SAAS_TEST_DB=sqlite).  Each job is caused by its own transaction that writes one row (as a request that
causes work does), and every job writes one row of effect in a table under the product's row-level
security policy (as a render or an invoice does), so both ways pay the same commits and the same first
use of the policy in each work horse's new connection; what differs is only the bookkeeping.

* direct: the old way, an RQ enqueue after the commit (existence check by job id, then ``enqueue_call``);
  the worker runs the job with no bookkeeping.
* outbox: ``saas.jobs.enqueue`` records the job's row in the cause's transaction (an upsert), hands it
  to RQ after the commit; the worker runs the job and marks the row done in the job's own transaction.

``--scope tenant`` (the default): the cause is a tenant's request and the job is that tenant's (a render,
an invoice, a report); ``platform``: a platform-level job (mail delivery) from a tenant's request, whose
row is written under platform access.

End to end: a round's clock runs from the first cause to the last effect committed, with ``--workers``
real RQ worker processes (``saas.jobs.PreloadedWorker``, the Procfile's worker class: the application
built and warmed once, jobs run without a fork and the process recycled after N jobs) working while
the causes are made.
``--in-process`` instead produces everything, then drains the queue with an in-process ``SimpleWorker``
(no fork, no parallelism): the bookkeeping at its largest share, a worst case rather than production.

The machine may be shared: rounds alternate the two ways (and which goes first in each pair); the report
gives the median rate of each way and the median of the per-pair overheads.  It also counts the CPU time
each way costs per job, from /proc, in every process that takes part: the producer, the worker processes
(and the children they reaped), the PostgreSQL backends of the runtime role on the bench's database and
the private redis-server.  Other load on the machine does not enter that figure, so it shows the outbox's
cost where the jobs-per-second figures of a shared machine cannot.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from tests.conftest import BACKEND, app_config, create_database, drop_database  # noqa: E402
from tests.integration.rq_helpers import PrivateRedis  # noqa: E402
from saas.jobs import job  # noqa: E402


@job
def record_effect(session, n: int) -> None:
    """The bench's job: one row of effect, in a table under row-level security as every real job's
    effect is (a tenant's row; a platform-level job's row under platform access)."""
    from saas.tenancy import bound_tenant, platform_access

    tenant_id = bound_tenant(session)
    if tenant_id is None:
        with platform_access(session):
            session.execute(text("INSERT INTO bench_effects (tenant_id, n) VALUES (NULL, :n)"), {"n": n})
    else:
        session.execute(text("INSERT INTO bench_effects (tenant_id, n) VALUES (:tenant_id, :n)"), {"tenant_id": tenant_id, "n": n})


def _direct_enqueue(app, name: str, tenant_id: int | None, args: list, job_id: str) -> None:
    """What saas.jobs did before the outbox (after the commit)."""
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from saas.jobs import redis_connection

    connection = redis_connection(app)
    try:
        if Job.fetch(job_id, connection=connection).get_status(refresh=True) in ("queued", "started", "deferred", "scheduled"):
            return
    except NoSuchJobError:
        pass
    Queue("default", connection=connection).enqueue_call("saas.jobs.rq_entry", args=(name, tenant_id, args), job_id=job_id,
                                                         result_ttl=3600, failure_ttl=7 * 86400)


def produce(app, way: str, jobs: int, round_no: int, cause_tenant: int | None, job_tenant: int | None) -> float:
    """Make ``jobs`` causes, each in its own transaction bound to ``cause_tenant``, each causing one job."""
    from saas.db import after_commit
    from saas.jobs import enqueue
    from saas.tenancy import bind_tenant

    db = app.extensions["saas.db"]
    start = time.perf_counter()
    with app.app_context():
        for i in range(jobs):
            key = f"bench-{way}-{round_no}-{i}"
            with db.session_scope() as session:
                bind_tenant(session, cause_tenant)
                session.execute(text("INSERT INTO bench_causes (n) VALUES (:n)"), {"n": i})  # the request's own write
                if way == "outbox":
                    enqueue(session, record_effect, i, tenant_id=job_tenant, job_id=key)
                else:
                    after_commit(session, lambda key=key, i=i: _direct_enqueue(app, record_effect.job_name, job_tenant, [i], key))
    return time.perf_counter() - start


_OWNER: list = []


def _effects(app) -> int:
    """Effects committed so far, counted as the owner role (row-level security hides them from the runtime
    role outside a scope)."""
    if not _OWNER:
        from sqlalchemy import create_engine

        from tests.conftest import owner_url

        url = app.extensions["saas.db"].url
        _OWNER.append(create_engine(owner_url(url) if BACKEND == "postgres" else url))
    with _OWNER[0].connect() as connection:
        return connection.execute(text("SELECT count(*) FROM bench_effects")).scalar()


def wait_for_effects(app, expected: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while _effects(app) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_effects(app)} of {expected} effects after {timeout:.0f} s")
        time.sleep(0.01)


def work_in_process(app) -> float:
    from redis import Redis
    from rq import Queue, SimpleWorker

    import saas.jobs

    saas.jobs._worker_app = app
    connection = Redis.from_url(app.config["REDIS_URL"])  # a worker's own connection, as `rq worker --url` makes

    class BenchWorker(SimpleWorker):
        def subscribe(self):
            # No command channel: a burst that ends within milliseconds can otherwise hang in redis-py's
            # pubsub thread, which waits for a subscription that the teardown already cancelled.
            pass

    start = time.perf_counter()
    BenchWorker([Queue("default", connection=connection)], connection=connection).work(burst=True, logging_level="WARNING")
    return time.perf_counter() - start


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds ``pid`` used (with ``children``: and the children it waited for); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + (cutime + cstime if children else 0)) / _TICKS


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            for task in Path(f"/proc/{parent}/task").iterdir():
                for child in (task / "children").read_text().split():
                    found.append(int(child))
                    todo.append(int(child))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


class CpuMeter:
    """CPU seconds used so far by every process of the run (see the module's docstring)."""

    def __init__(self, app, workers: list, redis_pid: int | None):
        self.app, self.workers, self.redis_pid = app, workers, redis_pid
        self.backends: dict[int, float] = {}  # backend pid -> last CPU seen (a backend that exits keeps it)

    def _backend_pids(self) -> list[int]:
        if BACKEND != "postgres":
            return []
        from tests.conftest import PG_ROLE

        _effects(self.app)  # makes the owner engine
        database = self.app.extensions["saas.db"].engine.url.database
        with _OWNER[0].connect() as connection:
            return list(connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND usename = :u"),
                                           {"d": database, "u": PG_ROLE}).scalars())

    def __call__(self) -> dict[str, float]:
        """CPU seconds so far of each part: the producer, the workers, PostgreSQL and Redis."""
        parts = {"producer": sum(os.times()[:2]), "workers": 0.0, "postgres": 0.0, "redis": 0.0}
        for worker in self.workers:
            parts["workers"] += _process_cpu(worker.pid, children=True) + sum(_process_cpu(p) for p in _descendants(worker.pid))
        if self.redis_pid:
            parts["redis"] = _process_cpu(self.redis_pid)
        for pid in self._backend_pids():
            self.backends[pid] = max(self.backends.get(pid, 0.0), _process_cpu(pid))
        parts["postgres"] = sum(self.backends.values())
        return parts


def run_worker(url: str, redis_url: str, workdir: str) -> None:
    """One real RQ worker (``--worker``) of the Procfile's class."""
    from redis import Redis
    from rq import Queue

    import saas.jobs
    from saas.app import create_app
    from saas.jobs import _import_job_modules

    _import_job_modules()
    # The application of the bench's database; PreloadedWorker (the Procfile's worker class) warms it and
    # runs the jobs in one working process that it replaces after WORKER_RECYCLE_JOBS jobs, as in production.
    saas.jobs._worker_app = create_app(app_config(url, Path(workdir), JOBS_MODE="rq", REDIS_URL=redis_url))
    logging.getLogger().setLevel(logging.WARNING)
    connection = Redis.from_url(redis_url)
    saas.jobs.PreloadedWorker([Queue("default", connection=connection)], connection=connection).work(logging_level="WARNING")


def _create_bench_tables(url: str, guarded: bool = True) -> None:
    """The cause and effect tables, made by the owner role (the runtime role may create nothing)."""
    from sqlalchemy import create_engine

    from tests.conftest import PG_ROLE, owner_url

    from saas.migrate import tenant_condition

    engine = create_engine(owner_url(url) if BACKEND == "postgres" else url)
    with engine.begin() as connection:
        for table in ("bench_causes", "bench_effects"):
            identity = " GENERATED ALWAYS AS IDENTITY" if BACKEND == "postgres" else ""
            connection.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY{identity}, tenant_id INTEGER, n INTEGER)"))
            if BACKEND == "postgres":
                connection.execute(text(f"GRANT SELECT, INSERT ON {table} TO {PG_ROLE}"))
        if BACKEND == "postgres" and guarded:  # the effect's table is guarded as the product's are (saas/migrate.py)
            connection.execute(text("ALTER TABLE bench_effects ENABLE ROW LEVEL SECURITY"))
            connection.execute(text("ALTER TABLE bench_effects FORCE ROW LEVEL SECURITY"))
            condition = tenant_condition()
            connection.execute(text(f"CREATE POLICY tenant_isolation ON bench_effects USING {condition} WITH CHECK {condition}"))
    engine.dispose()


def _make_tenant(app) -> int:
    from saas.tenancy import platform_access
    from tests import factories

    with app.app_context(), app.extensions["saas.db"].session_scope() as session, platform_access(session):
        return factories.make_tenant(session, slug="bench-outbox").id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=200, help="jobs per round")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per way, interleaved")
    parser.add_argument("--workers", type=int, default=2, help="real RQ worker processes")
    parser.add_argument("--scope", choices=("tenant", "platform"), default="tenant")
    parser.add_argument("--in-process", action="store_true", help="produce, then drain with an in-process SimpleWorker")
    parser.add_argument("--plain-effect", action="store_true",
                        help="the effect's table without row-level security (a toy job: the outbox's share looks larger)")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "REDIS_URL", "WORKDIR"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        return run_worker(*options.worker)

    from saas.app import create_app
    from saas.jobs import _import_job_modules

    _import_job_modules()
    workdir = Path(tempfile.mkdtemp(prefix="saas-bench-outbox-"))
    redis = PrivateRedis(workdir)
    redis.start()
    url = create_database(f"saas_bench_outbox_{os.getpid()}")
    app = create_app(app_config(url, workdir, JOBS_MODE="rq", REDIS_URL=redis.url))
    logging.getLogger().setLevel(logging.WARNING)
    _create_bench_tables(url, guarded=not options.plain_effect)
    tenant = _make_tenant(app)
    job_tenant = tenant if options.scope == "tenant" else None
    workers: list[subprocess.Popen] = []
    if not options.in_process:
        workers = [subprocess.Popen([sys.executable, __file__, "--worker", url, redis.url, str(workdir)])
                   for _ in range(options.workers)]
    rates: dict[str, list[float]] = {"direct": [], "outbox": []}
    cpu: dict[str, list[float]] = {"direct": [], "outbox": []}  # CPU ms per job
    cpu_parts: dict[str, list[dict[str, float]]] = {"direct": [], "outbox": []}  # the same, by process
    pairs: list[float] = []
    cpu_pairs: list[float] = []
    meter = CpuMeter(app, workers, redis.process.pid)
    try:
        expected = 0
        # A warm-up pair (imports, connections, the workers' first horses), not counted.
        for way in ("direct", "outbox"):
            produce(app, way, 20, -1, tenant, job_tenant)
            expected += 20
            work_in_process(app) if options.in_process else wait_for_effects(app, expected)
        for round_no in range(options.rounds):
            # Alternate which way goes first, so a change in the machine's load does not favour one.
            order = ("direct", "outbox") if round_no % 2 == 0 else ("outbox", "direct")
            this_pair = {}
            for way in order:
                cpu_before = meter()
                start = time.perf_counter()
                produce(app, way, options.jobs, round_no, tenant, job_tenant)
                expected += options.jobs
                if options.in_process:
                    work_in_process(app)
                else:
                    wait_for_effects(app, expected)
                this_pair[way] = options.jobs / (time.perf_counter() - start)
                rates[way].append(this_pair[way])
                cpu_after = meter()
                cpu_parts[way].append({k: 1000 * (cpu_after[k] - cpu_before[k]) / options.jobs for k in cpu_after})
                cpu[way].append(sum(cpu_parts[way][-1].values()))
            pairs.append(100 * (1 - this_pair["outbox"] / this_pair["direct"]))
            cpu_pairs.append(100 * (cpu["outbox"][-1] / cpu["direct"][-1] - 1))
            print(f"round {round_no + 1}: direct {this_pair['direct']:6.1f} jobs/s {cpu['direct'][-1]:5.2f} ms CPU/job, "
                  f"outbox {this_pair['outbox']:6.1f} jobs/s {cpu['outbox'][-1]:5.2f} ms CPU/job, "
                  f"overhead {pairs[-1]:5.1f} % (rate) {cpu_pairs[-1]:5.1f} % (CPU)", flush=True)
        assert _effects(app) == expected, "every job ran exactly once"
        from sqlalchemy import func, select

        from saas.outbox import OutboxJob
        from saas.tenancy import platform_access

        with app.extensions["saas.db"].session_scope() as session, platform_access(session):
            done = dict(session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all())
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        app.extensions["saas.db"].engine.dispose()
        for engine in _OWNER:
            engine.dispose()
        drop_database(url)
        redis.stop()

    how = "in-process SimpleWorker after producing" if options.in_process else f"{options.workers} RQ worker process(es) of the Procfile's class"
    effect = "plain table" if options.plain_effect or BACKEND != "postgres" else "table under row-level security"
    print(f"backend {BACKEND}, {options.scope}-level jobs, effect in a {effect}, {how}, {options.jobs} jobs per round, "
          f"{options.rounds} rounds per way (interleaved); outbox rows: {done}")
    direct, outbox = statistics.median(rates["direct"]), statistics.median(rates["outbox"])
    print(f"direct  end to end {direct:7.1f} jobs/s (median; min {min(rates['direct']):.1f}, max {max(rates['direct']):.1f})")
    print(f"outbox  end to end {outbox:7.1f} jobs/s (median; min {min(rates['outbox']):.1f}, max {max(rates['outbox']):.1f})")
    print(f"outbox overhead: {100 * (1 - outbox / direct):.1f} % (of the medians); "
          f"{statistics.median(pairs):.1f} % (median of the {len(pairs)} pairs; range {min(pairs):.1f} .. {max(pairs):.1f} %)")
    print(f"CPU per job (all processes of the run): direct {statistics.median(cpu['direct']):.2f} ms, "
          f"outbox {statistics.median(cpu['outbox']):.2f} ms; outbox costs {statistics.median(cpu_pairs):.1f} % more "
          f"(median of the pairs; range {min(cpu_pairs):.1f} .. {max(cpu_pairs):.1f} %)")
    for way in ("direct", "outbox"):
        print(f"  {way:6s} CPU ms per job by process (medians): " + ", ".join(
            f"{k} {statistics.median(p[k] for p in cpu_parts[way]):.2f}" for k in cpu_parts[way][0]))


if __name__ == "__main__":
    main()
