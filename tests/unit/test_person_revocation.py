"""Revocation with hearing and appeal (seed 002 § 1.10): outcomes, factors and clocks, no app."""
from __future__ import annotations

from datetime import date

import pytest

from saas.persons.revocation import Outcome, RegisterEffect, Periods, appeal_deadline, appeal_in_time, clocks, committee_deadline, \
    effect, history, may_appeal, reminder_due

DECIDED = date(2026, 12, 1)


def test_a_warning_lifts_the_revocation():
    assert effect(Outcome.WARNING) == RegisterEffect(False, None, "")


def test_a_temporary_revocation_runs_until_a_date_or_a_condition():
    assert effect(Outcome.TEMPORARY, until=date(2027, 3, 1)) == RegisterEffect(True, date(2027, 3, 1), "")
    assert effect(Outcome.TEMPORARY, condition=" Bestått periodisk prøve ") == RegisterEffect(True, None, "Bestått periodisk prøve")
    with pytest.raises(ValueError):
        effect(Outcome.TEMPORARY)


def test_a_permanent_revocation_has_no_end():
    assert effect(Outcome.PERMANENT, until=date(2027, 1, 1)) == RegisterEffect(True, None, "")


@pytest.mark.parametrize("received, in_time", [
    (date(2026, 12, 1), True), (date(2026, 12, 15), True), (date(2026, 12, 16), False), (date(2026, 11, 30), False),
])
def test_an_appeal_must_arrive_within_two_weeks_of_the_decision(received, in_time):
    assert appeal_deadline(DECIDED) == date(2026, 12, 15)
    assert appeal_in_time(DECIDED, received) is in_time


def test_the_committee_decides_within_three_weeks_of_receipt():
    assert committee_deadline(date(2026, 12, 10)) == date(2026, 12, 31)
    assert committee_deadline(date(2026, 12, 10), Periods(committee_days=10)) == date(2026, 12, 20)


@pytest.mark.parametrize("outcome, allowed", [(Outcome.WARNING, False), (Outcome.TEMPORARY, True),
                                              (Outcome.PERMANENT, True), (None, False)])
def test_only_a_continued_revocation_can_be_appealed(outcome, allowed):
    assert may_appeal(outcome) is allowed


def test_warnings_and_revocations_of_the_last_5_years_are_counted():
    previous = [(date(2021, 12, 6), Outcome.WARNING), (date(2021, 12, 5), Outcome.PERMANENT),
                (date(2024, 5, 1), Outcome.TEMPORARY), (date(2025, 1, 1), Outcome.WARNING)]
    result = history(previous, date(2026, 12, 6))
    assert (result.warnings, result.revocations) == (2, 1)
    assert result.cases[0] == (date(2021, 12, 6), Outcome.WARNING)


def test_the_clocks_run_from_the_decision_and_from_the_appeal():
    today = date(2026, 12, 10)
    appeal, = clocks(today, DECIDED, Outcome.TEMPORARY, None, None)
    assert (appeal.name, appeal.due_on, appeal.days_left, appeal.running) == ("appeal", date(2026, 12, 15), 5, True)
    appeal, committee = clocks(today, DECIDED, Outcome.TEMPORARY, date(2026, 12, 8), None)
    assert not appeal.running and appeal.done_on == date(2026, 12, 8)
    assert committee.due_on == date(2026, 12, 29) and committee.days_left == 19
    late, = clocks(date(2026, 12, 20), DECIDED, Outcome.PERMANENT, None, None)
    assert late.overdue
    assert clocks(today, DECIDED, Outcome.WARNING, None, None) == ()


@pytest.mark.parametrize("today, due", [(date(2026, 12, 8), True), (date(2026, 12, 9), False),
                                        (date(2026, 12, 15), True), (date(2026, 12, 16), False)])
def test_a_running_clock_is_reminded_of_on_fixed_days(today, due):
    appeal, = clocks(today, DECIDED, Outcome.TEMPORARY, None, None)
    assert reminder_due(appeal) is due
