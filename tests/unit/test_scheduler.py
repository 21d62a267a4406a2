from datetime import datetime
from zoneinfo import ZoneInfo

from saas.scheduler import seconds_until_next_run

OSLO = ZoneInfo("Europe/Oslo")


def test_the_clock_waits_until_six_in_the_morning_in_oslo():
    assert seconds_until_next_run(datetime(2026, 11, 22, 5, 0, tzinfo=OSLO)) == 3600
    assert seconds_until_next_run(datetime(2026, 11, 22, 6, 0, tzinfo=OSLO)) == 24 * 3600
    assert seconds_until_next_run(datetime(2026, 11, 22, 23, 0, tzinfo=OSLO)) == 7 * 3600
