"""Background jobs: recorded in the outbox with their cause, run with a fresh session after the commit,
the same way in every mode.

Modes (config ``JOBS_MODE``): ``rq`` (Redis, production), ``thread`` (in-process, the embedded default),
``sync`` (right after the commit, in the same process: tests).  Jobs take ids, never objects; they
re-read state and return early when their work is already done, so running twice changes nothing.
The outbox (saas/outbox.py) makes the hand-over durable: see its docstring.
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime
from typing import Any, Callable

from blinker import Namespace
from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned, bind_tenant

log = logging.getLogger(__name__)

# Sent after a job raised and its session rolled back: ``(app, name=..., tenant_id=..., args=[...], error=exc)``.
# Receivers (notifications: "a document failed") open their own session.
job_failed = Namespace().signal("job-failed")

JOBS: dict[str, Callable[..., Any]] = {}
_worker_app: Flask | None = None


class BackgroundTask(TenantOwned, Base):
    """Progress of long work a person waits for (imports, yearly runs), shown as a progress bar."""

    __tablename__ = "background_tasks"
    __url_param__ = "task_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, running, done, failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def job(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn(session, *args)`` as a job under its dotted name."""
    JOBS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    fn.job_name = f"{fn.__module__}.{fn.__qualname__}"
    return fn


def enqueue(session: Session, fn: Callable[..., Any], *args: Any, tenant_id: int | None, job_id: str | None = None,
            rerun_done: bool = True) -> bool:
    """Record ``fn(*args)`` in the outbox in ``session``'s transaction; it goes to the queue once the session
    commits, and the sweeper hands it over again until it is done.

    ``job_id`` is the deterministic key: while a job with the same key is pending, enqueueing it again is a
    no-op.  A finished job with the same key runs again, unless ``rerun_done`` is False.  Returns True when
    the job was (re-)armed.
    """
    from saas.outbox import job_key, record

    key = job_key(job_id or f"{fn.__name__}-{uuid.uuid4().hex}")
    return record(session, fn.job_name, list(args), tenant_id, key, rerun_done=rerun_done)


def redis_connection(app: Flask):
    """The application's Redis client (see saas.outbox)."""
    from saas.outbox import redis_connection as connection

    return connection(app)


def __getattr__(name: str):
    # ``rq worker --worker-class saas.jobs.PreloadedWorker`` (the Procfile's; see saas/worker.py), imported
    # lazily so importing saas.jobs stays light.
    if name in ("PreloadedWorker", "ForkingPreloadedWorker"):
        import saas.worker

        return getattr(saas.worker, name)
    raise AttributeError(name)


def worker_app() -> Flask:
    """The application of this worker process, built once."""
    global _worker_app
    if _worker_app is None:
        from saas.app import create_app

        _worker_app = create_app()
    return _worker_app


def rq_entry(name: str, tenant_id: int | None, args: list, key: str | None = None) -> Any:
    """What the RQ worker runs.  With an outbox ``key`` the job skips work already done, marks its row
    done with the work, and a failure is written on the row (RQ's Retry runs it again with back-off)."""
    app = worker_app()
    if key is None:
        return run_job(name, tenant_id, args, app=app)
    from rq import get_current_job

    from saas.outbox import Armed

    current = get_current_job()
    will_retry = bool(current is not None and current.retries_left and current.retries_left > 0)
    return run_recorded(app, Armed(key, name, tenant_id, list(args)), will_retry=will_retry)


def clock_tick() -> dict:
    """What ``rq cron`` starts every minute (see saas/cron.py): sweep the outbox, start the daily jobs
    when they are due."""
    from saas.scheduler import tick

    app = worker_app()
    with app.app_context():
        return tick(app)


LOCK_RETRIES = 6


def run_recorded(app: Flask, armed, will_retry: bool | None = None) -> Any:
    """Run an outbox job: a lock error on SQLite is retried after a short pause (the job is idempotent and
    its transaction rolled back); any other failure is written on the job's row and raised again."""
    from saas.outbox import record_failure

    if will_retry is None and app.config["JOBS_MODE"] == "sync":
        will_retry = False
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return run_job(armed.name, armed.tenant_id, armed.args, app=app, outbox_key=armed.key)
        except OperationalError as error:
            if "database is locked" not in str(error) or attempt == LOCK_RETRIES:
                record_failure(app, armed.key, error, will_retry)
                raise
            log.warning("job %s: database is locked, trying again", armed.key)
            time.sleep(0.2 * 2 ** attempt)
        except Exception as error:
            record_failure(app, armed.key, error, will_retry)
            raise


def run_job(name: str, tenant_id: int | None, args: list, app: Flask, outbox_key: str | None = None) -> Any:
    """Run one job in its own session bound to ``tenant_id``: one commit at the end, rollback on error.

    On SQLite the job takes the write lock when it begins (a transaction that reads and later writes
    fails at once when another writer got in between), except tasks, whose progress bar is written
    through a second connection while they run.
    """
    fn = JOBS.get(name)
    if fn is None:
        _import_job_modules()
        fn = JOBS[name]
    ctx = app.app_context() if not has_app_context() or current_app._get_current_object() is not app else None
    if ctx:
        ctx.push()
    try:
        from saas.outbox import mark_done

        # Documents and e-mails made by jobs are in bokmål, whoever's request started them.
        try:
            with force_locale("nb"), app.extensions["saas.db"].session_scope(write_lock=name != run_task.job_name) as session:
                if tenant_id is not None:
                    bind_tenant(session, tenant_id)
                result = fn(session, *args)
                if outbox_key is not None and not mark_done(session, outbox_key, tenant_id):
                    # Done already (a second delivery of the same job), or its cause rolled back: the work of
                    # this run is not kept.  Checked at the end, in the same statement that marks the row.
                    session.rollback()
                    return None
                return result
        except Exception as error:
            try:
                job_failed.send(app, name=name, tenant_id=tenant_id, args=list(args), error=error)
            except Exception:  # telling about a failure must never hide the failure itself
                log.exception("job_failed receivers failed for %s", name)
            raise
    finally:
        if ctx:
            ctx.pop()


def _import_job_modules() -> None:
    import importlib

    for module in JOB_MODULES:
        importlib.import_module(module)


JOB_MODULES = ("saas.outbox", "saas.mail", "saas.tenants.services", "saas.clients.jobs", "saas.hms.jobs", "saas.hms.reminders",
               "saas.certification.jobs", "saas.certification.document_jobs", "saas.certification.audit_reminders",
               "saas.audits.export", "saas.certification.scheme_documents", "saas.surveys.jobs", "saas.billing.jobs",
               "saas.notifications.jobs", "saas.persons.jobs")


# -- progress for long work -------------------------------------------------------------------------

def start_task(session: Session, kind: str, fn: Callable[..., Any], *args: Any, user_id: int | None, total: int = 0) -> BackgroundTask:
    """Create a task row and enqueue ``fn(session, task_id, *args)`` after commit."""
    task = BackgroundTask(kind=kind, created_by=user_id, total=total)
    session.add(task)
    session.flush()
    enqueue(session, run_task, task.id, fn.job_name, *args, tenant_id=task.tenant_id, job_id=f"task-{task.id}")
    return task


@job
def run_task(session: Session, task_id: int, name: str, *args: Any) -> Any:
    """Run a task's job; if it fails unexpectedly, its progress bar ends in "failed" instead of spinning."""
    try:
        return JOBS[name](session, task_id, *args)
    except Exception:
        session.rollback()
        Progress(session, task_id)._write(status="failed", message="Jobben feilet uventet. Prøv igjen, eller kontakt oss.",
                                          finished_at=utcnow())
        raise


class Progress:
    """Reports a task's progress through a separate short session, so it shows while the job's own
    transaction is still open."""

    def __init__(self, session: Session, task_id: int, every: int = 50):
        self.task_id = task_id
        self.tenant_id = session.info.get("tenant_id")
        self.factory = current_app.extensions["saas.db"].sessionmaker
        self.every = every
        self._last = -1

    def _write(self, **values: Any) -> None:
        with self.factory() as side:
            bind_tenant(side, self.tenant_id)
            task = side.scalar(select(BackgroundTask).where(BackgroundTask.id == self.task_id))
            if task is None:
                return
            for key, value in values.items():
                setattr(task, key, value)
            side.commit()

    def start(self, total: int, message: str = "") -> None:
        self._write(status="running", total=total, done=0, message=message)

    def advance(self, done: int) -> None:
        if done - self._last >= self.every:
            self._last = done
            self._write(done=done)

    def finish(self, session: Session, result: dict, message: str = "", failed: bool = False) -> None:
        """Final state, written in the job's own transaction so it commits with the work itself."""
        task = session.scalar(select(BackgroundTask).where(BackgroundTask.id == self.task_id))
        task.status = "failed" if failed else "done"
        task.result = result
        task.message = message
        task.done = task.total if not failed else task.done
        task.finished_at = utcnow()
