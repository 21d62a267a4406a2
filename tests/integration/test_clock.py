"""The clock: RQ's cron configuration ticks every minute; a tick sweeps the outbox and, from 06:00 in Oslo,
starts each daily job once a day; in-process retries wait for their back-off."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas import scheduler
from saas.db import utcnow
from saas.jobs import _import_job_modules, clock_tick
from saas.outbox import DONE, PENDING, OutboxJob, sweep
from saas.tenancy import platform_access

OSLO = ZoneInfo("Europe/Oslo")


def test_rq_cron_ticks_every_minute_with_the_clock_tick():
    from redis import Redis
    from rq.cron import CronScheduler

    cron = CronScheduler(connection=Redis())  # nothing is sent to Redis until it starts
    cron.load_config_from_file("saas.cron")
    [tick] = cron.get_jobs()
    assert tick.func is clock_tick and tick.interval == 60 and tick.queue_name == "default"


def _daily_rows(db) -> dict:
    with platform_access(db):
        return dict(db.execute(select(OutboxJob.job_key, OutboxJob.status).where(OutboxJob.job_key.like("daily-%"))).all())


def test_a_tick_before_six_starts_nothing_and_after_six_starts_each_daily_job_once(app, db):
    _import_job_modules()
    assert scheduler.tick(app, datetime(2026, 11, 22, 5, 59, tzinfo=OSLO)) == {"swept": 0, "daily": 0}
    assert _daily_rows(db) == {}
    started = scheduler.tick(app, datetime(2026, 11, 22, 6, 1, tzinfo=OSLO))
    rows = _daily_rows(db)
    assert started["daily"] == len(scheduler.DAILY_JOBS) == len(rows) >= 10
    assert set(rows.values()) == {DONE} and all(key.endswith("-2026-11-22") for key in rows)
    scheduler.tick(app, datetime(2026, 11, 22, 6, 2, tzinfo=OSLO))  # the next minute: nothing runs again
    with platform_access(db):
        finished = db.scalars(select(OutboxJob.finished_at).where(OutboxJob.job_key.like("daily-%"))).all()
    assert len(finished) == len(rows)


def test_the_sweeper_honours_a_back_off_and_otherwise_waits_two_minutes(app, db):
    now = utcnow()
    with platform_access(db):
        db.add_all([OutboxJob(job_key="fresh", name="saas.mail.deliver", args=[-1], status=PENDING, created_at=now),
                    OutboxJob(job_key="stale", name="saas.mail.deliver", args=[-2], status=PENDING,
                              created_at=now - timedelta(minutes=3)),
                    OutboxJob(job_key="backing-off", name="saas.mail.deliver", args=[-3], status=PENDING, attempts=1,
                              created_at=now - timedelta(minutes=3), not_before=now + timedelta(seconds=30)),
                    OutboxJob(job_key="due", name="saas.mail.deliver", args=[-4], status=PENDING, attempts=1,
                              created_at=now, dispatched_at=now, not_before=now - timedelta(seconds=1))])
    db.commit()
    assert sweep(app, now=now) == 2  # "stale" and "due" run now (JOBS_MODE=sync), the others wait
    with platform_access(db):
        states = dict(db.execute(select(OutboxJob.job_key, OutboxJob.status)).all())
    assert states == {"fresh": PENDING, "stale": DONE, "backing-off": PENDING, "due": DONE}


def test_rows_of_jobs_done_a_month_ago_are_purged_and_failed_ones_stay(app, db):
    from saas.outbox import FAILED, purge_finished_jobs

    long_ago = utcnow() - timedelta(days=31)
    with platform_access(db):
        db.add_all([OutboxJob(job_key="old-done", name="x", args=[], status=DONE, finished_at=long_ago),
                    OutboxJob(job_key="old-failed", name="x", args=[], status=FAILED, finished_at=long_ago),
                    OutboxJob(job_key="new-done", name="x", args=[], status=DONE, finished_at=utcnow())])
        db.flush()
        assert purge_finished_jobs(db, "2026-12-06") == 1
        assert sorted(db.scalars(select(OutboxJob.job_key))) == ["new-done", "old-failed"]


def test_the_procfile_clock_enqueues_a_tick_at_once(tmp_path):
    """`rq cron saas.cron --url …` (the Procfile's clock) enqueues the first tick when it starts."""
    import os
    import signal
    import subprocess
    import time

    import pytest
    from redis import Redis
    from rq import Queue

    from tests.integration.rq_helpers import RQ, PrivateRedis

    if not os.path.exists(RQ):
        pytest.skip("rq is not installed next to this Python")
    server = PrivateRedis(tmp_path)
    server.start()
    clock = subprocess.Popen([RQ, "cron", "saas.cron", "--url", server.url], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        queue = Queue("default", connection=Redis.from_url(server.url))
        deadline = time.monotonic() + 60
        while not queue.job_ids and time.monotonic() < deadline:
            time.sleep(0.2)
        [job_id] = queue.job_ids
        assert queue.fetch_job(job_id).func_name == "saas.jobs.clock_tick"
    finally:
        os.killpg(clock.pid, signal.SIGTERM)
        clock.wait(timeout=30)
        server.stop()
