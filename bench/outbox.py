"""The cost of the transactional outbox against a direct enqueue to RQ, in jobs per second.

Run: .venv/bin/python bench/outbox.py [--jobs 400] [--rounds 3]

A private redis-server on a free loopback port and a fresh migrated database (PostgreSQL when reachable,
or SAAS_TEST_DB=sqlite).  Each job is caused by its own transaction that writes one row (as a request that
causes work does), and every job writes one row of effect (as a render or an invoice does), so both ways
pay the same commits; what differs is only the bookkeeping.

* direct: the old way, an RQ enqueue after the commit (existence check by job id, then ``enqueue_call``);
  the worker runs the job with no bookkeeping.
* outbox: ``saas.jobs.enqueue`` records the job's row in the cause's transaction (an upsert), hands it
  to RQ after the commit; the worker checks the row, runs the job and marks the row done in the job's
  own transaction.

Three figures per way: producing (transactions + enqueues per second), working (an in-process
``rq.SimpleWorker`` in burst mode, jobs per second; no fork, so the bookkeeping shows at its largest) and
end to end (producing plus working).  Rounds alternate the two ways (and which goes first); the best
round of each is reported.  On a busy machine the figures scatter by ±20 %: run several rounds.
"""
from __future__ import annotations

import argparse
import os
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
    """The bench's job: one row of effect."""
    session.execute(text("INSERT INTO bench_effects (n) VALUES (:n)"), {"n": n})


def _direct_enqueue(app, name: str, args: list, job_id: str) -> None:
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
    Queue("default", connection=connection).enqueue_call("saas.jobs.rq_entry", args=(name, None, args), job_id=job_id,
                                                         result_ttl=3600, failure_ttl=7 * 86400)


def produce(app, way: str, jobs: int, round_no: int) -> float:
    from saas.db import after_commit
    from saas.jobs import enqueue

    db = app.extensions["saas.db"]
    start = time.perf_counter()
    with app.app_context():
        for i in range(jobs):
            key = f"bench-{way}-{round_no}-{i}"
            with db.session_scope() as session:
                session.execute(text("INSERT INTO bench_causes (n) VALUES (:n)"), {"n": i})  # the request's own write
                if way == "outbox":
                    enqueue(session, record_effect, i, tenant_id=None, job_id=key)
                else:
                    after_commit(session, lambda key=key, i=i: _direct_enqueue(app, record_effect.job_name, [i], key))
    return time.perf_counter() - start


def work(app) -> float:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    from saas.app import create_app
    from saas.jobs import _import_job_modules

    _import_job_modules()
    workdir = Path(tempfile.mkdtemp(prefix="saas-bench-outbox-"))
    redis = PrivateRedis(workdir)
    redis.start()
    url = create_database(f"saas_bench_outbox_{os.getpid()}")
    app = create_app(app_config(url, workdir, JOBS_MODE="rq", REDIS_URL=redis.url))
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    with app.extensions["saas.db"].engine.begin() as connection:
        for table in ("bench_causes", "bench_effects"):
            connection.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY{' GENERATED ALWAYS AS IDENTITY' if BACKEND == 'postgres' else ''}, n INTEGER)"))
    results: dict[str, list[tuple[float, float]]] = {"direct": [], "outbox": []}
    try:
        for round_no in range(options.rounds):
            # Alternate which way goes first, so a change in the machine's load does not favour one.
            for way in (("direct", "outbox") if round_no % 2 == 0 else ("outbox", "direct")):
                produced = produce(app, way, options.jobs, round_no)
                worked = work(app)
                results[way].append((produced, worked))
        from sqlalchemy import func, select

        from saas.outbox import OutboxJob
        from saas.tenancy import platform_access

        with app.extensions["saas.db"].session_scope() as session, platform_access(session):
            done = dict(session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all())
    finally:
        app.extensions["saas.db"].engine.dispose()
        drop_database(url)
        redis.stop()

    n = options.jobs
    print(f"backend {BACKEND}, {n} jobs per round, {options.rounds} rounds, best round shown; outbox rows: {done}")
    best = {}
    for way, rounds in results.items():
        produced = min(p for p, _ in rounds)
        worked = min(w for _, w in rounds)
        total = min(p + w for p, w in rounds)
        best[way] = (n / produced, n / worked, n / total)
        print(f"{way:7} producing {n / produced:7.0f} jobs/s   working {n / worked:7.0f} jobs/s   end to end {n / total:7.0f} jobs/s")
    for index, label in enumerate(("producing", "working", "end to end")):
        overhead = 100 * (1 - best["outbox"][index] / best["direct"][index])
        print(f"outbox overhead, {label}: {overhead:.1f} %")


if __name__ == "__main__":
    main()
