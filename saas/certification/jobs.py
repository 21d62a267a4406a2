"""Certification jobs: the yearly run (a task with a progress bar) and the daily expiry and renewal
reminders (platform-level: they loop over the tenants themselves; safe to run twice on a day)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.certification import reminders
from saas.certification.services import certificates, yearly_run
from saas.certification.services.facts import BATCH
from saas.jobs import BackgroundTask, Progress, job, start_task
from saas.scheduler import daily_job
from saas.tenants.models import User
from saas.tenants.services import each_tenant


def start_yearly_run(session: Session, actor: User, within_days: int, today: date) -> BackgroundTask:
    """Start the yearly run for the bound tenant (after the request commits); returns its task."""
    task = start_task(session, yearly_run.TASK_KIND, run_yearly, within_days, today.isoformat(), user_id=actor.id)
    record(session, actor, "certification.yearly_run_started", task, f"Årlig gjennomgang, {within_days} dager")
    return task


@job
def run_yearly(session: Session, task_id: int, within_days: int, today_iso: str) -> None:
    """Evaluate the run's companies and store the table in the task's result; does nothing when the task
    has already ended."""
    task = session.scalar(select(BackgroundTask).where(BackgroundTask.id == task_id))
    if task is None or task.status in ("done", "failed"):
        return
    today = date.fromisoformat(today_iso)
    progress = Progress(session, task_id, every=BATCH)

    def report(done: int, total: int) -> None:
        if done == 0:
            progress.start(total, "Vurderer bedriftene …")
        else:
            progress.advance(done)

    rows = yearly_run.evaluate_run(session, today, within_days, report)
    # Nothing was written: end the read transaction before writing (on SQLite a transaction that read
    # before the progress bar's own commits may not become a writer).
    session.rollback()
    eligible = sum(1 for r in rows if r["eligible"])
    progress.finish(session, {"as_of": today_iso, "within_days": within_days, "count": len(rows), "rows": rows},
                    f"{len(rows)} bedrifter vurdert, {eligible} oppfyller kravene til en klasse.")




@daily_job
@job
def expire_certificates(session: Session, today_iso: str) -> int:
    """Store "expired" on live certificates past their last valid day; returns how many changed."""
    today = date.fromisoformat(today_iso)
    return sum(certificates.expire_due(session, today) for _ in each_tenant(session))


@daily_job
@job
def send_renewal_reminders(session: Session, today_iso: str) -> int:
    """E-mail the due renewal reminders (each once); returns how many e-mails went out."""
    today = date.fromisoformat(today_iso)
    return sum(reminders.send_for_tenant(session, tenant, today) for tenant in each_tenant(session))
