from datetime import date, datetime
from zoneinfo import ZoneInfo

from saas.outbox import job_key
from saas.scheduler import daily_due, daily_key

OSLO = ZoneInfo("Europe/Oslo")
UTC = ZoneInfo("UTC")


def test_the_daily_jobs_are_due_from_six_in_the_morning_in_oslo():
    assert daily_due(datetime(2026, 11, 22, 5, 59, tzinfo=OSLO)) is None
    assert daily_due(datetime(2026, 11, 22, 6, 0, tzinfo=OSLO)) == date(2026, 11, 22)
    assert daily_due(datetime(2026, 11, 22, 23, 59, tzinfo=OSLO)) == date(2026, 11, 22)


def test_the_day_is_oslo_s_day_not_the_machine_s():
    # 23:30 UTC on the 21st is 00:30 on the 22nd in Oslo (before six: not due yet), and 05:30 UTC is 06:30.
    assert daily_due(datetime(2026, 11, 21, 23, 30, tzinfo=UTC)) is None
    assert daily_due(datetime(2026, 11, 22, 5, 30, tzinfo=UTC)) == date(2026, 11, 22)


def test_daily_job_keys_are_valid_rq_job_ids():
    from rq.job import JOB_ID_PATTERN

    key = job_key(daily_key("saas.hms.reminders.send_action_reminders", date(2026, 12, 6)))
    assert key == "daily-saas_hms_reminders_send_action_reminders-2026-12-06"
    assert JOB_ID_PATTERN.fullmatch(key)
    assert JOB_ID_PATTERN.fullmatch(job_key("stripe-event-evt_1.2:3/ø"))
