"""Background jobs: enqueue after commit, run with a fresh session, the same way in every mode.

Modes (config ``JOBS_MODE``): ``rq`` (Redis, production), ``thread`` (in-process, the embedded default),
``sync`` (right after the commit, in the same process: tests).  Jobs take ids, never objects; they
re-read state and return early when their work is already done, so running twice changes nothing.
"""
from __future__ import annotations

import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Callable

from blinker import Namespace
from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from saas.db import Base, after_commit, utcnow
from saas.tenancy import TenantOwned, bind_tenant

log = logging.getLogger(__name__)

# Sent after a job raised and its session rolled back: ``(app, name=..., tenant_id=..., args=[...], error=exc)``.
# Receivers (notifications: "a document failed") open their own session.
job_failed = Namespace().signal("job-failed")

JOBS: dict[str, Callable[..., Any]] = {}
_worker_app: Flask | None = None
_executor_lock = threading.Lock()


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


def enqueue(session: Session, fn: Callable[..., Any], *args: Any, tenant_id: int | None, job_id: str | None = None) -> None:
    """Send ``fn`` to the queue once ``session`` commits.  ``job_id`` makes a repeated enqueue a no-op."""
    app = current_app._get_current_object()
    after_commit(session, lambda: dispatch(app, fn.job_name, tenant_id, list(args), job_id))


def dispatch(app: Flask, name: str, tenant_id: int | None, args: list, job_id: str | None) -> None:
    mode = app.config["JOBS_MODE"]
    if mode == "sync":
        run_job(name, tenant_id, args, app=app)
    elif mode == "thread":
        _executor(app).submit(_run_logged, app, name, tenant_id, args)
    else:
        _enqueue_rq(app, name, tenant_id, args, job_id)


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _executor_lock:
        if "saas.executor" not in app.extensions:
            app.extensions["saas.executor"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="saas-job")
        return app.extensions["saas.executor"]


def _run_logged(app: Flask, name: str, tenant_id: int | None, args: list) -> None:
    try:
        run_job(name, tenant_id, args, app=app)
    except Exception:  # the thread has no caller to report to; the task row says "failed"
        log.exception("job %s failed", name)


def _enqueue_rq(app: Flask, name: str, tenant_id: int | None, args: list, job_id: str | None) -> None:
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    connection = redis_connection(app)
    if job_id:
        try:
            existing = Job.fetch(job_id, connection=connection)
            if existing.get_status(refresh=True) in ("queued", "started", "deferred", "scheduled"):
                return
        except NoSuchJobError:
            pass
    Queue("default", connection=connection).enqueue_call(
        "saas.jobs.rq_entry", args=(name, tenant_id, args), job_id=job_id, result_ttl=3600, failure_ttl=7 * 86400
    )


def redis_connection(app: Flask):
    from redis import Redis

    if "saas.redis" not in app.extensions:
        app.extensions["saas.redis"] = Redis.from_url(app.config["REDIS_URL"])
    return app.extensions["saas.redis"]


@functools.cache
def _preloaded_worker_class():
    from rq import Worker

    class PreloadedWorker(Worker):
        """Builds the application and warms WeasyPrint once, before forking: each work horse inherits
        both instead of building them again for its one job (about 5x the certificate throughput in
        bench/certificate_queue.py).  No database connection is opened before the fork."""

        def work(self, *args, **kwargs):
            global _worker_app
            if _worker_app is None:
                from weasyprint import HTML

                from saas.app import create_app

                _worker_app = create_app()
                with _worker_app.app_context():
                    HTML(string='<p style="font-family: DejaVu Serif">æøå</p><p style="font-family: DejaVu Sans">ÆØÅ</p>').write_pdf()
            return super().work(*args, **kwargs)

    return PreloadedWorker


def __getattr__(name: str):
    # ``rq worker --worker-class saas.jobs.PreloadedWorker``; built lazily so importing saas.jobs stays light.
    if name == "PreloadedWorker":
        return _preloaded_worker_class()
    raise AttributeError(name)


def rq_entry(name: str, tenant_id: int | None, args: list) -> Any:
    """What the RQ worker runs: builds the application once per worker process."""
    global _worker_app
    if _worker_app is None:
        from saas.app import create_app

        _worker_app = create_app()
    return run_job(name, tenant_id, args, app=_worker_app)


def run_job(name: str, tenant_id: int | None, args: list, app: Flask) -> Any:
    """Run one job in its own session bound to ``tenant_id``: one commit at the end, rollback on error."""
    fn = JOBS.get(name)
    if fn is None:
        _import_job_modules()
        fn = JOBS[name]
    ctx = app.app_context() if not has_app_context() or current_app._get_current_object() is not app else None
    if ctx:
        ctx.push()
    try:
        # Documents and e-mails made by jobs are in bokmål, whoever's request started them.
        try:
            with force_locale("nb"), app.extensions["saas.db"].session_scope(write_lock=False) as session:
                if tenant_id is not None:
                    bind_tenant(session, tenant_id)
                return fn(session, *args)
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


JOB_MODULES = ("saas.mail", "saas.tenants.services", "saas.clients.jobs", "saas.hms.jobs", "saas.hms.reminders", "saas.certification.jobs",
               "saas.certification.document_jobs", "saas.certification.audit_reminders", "saas.audits.export",
               "saas.certification.scheme_documents", "saas.surveys.jobs", "saas.billing.jobs", "saas.notifications.jobs",
               "saas.persons.jobs")


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
