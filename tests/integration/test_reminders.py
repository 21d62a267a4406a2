"""The daily reminder job: 30/7/1 days before an action item's deadline and weekly when overdue, to the
responsible person and the year's consultant, each reminder once however often the job runs."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from saas.hms.models import ActionItem, CertificationYear, SentReminder
from saas.hms.reminders import due_threshold, overdue_week, run_daily, send_action_reminders
from saas.hms.services.actions import save_reminder_days
from saas.jobs import run_job
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import OutboxMessage

TODAY = date(2026, 3, 2)  # far from the shared world's own deadlines (2026-12-01)


@pytest.mark.parametrize("left, expected", [(40, None), (31, None), (30, 30), (29, 30), (8, 30), (7, 7), (2, 7), (1, 1),
                                            (0, 1), (-1, None)])
def test_the_tightest_reached_threshold_is_the_one_due(left, expected):
    assert due_threshold(TODAY + timedelta(days=left), TODAY, (30, 7, 1)) == expected


@pytest.mark.parametrize("late, week", [(0, None), (-3, None), (1, 0), (7, 0), (8, 1), (14, 1), (15, 2)])
def test_overdue_reminders_are_counted_in_weeks_after_the_deadline(late, week):
    assert overdue_week(TODAY - timedelta(days=late), TODAY) == week


@pytest.fixture
def year(db, a):
    row = CertificationYear(company_id=a["company"].id, year=2030, consultant_id=a["consultant"].id)
    db.add(row)
    db.flush()
    return row


def _item(db, year, days_left: int | None, **fields) -> ActionItem:
    fields.setdefault("responsible_user_id", None)
    item = ActionItem(year_id=year.id, title=fields.pop("title", "Sikre reolene"),
                      deadline=TODAY + timedelta(days=days_left) if days_left is not None else None, **fields)
    db.add(item)
    db.flush()
    return item


def _run(app, db, today: date = TODAY) -> int:
    db.commit()
    return run_job(send_action_reminders.job_name, None, [today.isoformat()], app=app)["sent"]


def _outbox(db) -> list[tuple[str, str]]:
    return [(m.to, m.subject) for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def _keys(db, a) -> list[str]:
    bind_tenant(db, a["tenant"].id)
    return sorted(db.scalars(select(SentReminder.key).where(SentReminder.key.like("action:%"))))


def test_the_reminder_job_run_twice_on_the_same_day_sends_each_reminder_once(app, db, a, year):
    _item(db, year, 7, responsible_user_id=a["client"].id)
    _item(db, year, -3, title="Skifte lysrør")
    assert _run(app, db) == 3
    assert _run(app, db) == 0
    mails = _outbox(db)
    assert len(mails) == 3
    assert sorted(to for to, _ in mails) == sorted([a["client"].email, a["consultant"].email, a["consultant"].email])
    assert len(_keys(db, a)) == 3


@pytest.mark.parametrize("left, kind", [(31, None), (30, "due-30"), (8, "due-30"), (7, "due-7"), (1, "due-1"),
                                        (0, "due-1"), (-1, "overdue-w0"), (-8, "overdue-w1")])
def test_each_boundary_sends_its_own_reminder(app, db, a, year, left, kind):
    item = _item(db, year, left)
    sent = _run(app, db)
    keys = _keys(db, a)
    if kind is None:
        assert sent == 0 and keys == []
    else:
        assert sent == 1  # no responsible user: the consultant only
        assert keys == [f"action:{item.id}:{kind}:{item.deadline.isoformat()}:user:{a['consultant'].id}"]


def test_one_item_gets_30_7_and_1_day_reminders_and_then_one_a_week_when_overdue(app, db, a, year):
    item = _item(db, year, 30, responsible_user_id=a["client"].id)
    deadline = item.deadline
    sent = {offset: _run(app, db, deadline + timedelta(days=offset)) for offset in range(-31, 16)}
    assert {offset: n for offset, n in sent.items() if n} == {-30: 2, -7: 2, -1: 2, 1: 2, 8: 2, 15: 2}
    subjects = [subject for to, subject in _outbox(db) if to == a["client"].email]
    assert len(subjects) == 6
    assert subjects[0].startswith("Påminnelse: frist") and subjects[-1].startswith("Forfalt tiltak")


def test_done_items_items_without_a_deadline_and_archived_companies_get_no_reminders(app, db, a, year):
    _item(db, year, 7, status="done")
    _item(db, year, None)
    archived_year = CertificationYear(company_id=a["other_company"].id, year=2030, consultant_id=a["consultant"].id)
    db.add(archived_year)
    db.flush()
    _item(db, archived_year, 7)
    with platform_access(db):
        a["other_company"].archived_at = a["other_company"].created_at
    assert _run(app, db) == 0


def test_the_tenants_own_days_decide(app, db, a, year):
    save_reminder_days(db, a["admin"], a["tenant"], [14])
    _item(db, year, 30)
    _item(db, year, 14, title="To uker")
    _item(db, year, 7, title="En uke")
    assert _run(app, db) == 2  # 14 reached by both the 14- and the 7-day item; nothing at 30
    assert all(":due-14:" in key for key in _keys(db, a))


def test_a_moved_deadline_gets_fresh_reminders(app, db, a, year):
    item = _item(db, year, 7)
    assert _run(app, db) == 1
    bind_tenant(db, a["tenant"].id)
    db.get(ActionItem, item.id).deadline = TODAY + timedelta(days=5)
    assert _run(app, db) == 1
    assert _run(app, db) == 0


def test_only_active_users_with_an_address_are_written_to(app, db, a, year):
    _item(db, year, 1, responsible_name="Ola uten innlogging")
    with platform_access(db):
        a["consultant"].active = False
    assert _run(app, db) == 0
    with platform_access(db):
        a["consultant"].active = True
    assert _run(app, db) == 1


def test_the_mail_names_the_item_the_company_and_links_to_it(app, db, a, year):
    item = _item(db, year, 7, title="Montere rekkverk", responsible_user_id=a["client"].id)
    _run(app, db)
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.to == a["client"].email)).one()
    assert "Montere rekkverk" in message.subject and message.tenant_id == a["tenant"].id
    assert a["company"].name in message.body and "om 7 dager" in message.body
    assert f"http://localhost/t/tenant-a/actions/{item.id}" in message.body


def test_run_daily_goes_through_every_tenant(app, db, two_tenants):
    for key in ("a", "b"):
        world = two_tenants[key]
        bind_tenant(db, world["tenant"].id)
        year = CertificationYear(company_id=world["company"].id, year=2030, consultant_id=world["consultant"].id)
        db.add(year)
        db.flush()
        _item(db, year, 1)
    db.commit()
    assert run_daily(app, TODAY) == {"sent": 2}
    with platform_access(db):  # the outbox is platform-level: one tenant sees only its own messages
        tenants = sorted(m.tenant_id for m in db.scalars(select(OutboxMessage)))
    assert tenants == sorted([two_tenants["a"]["tenant"].id, two_tenants["b"]["tenant"].id])
    assert run_daily(app, TODAY) == {"sent": 0}


def test_the_clock_starts_the_reminders_with_the_other_daily_jobs(app, db, a, year):
    from saas.scheduler import DAILY_JOBS, run_daily as run_all_daily

    assert send_action_reminders.job_name in DAILY_JOBS
    _item(db, year, 7)
    db.commit()
    run_all_daily(app, TODAY)  # JOBS_MODE=sync: runs right away
    assert _keys(db, a) != [] and len(_outbox(db)) >= 1
    assert run_daily(app, TODAY) == {"sent": 0}


def test_a_suspended_tenant_gets_no_reminders_until_it_is_reopened(app, db, a, year):
    from saas.db import utcnow
    from saas.tenants.models import Tenant

    _item(db, year, 7, responsible_user_id=a["client"].id)
    with platform_access(db):
        tenant = db.get(Tenant, a["tenant"].id)
        tenant.suspended_at, tenant.suspension_reason = utcnow(), "Ubetalt"
    assert _run(app, db) == 0 and _keys(db, a) == []
    with platform_access(db):
        db.get(Tenant, a["tenant"].id).suspended_at = None
    assert _run(app, db) == 2
