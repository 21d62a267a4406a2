"""The daily jobs (reminders, certificate expiry, survey retention) and the clock that starts them.

Each daily job is a platform-level job ``fn(session, today_iso)`` that loops over the tenants itself and
is safe to run twice on the same day (sent reminders are claimed under a unique key).
"""
from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta

from flask import Flask

from saas.i18n import OSLO, today_in_oslo
from saas.jobs import _import_job_modules, dispatch

log = logging.getLogger(__name__)
RUN_AT_HOUR = 6

DAILY_JOBS: tuple[str, ...] = ()


def daily_job(fn):
    """Register a job to run once a day (it must already be registered with ``saas.jobs.job``)."""
    global DAILY_JOBS
    if fn.job_name not in DAILY_JOBS:
        DAILY_JOBS = DAILY_JOBS + (fn.job_name,)
    return fn


def run_daily(app: Flask, today: date | None = None) -> list[str]:
    """Start every daily job for ``today`` (deduplicated by job id in RQ); returns their names."""
    _import_job_modules()
    today = today or today_in_oslo()
    for name in DAILY_JOBS:
        # RQ job ids allow letters, digits, "_" and "-" only: the dotted job name is spelled with "_".
        dispatch(app, name, None, [today.isoformat()], job_id=f"daily-{name.replace('.', '_')}-{today.isoformat()}")
    return list(DAILY_JOBS)


def seconds_until_next_run(now: datetime) -> float:
    target = now.replace(hour=RUN_AT_HOUR, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    """Run the daily jobs now and then every day at 06:00 Europe/Oslo."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            run_daily(app)
        except Exception:  # the clock must keep ticking; the failure is logged and retried tomorrow
            log.exception("daily jobs failed to start")
        stop.wait(seconds_until_next_run(datetime.now(OSLO)))


def start_in_background(app: Flask) -> threading.Event:
    """The embedded default has no clock process: a daemon thread plays its part."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="saas-clock", daemon=True).start()
    return stop

