"""E-mail reminders about action-item deadlines, sent by a daily job that never sends one twice.

Before the deadline a reminder goes out at each of the tenant's ``action_reminder_days`` (30, 7 and 1 by
default); after it, once per week of being overdue. Recipients are the responsible person (when that is
a user with an e-mail address) and the year's consultant (the company's when the year names none).

Each reminder is claimed by inserting a ``SentReminder`` row with a deterministic key under a unique
constraint, in a savepoint, in the same transaction as the outbox message: a second run, or a run racing
this one, fails the insert and skips, and a rolled-back run leaves neither claim nor message behind.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from saas.clients.models import ClientCompany
from saas.hms.models import ActionItem, CertificationYear, SentReminder
from saas.i18n import display_date
from saas.jobs import job, run_job
from saas.mail import send_mail
from saas.scheduler import daily_job
from saas.tenants.models import Tenant, User
from saas.tenants.services import each_tenant

DEFAULT_DAYS = (30, 7, 1)
OVERDUE_EVERY_DAYS = 7


# -- when (pure) -----------------------------------------------------------------------------------------

def reminder_days(configured) -> tuple[int, ...]:
    """The tenant's setting as positive whole days, largest first; the default when unusable."""
    if not isinstance(configured, (list, tuple)):
        return DEFAULT_DAYS
    days = {d for d in configured if isinstance(d, int) and not isinstance(d, bool) and d > 0}
    return tuple(sorted(days, reverse=True))


def due_threshold(deadline: date, today: date, days: Iterable[int]) -> int | None:
    """The before-deadline reminder due today: the tightest threshold already reached, or None.

    Taking the tightest reached threshold (not only an exact day match) means a day the job did not run
    is caught up the next day, and an item created 5 days before its deadline gets the 7-day reminder
    rather than a late 30-day one. An item due today counts as 1 day left.
    """
    left = (deadline - today).days
    if left < 0:
        return None
    reached = [d for d in days if d >= max(left, 1)]
    return min(reached) if reached else None


def overdue_week(deadline: date, today: date) -> int | None:
    """0 in the first week after the deadline, 1 in the second, ...; None when not overdue."""
    late = (today - deadline).days
    return (late - 1) // OVERDUE_EVERY_DAYS if late >= 1 else None


# -- the job ---------------------------------------------------------------------------------------------

@daily_job
@job
def send_action_reminders(session: Session, today_iso: str) -> dict:
    """Send every reminder due on ``today_iso`` for every active tenant; returns {"sent": n}."""
    today = date.fromisoformat(today_iso)
    # A suspended tenant's people can't log in, so no reminder sends them to a page they can't open.
    return {"sent": sum(_remind_tenant(session, tenant, today) for tenant in each_tenant(session, reachable_only=True))}


def _candidates(session: Session, today: date, horizon: int):
    responsible, consultant = aliased(User), aliased(User)
    return session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.deadline, CertificationYear.year, ClientCompany.name.label("company"),
               responsible.id.label("r_id"), responsible.email.label("r_email"), responsible.name.label("r_name"),
               responsible.active.label("r_active"), consultant.id.label("c_id"), consultant.email.label("c_email"),
               consultant.name.label("c_name"), consultant.active.label("c_active"))
        .join(CertificationYear, CertificationYear.id == ActionItem.year_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .outerjoin(responsible, responsible.id == ActionItem.responsible_user_id)
        .outerjoin(consultant, consultant.id == func.coalesce(CertificationYear.consultant_id, ClientCompany.consultant_id))
        .where(ActionItem.status != "done", ActionItem.deadline.is_not(None), ClientCompany.archived_at.is_(None),
               ActionItem.deadline <= today + timedelta(days=horizon))
        .order_by(ActionItem.id)
    ).all()


def _recipients(row) -> list[tuple[int, str, str]]:
    people = {}
    for uid, email, name, active in ((row.r_id, row.r_email, row.r_name, row.r_active),
                                     (row.c_id, row.c_email, row.c_name, row.c_active)):
        if uid is not None and active and email and uid not in people:
            people[uid] = (uid, email, name)
    return list(people.values())


def _claim(session: Session, key: str) -> bool:
    """True when this run now owns the reminder ``key``; False when it went out before."""
    try:
        with session.begin_nested():
            session.add(SentReminder(key=key))
    except IntegrityError:
        return False
    return True


def _remind_tenant(session: Session, tenant: Tenant, today: date) -> int:
    days = reminder_days(tenant.setting("action_reminder_days"))
    sent = 0
    adapter = current_app.url_map.bind("localhost")
    for row in _candidates(session, today, max(days, default=0)):
        threshold = due_threshold(row.deadline, today, days)
        week = overdue_week(row.deadline, today)
        if threshold is not None:
            kind, template = f"due-{threshold}", "action_reminder"
            subject = f"Påminnelse: frist {display_date(row.deadline)} for tiltaket «{row.title}»"
        elif week is not None:
            kind, template = f"overdue-w{week}", "action_overdue"
            subject = f"Forfalt tiltak: «{row.title}» (frist {display_date(row.deadline)})"
        else:
            continue
        link = current_app.config["PUBLIC_BASE_URL"] + adapter.build("actions.detail", {"slug": tenant.slug, "action_id": row.id})
        for uid, email, name in _recipients(row):
            # The deadline is part of the key: moving the deadline starts a fresh set of reminders.
            if not _claim(session, f"action:{row.id}:{kind}:{row.deadline.isoformat()}:user:{uid}"):
                continue
            send_mail(session, email, subject, template, tenant_id=tenant.id, recipient=name, title=row.title,
                      company=row.company, year=row.year, deadline=display_date(row.deadline),
                      days_left=(row.deadline - today).days, days_late=(today - row.deadline).days,
                      link=link, tenant_name=tenant.name)
            sent += 1
    return sent


# -- entry point ---------------------------------------------------------------------------------------

def run_daily(app: Flask, today: date | None = None) -> dict:
    """Send today's reminders now, in this process (a ``saas reminders`` command); returns {"sent": n}.

    The clock process (``saas schedule``) starts the same job every morning through ``saas.scheduler``.
    """
    from saas.scheduler import today_in_oslo

    return run_job(send_action_reminders.job_name, None, [(today or today_in_oslo()).isoformat()], app=app)
