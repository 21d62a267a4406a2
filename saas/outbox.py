"""The transactional outbox: every piece of background work is a row written in the same transaction as
its cause, handed to the queue after the commit, and handed again by the sweeper until it is done.

* ``record`` writes (or re-arms) the row of one job, keyed by its deterministic job key.  A key that is
  already pending is a no-op, so a repeated enqueue never runs the work twice in parallel.
* ``dispatch`` hands armed rows to RQ (``rq``), to the one in-process job thread (``thread``) or runs them
  at once (``sync``, tests).  It never raises: with Redis down the rows simply stay pending.
* The job marks its own row done in its own transaction (``mark_done``), so "done" commits with the work;
  a job whose row is already done (a second delivery) or missing (its cause rolled back) keeps nothing.
  A failure is written in a separate transaction (``record_failure``), with the error the admin sees.
* ``sweep`` (every minute from the clock) dispatches again what is pending and that no queue holds:
  never reached Redis, lost by Redis, or abandoned by a killed worker.

Job keys are also the RQ job ids, so they use only the characters RQ allows (``[A-Za-z0-9_-]``).
"""
from __future__ import annotations

import functools
import logging
import re
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from flask import Flask
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, and_, bindparam, event, func, literal, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from saas.db import Base, after_commit, utcnow
from saas.jobs import job
from saas.scheduler import daily_job
from saas.tenancy import TenantOwned, bind_tenant, bound_tenant, is_platform, platform_access, sealed_connection

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"
MAX_ATTEMPTS = 4  # the first run and three retries
RETRY_INTERVALS = (10, 60, 300)  # seconds before the 2nd, 3rd and 4th attempt
GRACE = timedelta(minutes=2)  # how long a pending row may wait in the queue before the sweeper looks at it
REDIS_PAUSE = 5.0  # after a failed hand-over, requests leave Redis alone this long (the rows wait)
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class OutboxJob(TenantOwned, Base):
    """One piece of background work and its fate; platform-level work has no tenant."""

    __tablename__ = "outbox_jobs"
    __url_param__ = "job_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Platform-level jobs (daily runs, e-mail delivery, Stripe events) belong to no tenant.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    job_key: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSON, default=list)
    # Not indexed: marking a row done is then a heap-only update (migration 0016).
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    not_before: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Armed:
    """What a queue needs to run one recorded job."""

    key: str
    name: str
    tenant_id: int | None
    args: list


def job_key(raw: str) -> str:
    """``raw`` with every character RQ refuses in a job id replaced (dots included)."""
    return _KEY_CHARS.sub("_", raw)[:160]


# -- recording ---------------------------------------------------------------------------------------

def record(session: Session, name: str, args: list, tenant_id: int | None, key: str, *, rerun_done: bool = True) -> bool:
    """Write the job's row in ``session``'s transaction and dispatch it after the commit.

    Returns True when the row is new or re-armed; False when the same key is already pending (or done,
    with ``rerun_done=False``), in which case nothing more happens.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()  # rows the job refers to exist before its own row does
    parameters = dict(p_tenant=tenant_id, p_key=key, p_name=name, p_args=list(args), p_now=utcnow())
    with _as_owner(session, tenant_id):
        connection = sealed_connection(session)
        armed = connection.execute(_insert(session.get_bind().dialect.name), parameters).first() is not None
        if not armed:  # the key has a row already: re-armed when it is done (``rerun_done``) or failed
            armed = connection.execute(_rearm(rerun_done), parameters).first() is not None
    if armed:
        _dispatch_after_commit(session, Armed(key, name, tenant_id, list(args)))
    return armed


@functools.cache
def _insert(dialect: str):
    """INSERT the job's row unless its key has one, RETURNING its id only when it was written.  A plain
    ON CONFLICT DO NOTHING: the re-arm (rare) is a statement of its own, so the common case is not planned
    with an UPDATE's row-level security.  Built once per dialect: building it costs more than running it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    c = OutboxJob.__table__.c
    return insert(OutboxJob.__table__).values(
        tenant_id=bindparam("p_tenant", type_=c.tenant_id.type), job_key=bindparam("p_key", type_=c.job_key.type),
        name=bindparam("p_name", type_=c.name.type), args=bindparam("p_args", type_=c.args.type), status=PENDING,
        attempts=0, last_error="", created_at=bindparam("p_now", type_=c.created_at.type),
    ).on_conflict_do_nothing(index_elements=[c.job_key]).returning(c.id)


@functools.cache
def _rearm(rerun_done: bool):
    """Arm the key's row again when it is done (``rerun_done``) or failed, with the new arguments; RETURNING
    its id only when it was."""
    c = OutboxJob.__table__.c
    # Literal values, no IN list: an expanding parameter would make SQLAlchemy rewrite the SQL every time.
    rearm = or_(c.status == literal(DONE), c.status == literal(FAILED)) if rerun_done else c.status == literal(FAILED)
    return (update(OutboxJob.__table__).where(c.job_key == bindparam("p_key"), rearm)
            .values(status=PENDING, attempts=0, last_error="", args=bindparam("p_args", type_=c.args.type),
                    created_at=bindparam("p_now", type_=c.created_at.type), dispatched_at=None, not_before=None,
                    finished_at=None)
            .returning(c.id))


def _as_owner(session: Session, tenant_id: int | None):
    """Row-level security lets a session write its own tenant's rows; a platform-level job (no tenant) or a
    job recorded for another tenant (a daily fan-out) is written with platform access."""
    from contextlib import nullcontext

    if is_platform(session) or (tenant_id is not None and bound_tenant(session) == tenant_id):
        return nullcontext(session)
    return platform_access(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_armed(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:  # rolled back: nothing to hand over (the rows are gone too)
        session.info.pop("outbox_armed", None)


def _dispatch_after_commit(session: Session, armed: Armed) -> None:
    pending = session.info.get("outbox_armed")
    if pending is None:
        from flask import current_app

        pending = session.info["outbox_armed"] = []
        app = current_app._get_current_object()

        def hand_over():
            session.info.pop("outbox_armed", None)
            dispatch(app, pending)

        after_commit(session, hand_over)
    pending.append(armed)


# -- handing over to a queue ---------------------------------------------------------------------------

def dispatch(app: Flask, jobs: list[Armed]) -> None:
    """Hand recorded jobs to the queue of ``app``'s mode; never raises (a row that did not get through
    stays pending for the sweeper)."""
    if not jobs:
        return
    mode = app.config["JOBS_MODE"]
    if mode == "sync":
        from saas.jobs import run_recorded

        for armed in jobs:
            try:
                run_recorded(app, armed)
            except Exception:  # recorded on the row as failed; the caller's commit stands
                log.exception("job %s failed", armed.key)
    elif mode == "thread":
        for armed in jobs:
            _submit_in_process(app, armed)
    else:
        _enqueue_rq(app, jobs)


def _enqueue_rq(app: Flask, jobs: list[Armed]) -> bool:
    from redis.exceptions import RedisError
    from rq import Queue, Retry

    state = app.extensions.setdefault("saas.redis_state", {"paused_until": 0.0})
    if time.monotonic() < state["paused_until"]:
        log.warning("Redis was unreachable a moment ago; %d job(s) wait in the outbox", len(jobs))
        return False
    intervals = list(app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))
    try:
        connection = redis_connection(app)
        queue = Queue("default", connection=connection)
        with connection.pipeline() as pipeline:
            for armed in jobs:
                queue.enqueue_call("saas.jobs.rq_entry", args=(armed.name, armed.tenant_id, armed.args, armed.key),
                                   job_id=armed.key, retry=Retry(max=MAX_ATTEMPTS - 1, interval=intervals),
                                   result_ttl=3600, failure_ttl=7 * 86400, timeout=app.config.get("JOB_TIMEOUT", 900),
                                   pipeline=pipeline)
            pipeline.execute()
        return True
    except (RedisError, OSError) as error:
        state["paused_until"] = time.monotonic() + REDIS_PAUSE
        log.warning("Redis unreachable (%s); %d job(s) wait in the outbox for the sweeper", error, len(jobs))
        return False


def redis_connection(app: Flask):
    """The application's Redis client: short timeouts and one retry, so an outage costs a request
    milliseconds, not the client library's default backoff."""
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    if "saas.redis" not in app.extensions:
        app.extensions["saas.redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=10,
                                                      retry=Retry(NoBackoff(), 1), health_check_interval=30)
    return app.extensions["saas.redis"]


# -- the in-process queue (embedded default) ----------------------------------------------------------

_executor_lock = threading.Lock()


def _in_process(app: Flask) -> dict:
    with _executor_lock:
        if "saas.executor" not in app.extensions:
            from concurrent.futures import ThreadPoolExecutor

            # One thread: in-process jobs run one at a time, so they never compete for SQLite's write lock.
            app.extensions["saas.executor"] = {"pool": ThreadPoolExecutor(max_workers=1, thread_name_prefix="saas-job"),
                                               "in_flight": set(), "lock": threading.Lock()}
        return app.extensions["saas.executor"]


def _submit_in_process(app: Flask, armed: Armed) -> None:
    state = _in_process(app)
    with state["lock"]:
        if armed.key in state["in_flight"]:
            return
        state["in_flight"].add(armed.key)
    state["pool"].submit(_run_in_process, app, armed)


def _run_in_process(app: Flask, armed: Armed) -> None:
    from saas.jobs import run_recorded

    state = _in_process(app)
    try:
        run_recorded(app, armed)
    except Exception:  # the row says failed (or when to try again); the thread has no caller to tell
        log.exception("job %s failed", armed.key)
    finally:
        with state["lock"]:
            state["in_flight"].discard(armed.key)


def wait_until_idle(app: Flask, timeout: float = 60.0) -> bool:
    """Block until the in-process queue is empty (tests, the bench and ``saas daily``)."""
    deadline = time.monotonic() + timeout
    state = _in_process(app)
    while time.monotonic() < deadline:
        with state["lock"]:
            if not state["in_flight"]:
                return True
        time.sleep(0.05)
    return False


# -- the job's own bookkeeping ---------------------------------------------------------------------

def mark_done(session: Session, key: str, tenant_id: int | None) -> bool:
    """Mark the job done inside the job's own transaction, so it commits, or rolls back, with the work.
    False when there is no row still to do (done by an earlier delivery, or its cause rolled back)."""
    with _as_owner(session, tenant_id):
        marked = sealed_connection(session).execute(_MARK_DONE, dict(p_key=key, p_now=utcnow()))
    return marked.rowcount == 1


_MARK_DONE = (update(OutboxJob.__table__)
              .where(OutboxJob.__table__.c.job_key == bindparam("p_key"), OutboxJob.__table__.c.status != DONE)
              .values(status=DONE, finished_at=bindparam("p_now", type_=OutboxJob.__table__.c.finished_at.type),
                      last_error="", not_before=None))


def warm_up(app: Flask) -> None:
    """Compile the statements every outbox job runs (the scope seal, ``mark_done``) into the engine's cache,
    in a transaction that is rolled back, then close the connection.  A forking worker calls this before
    it forks: each work horse runs one job and would otherwise compile them again (measured with
    bench/outbox.py on a loaded machine: 10-20 ms a horse, which made the outbox about 35 % slower end to
    end than a direct enqueue)."""
    db = app.extensions["saas.db"]
    with app.app_context():
        session = db.sessionmaker()
        try:
            for tenant_id in (None, 0):
                bind_tenant(session, tenant_id)
                mark_done(session, "-warm-up-", tenant_id)  # no such key: nothing is written
        finally:
            session.rollback()
            session.close()
    db.engine.dispose()


def describe(error: BaseException) -> str:
    """The error as the admin sees it: its type and message, and where in our code it was raised."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/saas/" in f.filename]
    where = f" ({frames[-1].filename.rsplit('/saas/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}"[:1800] + where


def record_failure(app: Flask, key: str, error: BaseException, will_retry: bool | None) -> str:
    """Count a failed attempt in a transaction of its own; returns the row's new status.

    ``will_retry``: whether the queue runs the job again by itself (RQ's Retry); None lets the outbox
    decide (in-process jobs), with a back-off in ``not_before`` that the clock thread honours.
    """
    db = app.extensions["saas.db"]
    table = OutboxJob.__table__
    with db.session_scope() as session, platform_access(session):
        row = sealed_connection(session).execute(select(table.c.attempts, table.c.status).where(table.c.job_key == key)).first()
        if row is None or row.status == DONE:
            return row.status if row else ""
        attempts = row.attempts + 1
        values: dict[str, Any] = dict(attempts=attempts, last_error=describe(error), dispatched_at=utcnow())
        if will_retry is None:
            will_retry = attempts < MAX_ATTEMPTS
            if will_retry:
                intervals = list(app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))
                values["not_before"] = utcnow() + timedelta(seconds=intervals[min(attempts, len(intervals)) - 1])
        values["status"] = PENDING if will_retry else FAILED
        if not will_retry:
            values["finished_at"] = utcnow()
            log.error("job %s failed for good after %d attempts: %s", key, attempts, values["last_error"])
        sealed_connection(session).execute(update(table).where(table.c.job_key == key).values(**values))
        return values["status"]


# -- retrying by hand and sweeping ----------------------------------------------------------------------

def retry(session: Session, job: OutboxJob) -> bool:
    """Arm a failed job again (the retry button); returns False when it is not failed."""
    if job.status != FAILED:
        return False
    job.status, job.attempts, job.not_before, job.finished_at, job.dispatched_at = PENDING, 0, None, None, None
    session.flush()
    _dispatch_after_commit(session, Armed(job.job_key, job.name, job.tenant_id, list(job.args or [])))
    return True


def sweep(app: Flask, now: datetime | None = None, limit: int = 500) -> int:
    """Dispatch again every pending job that waited longer than ``GRACE`` and that no queue holds;
    returns how many were handed over.  Safe to run at any time, from any process."""
    now = now or utcnow()
    db = app.extensions["saas.db"]
    table = OutboxJob.__table__
    with app.app_context(), db.session_scope() as session, platform_access(session):
        rows = sealed_connection(session).execute(
            select(table.c.id, table.c.job_key, table.c.name, table.c.tenant_id, table.c.args, table.c.attempts)
            .where(table.c.status == PENDING,
                   # a back-off the outbox set itself (in-process retries) is due at its time; the rest after GRACE
                   or_(table.c.not_before <= now,
                       and_(table.c.not_before.is_(None),
                            func.coalesce(table.c.dispatched_at, table.c.created_at) <= now - GRACE)))
            .order_by(table.c.id).limit(limit)).all()
        if not rows:
            return 0
        mode = app.config["JOBS_MODE"]
        lost: dict[str, bool] = {}  # key -> whether a queue had it and gave up (an attempt to count)
        if mode == "rq":
            statuses = _rq_statuses(app, [r.job_key for r in rows], now)
            if statuses is None:
                return 0  # Redis is still down: the rows keep waiting
            for row in rows:
                status = statuses.get(row.job_key)
                if status not in ("queued", "started", "scheduled", "deferred"):
                    lost[row.job_key] = status in ("failed", "stopped", "canceled")
        elif mode == "thread":
            in_flight = _in_process(app)["in_flight"]
            lost = {r.job_key: False for r in rows if r.job_key not in in_flight}
        else:
            lost = {r.job_key: False for r in rows}
        armed = []
        for row in rows:
            if row.job_key not in lost:
                continue
            attempts = row.attempts + (1 if lost[row.job_key] else 0)
            if attempts >= MAX_ATTEMPTS:
                sealed_connection(session).execute(update(table).where(table.c.id == row.id).values(
                    status=FAILED, attempts=attempts, finished_at=now,
                    last_error="Jobben ble avbrutt (arbeidsprosessen stoppet) for mange ganger."))
                continue
            sealed_connection(session).execute(update(table).where(table.c.id == row.id).values(dispatched_at=now, attempts=attempts))
            armed.append(Armed(row.job_key, row.name, row.tenant_id, list(row.args or [])))
    if armed:
        log.info("sweeper: handing %d waiting job(s) to the queue again", len(armed))
        if app.config["JOBS_MODE"] == "rq":
            _enqueue_rq(app, armed)
        else:
            with app.app_context():
                dispatch(app, armed)
    return len(armed)


def _rq_statuses(app: Flask, keys: Iterable[str], now: datetime) -> dict[str, str | None] | None:
    """RQ's status of each key (None: unknown to Redis), after moving jobs of dead workers out of the
    started registry (RQ retries those or marks them failed); None when Redis is unreachable."""
    from redis.exceptions import RedisError
    from rq import Queue
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    try:
        connection = redis_connection(app)
        StartedJobRegistry(queue=Queue("default", connection=connection)).cleanup(timestamp=now.timestamp())
        keys = list(keys)
        jobs = Job.fetch_many(keys, connection=connection)
        return {key: (job.get_status(refresh=False) if job is not None else None) for key, job in zip(keys, jobs)}
    except (RedisError, OSError) as error:
        log.warning("sweeper: Redis unreachable (%s)", error)
        return None


def counts(session: Session) -> dict[str, int]:
    """Jobs by status, as seen by ``session`` (a tenant's own, or all with platform access)."""
    rows = session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all()
    return {PENDING: 0, DONE: 0, FAILED: 0, **{status: n for status, n in rows}}


KEEP_DONE = timedelta(days=30)


@daily_job
@job
def purge_finished_jobs(session: Session, today_iso: str) -> int:
    """Delete the rows of jobs done more than 30 days ago (failed ones stay until someone retries them)."""
    table = OutboxJob.__table__
    with platform_access(session):
        deleted = sealed_connection(session).execute(
            table.delete().where(table.c.status == DONE, table.c.finished_at < utcnow() - KEEP_DONE))
    return deleted.rowcount
