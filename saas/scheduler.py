"""The daily jobs (reminders, certificate expiry, survey retention, repairs) and the clock that starts them.

Each daily job is a platform-level job ``fn(session, today_iso)`` that loops over the tenants itself and
is safe to run twice on the same day (sent reminders are claimed under a unique key).  Starting them
records one outbox row per job and day (key ``daily-<job>-<date>``), so a second start on the same day
runs nothing again, and a failed one is retried and shown to the operator like any other job.

The clock is RQ's own scheduler: ``rq cron saas.cron`` enqueues ``saas.jobs.clock_tick`` every minute,
which sweeps the outbox and starts the day's jobs once it is past 06:00 in Oslo.  The embedded default
has no clock process: a daemon thread calls the same ``tick``.
"""
from __future__ import annotations

import logging
import threading
from datetime import date, datetime

from flask import Flask

from saas.i18n import OSLO, today_in_oslo  # noqa: F401  (today_in_oslo is imported from here by features)

log = logging.getLogger(__name__)
RUN_AT_HOUR = 6
TICK_SECONDS = 60

DAILY_JOBS: tuple[str, ...] = ()


def daily_job(fn):
    """Register a job to run once a day (it must already be registered with ``saas.jobs.job``)."""
    global DAILY_JOBS
    if fn.job_name not in DAILY_JOBS:
        DAILY_JOBS = DAILY_JOBS + (fn.job_name,)
    return fn


def daily_key(name: str, day: date) -> str:
    return f"daily-{name}-{day.isoformat()}"


def run_daily(app: Flask, today: date | None = None) -> list[str]:
    """Start every daily job for ``today`` (each once per day: a job already done today is not run
    again, a failed one is); returns the outbox keys of the day's jobs."""
    from saas.jobs import JOBS, _import_job_modules, enqueue

    _import_job_modules()
    today = today or today_in_oslo()
    keys = []
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        for name in DAILY_JOBS:
            key = daily_key(name, today)
            enqueue(session, JOBS[name], today.isoformat(), tenant_id=None, job_id=key, rerun_done=False)
            keys.append(key)
    from saas.outbox import job_key

    return [job_key(k) for k in keys]


def daily_due(now: datetime) -> date | None:
    """The day whose daily jobs are due at ``now`` (Oslo time): today from 06:00, else none."""
    local = now.astimezone(OSLO)
    return local.date() if local.hour >= RUN_AT_HOUR else None


def tick(app: Flask, now: datetime | None = None) -> dict:
    """One beat of the clock: hand waiting outbox jobs over again, and start the daily jobs once due."""
    from saas.outbox import sweep

    now = now or datetime.now(OSLO)
    swept = sweep(app)
    day = daily_due(now)
    started = run_daily(app, day) if day is not None else []
    return {"swept": swept, "daily": len(started)}


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    """The embedded default's clock: ``tick`` every minute until ``stop`` is set."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            tick(app)
        except Exception:  # the clock must keep ticking; the failure is logged and retried next minute
            log.exception("clock tick failed")
        stop.wait(TICK_SECONDS)


def start_in_background(app: Flask) -> threading.Event:
    """The embedded default has no clock process: a daemon thread plays its part."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="saas-clock", daemon=True).start()
    return stop
