"""The RQ worker of the Procfile (``rq worker --worker-class saas.jobs.PreloadedWorker``).

What a job needs that does not depend on the job is made once per process, before any job runs
(``preload``): the application, every PDF and e-mail template compiled, WeasyPrint's fonts and stylesheet
machinery warmed by rendering a sample certificate, and the database dialect set up by one connection
that is closed again.  Measured in bench/certificate_queue.py (see the README, *Production*).

``PreloadedWorker`` (the Procfile's) runs jobs in its own process, one after the other, like RQ's
SimpleWorker: no fork per job, so no template compiled, connection opened or 140 MiB process copied and
torn down per job.  It is *recycled*: a small supervisor process keeps the preloaded state and forks the
process that works; that one exits after ``WORKER_RECYCLE_JOBS`` jobs (default 500) and the supervisor
forks a fresh one from the same warm state, so whatever a long run leaks goes with it.  Every job still gets
its own session, transaction and row-level security scope (``saas.jobs.run_job``), exactly as a web
request in a gunicorn process does.

``ForkingPreloadedWorker`` is the same preload with RQ's fork per job (the work horse), kept for the
comparison in the bench.

Both leave the command channel's thread without the 60-second exit stall of rq 3.0 with redis-py 8
(``_PromptExit``).
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import time
from datetime import date
from uuid import uuid4

from rq import SimpleWorker
from rq import Worker as ForkingWorker

log = logging.getLogger(__name__)

RECYCLED = 3  # exit status of a worker process that stopped because it did its share of jobs


def preload():
    """Build this process's application and make everything a job would otherwise make on first use; returns
    the application.  Opens no database connection that outlives it (a fork must not share one)."""
    import saas.jobs

    app = saas.jobs.worker_app()
    with app.app_context():
        saas.jobs._import_job_modules()
        env = app.jinja_env
        for name in env.list_templates(filter_func=lambda n: n.startswith(("pdf/", "email/")) and n.endswith((".html", ".txt"))):
            env.get_template(name)  # compiled once into the environment's cache (no auto-reload outside debug)
        _warm_weasyprint()
    db = app.extensions["saas.db"]
    try:
        # The first connection sets the dialect up (server version, types); the outbox's own statements
        # (scope seal, mark done) are compiled into the engine's cache in a rolled-back transaction.
        from saas.outbox import warm_up

        warm_up(app)
    except Exception as error:  # the database may be down at start: the first job sets it up instead
        log.warning("worker preload: no database connection (%s); the first job connects", error)
    db.engine.dispose()  # close it: no connection is inherited across a fork
    # Everything made so far lives as long as the process: out of the collector's sight.  A full collection
    # no longer walks the application's ~350,000 objects while a job runs (54 -> 20 ms of collection per
    # certificate in bench/certificate_queue.py), and a fork no longer copies the pages it would touch.
    gc.collect()
    gc.freeze()
    return app


def _warm_weasyprint() -> None:
    """Render the certificate template with made-up data: fonts found and loaded, the stylesheet's machinery,
    the QR code library, all before the first real job."""
    from saas.certification import documents
    from saas.tenants.models import Tenant

    tenant = Tenant(id=0, slug="forvarming", name="Forvarming AS", org_number="123456785", address="Storgata 1",
                    postcode="0155", city="Oslo", signatory_name="Åse Ødegård", signatory_title="Daglig leder")
    documents.render_certificate(documents.sample_data(tenant, date(2026, 1, 1)))


class _PromptExit:
    """rq 3.0 stops its command channel's thread (redis-py's PubSubWorkerThread, reading with a 60-second
    timeout) by sending UNSUBSCRIBE and then ``stop()``, which with redis-py 8 waits for the thread without a
    limit.  When the thread reads the UNSUBSCRIBE reply before ``stop()`` clears its flag, it goes on to wait
    up to 60 s for a subscription that will never come, and the worker's exit (``--burst`` with an empty
    queue, or SIGTERM) waits with it.  Here the flag is cleared first, so the reply ends the thread, and
    the thread reads with a 1-second timeout, so nothing can hold the exit longer than that."""

    pubsub_read_timeout = 1.0

    def subscribe(self):
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=self.pubsub_read_timeout, daemon=True,
                                                       exception_handler=self._pubsub_exception_handler)

    def unsubscribe(self):
        thread, pubsub = self.pubsub_thread, self.pubsub
        if thread is None:
            return
        self.log.info("Worker %s: unsubscribing from channel %s", self.name, self.pubsub_channel_name)
        thread.stop(timeout=0)  # clears the run flag without waiting
        try:
            pubsub.unsubscribe()  # its reply wakes the thread's read; it sees the flag and ends
        except Exception as error:  # Redis gone: the thread ends on its own within its read timeout
            self.log.debug("Worker %s: unsubscribe failed: %s", self.name, error)
        thread.join(timeout=self.pubsub_read_timeout + 1)
        if not thread.is_alive():
            pubsub.close()
        self.pubsub_thread = None


class ForkingPreloadedWorker(_PromptExit, ForkingWorker):
    """RQ's worker (a work horse forked per job) after ``preload``: each horse inherits the warm state."""

    def work(self, *args, **kwargs):
        preload()
        return super().work(*args, **kwargs)


class PreloadedWorker(_PromptExit, SimpleWorker):
    """The Procfile's worker: preloaded once, jobs run in the working process without a fork per job, and that
    process recycled after ``WORKER_RECYCLE_JOBS`` jobs (0: never) by a supervisor that forks the next one
    from the same warm state.  SIGTERM/SIGINT to the supervisor is passed on: the job in hand is finished
    (warm shutdown), a second signal stops it at once (RQ's cold shutdown)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.recycle_after = int(os.environ.get("WORKER_RECYCLE_JOBS", "500"))
        self.jobs_done = 0
        self._child: int | None = None
        self._stopping = False

    def execute_job(self, job, queue):
        try:
            return super().execute_job(job, queue)
        finally:
            self.jobs_done += 1

    def work(self, burst: bool = False, logging_level: str | None = None, *args, max_jobs: int | None = None, **kwargs) -> bool:
        preload()
        if max_jobs is not None or self.recycle_after <= 0:
            return super().work(burst, logging_level, *args, max_jobs=max_jobs, **kwargs)
        from rq.logutils import setup_loghandlers

        setup_loghandlers(logging_level or "INFO", name="rq.worker")
        previous = {sig: signal.signal(sig, self._pass_on) for sig in (signal.SIGTERM, signal.SIGINT)}
        worked = False
        try:
            while not self._stopping:
                status = self._run_one_process(burst, logging_level, *args, **kwargs)
                worked = True
                if status == RECYCLED:
                    self.log.info("Worker: process recycled after %d jobs", self.recycle_after)
                    continue
                if status == 0 or self._stopping:
                    break
                self.log.warning("Worker: working process ended with status %s; starting another", status)
                time.sleep(1)  # a process that dies at once must not make the supervisor spin
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return worked

    def _run_one_process(self, burst, logging_level, *args, **kwargs) -> int:
        """Fork the working process, wait for it; returns its exit status (RECYCLED: did its share)."""
        pid = os.fork()
        if pid == 0:  # the working process
            status = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)  # until RQ installs its own (warm shutdown)
                self.name = uuid4().hex  # a worker key of its own in Redis
                self.jobs_done = 0
                super().work(burst, logging_level, *args, max_jobs=self.recycle_after, **kwargs)
                status = RECYCLED if self.jobs_done >= self.recycle_after and not self._stop_requested else 0
            except BaseException:
                logging.getLogger("rq.worker").exception("Worker: the working process failed")
            finally:
                logging.shutdown()
                os._exit(status)
        self._child = pid
        try:
            _, raw = os.waitpid(pid, 0)
        finally:
            self._child = None
        return os.waitstatus_to_exitcode(raw)

    def _pass_on(self, signum, frame):
        self._stopping = True
        if self._child:
            try:
                os.kill(self._child, signum)
            except ProcessLookupError:
                pass
