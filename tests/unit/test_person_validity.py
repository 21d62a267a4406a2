"""The validity rules of seed 002 § 1.7 and § 1.10, table-driven: pure functions, no app."""
from __future__ import annotations

from datetime import date

import pytest

from saas.persons.validity import CompetenceDates, State, ValidityRules, add_months, assess, reminders_due

RULES = ValidityRules()
TESTED = date(2023, 12, 6)          # periodic test; expires 6 December 2026
EXPIRY = date(2026, 12, 6)


def used(on: date, **kwargs) -> CompetenceDates:
    """A competence tested on TESTED and last used on ``on`` (so the use rule stays out of the way)."""
    return CompetenceDates(tested_on=TESTED, last_used_on=on, **kwargs)


CASES = [
    # (name, dates, today, expected state, usable)
    ("valid the day after the test", used(date(2023, 12, 7)), date(2023, 12, 7), State.VALID, True),
    ("valid, used recently, test far off", used(date(2026, 1, 1)), date(2026, 6, 1), State.VALID, True),
    ("test due 90 days before expiry", used(date(2026, 9, 1)), date(2026, 9, 7), State.TEST_DUE, True),
    ("not yet due 91 days before expiry", used(date(2026, 9, 1)), date(2026, 9, 6), State.VALID, True),
    ("3 years less a day: still valid (due)", used(date(2026, 12, 1)), date(2026, 12, 5), State.TEST_DUE, True),
    ("3 years to the day: expired", used(date(2026, 12, 1)), date(2026, 12, 6), State.EXPIRED, False),
    ("expired exactly 2 months: repeat test only", used(date(2026, 12, 1)), date(2027, 2, 6), State.EXPIRED, False),
    ("expired 2 months and a day: repetition training", used(date(2026, 12, 1)), date(2027, 2, 7),
     State.REPETITION_TRAINING, False),
    ("expired exactly 6 months: repetition training", used(date(2026, 12, 1)), date(2027, 6, 6),
     State.REPETITION_TRAINING, False),
    ("expired 6 months and a day: new type training", used(date(2026, 12, 1)), date(2027, 6, 7),
     State.NEW_TYPE_TRAINING, False),
    ("unused exactly 12 months: still used within the last 12", used(date(2025, 3, 1)), date(2026, 3, 1),
     State.VALID, True),
    ("unused 12 months and a day: periodic training and test", used(date(2025, 3, 1)), date(2026, 3, 2),
     State.NOT_USED, False),
    ("never used since the test: the test counts as use", CompetenceDates(tested_on=TESTED), date(2024, 12, 6),
     State.VALID, True),
    ("never used since the test, 12 months and a day", CompetenceDates(tested_on=TESTED), date(2024, 12, 7),
     State.NOT_USED, False),
    ("absent exactly 4 months: no plan yet", used(date(2026, 1, 1), absent_since=date(2026, 1, 10)),
     date(2026, 5, 10), State.VALID, True),
    ("absent 4 months and a day: individual training plan", used(date(2026, 1, 1), absent_since=date(2026, 1, 10)),
     date(2026, 5, 11), State.ABSENT, False),
    ("seasonal: valid 12 months less a day", CompetenceDates(tested_on=date(2026, 4, 1), seasonal=True,
                                                               last_used_on=date(2027, 3, 1)),
     date(2027, 3, 31), State.TEST_DUE, True),
    ("seasonal: expired after 12 months", CompetenceDates(tested_on=date(2026, 4, 1), seasonal=True,
                                                            last_used_on=date(2027, 3, 1)),
     date(2027, 4, 1), State.EXPIRED, False),
    ("suspended wins over valid", used(date(2026, 1, 1), suspended=True), date(2026, 2, 1), State.SUSPENDED, False),
    ("revoked wins over everything", used(date(2026, 1, 1), revoked=True, suspended=True), date(2027, 9, 1),
     State.REVOKED, False),
    ("a temporary revocation holds until its date", used(date(2026, 1, 1), revoked=True,
                                                         revoked_until=date(2026, 3, 1)),
     date(2026, 2, 28), State.REVOKED, False),
    ("a temporary revocation ends on its date", used(date(2026, 1, 1), revoked=True, revoked_until=date(2026, 3, 1)),
     date(2026, 3, 1), State.VALID, True),
    ("not used beats expired ≤ 2 months", used(date(2025, 10, 1)), date(2026, 12, 20), State.NOT_USED, False),
    ("new type training beats not used", used(date(2025, 10, 1)), date(2027, 7, 1), State.NEW_TYPE_TRAINING, False),
    ("expired beats absent", used(date(2026, 11, 1), absent_since=date(2026, 6, 1)), date(2026, 12, 7),
     State.EXPIRED, False),
]


@pytest.mark.parametrize("dates, today, state, usable", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_rule_gives_its_state(dates, today, state, usable):
    assessment = assess(dates, RULES, today)
    assert assessment.state is state
    assert assessment.usable is usable


def test_every_state_is_covered_by_the_table():
    assert {case[3] for case in CASES} == set(State)


@pytest.mark.parametrize("state, step", [
    (State.VALID, "none"), (State.TEST_DUE, "periodic_test"), (State.EXPIRED, "repeat_test"),
    (State.REPETITION_TRAINING, "repetition_training_and_test"), (State.NEW_TYPE_TRAINING, "new_type_training"),
    (State.NOT_USED, "periodic_training_and_test"), (State.ABSENT, "individual_training_plan"),
])
def test_each_state_names_the_next_step(state, step):
    case = next(case for case in CASES if case[3] is state)
    assert assess(case[1], RULES, case[2]).next_step == step


def test_the_periods_come_from_the_scheme():
    rules = ValidityRules.from_settings({"periodic_test_months": 24, "repetition_after_months": 1, "other": 5})
    dates = used(date(2025, 11, 1))
    assert assess(dates, rules, date(2025, 12, 6)).state is State.EXPIRED            # 24 months, not 36
    assert assess(dates, rules, date(2026, 1, 7)).state is State.REPETITION_TRAINING  # 1 month, not 2


def test_a_kompetansebevis_scheme_turns_expiry_and_use_off():
    rules = ValidityRules(periodic_test_months=0, unused_months=0)
    assessment = assess(CompetenceDates(tested_on=date(2010, 1, 1)), rules, date(2026, 12, 6))
    assert assessment.state is State.VALID and assessment.expires_on is None and assessment.next_deadline is None


@pytest.mark.parametrize("settings", [{"periodic_test_months": -1}, {"seasonal_months": 0},
                                      {"repetition_after_months": 7}, {"unused_months": "12"}])
def test_impossible_periods_are_refused(settings):
    with pytest.raises(ValueError):
        ValidityRules.from_settings(settings)


def test_the_next_deadline_is_the_next_day_the_state_gets_worse():
    dates = used(date(2026, 11, 1))
    assert assess(dates, RULES, date(2026, 11, 2)).next_deadline == EXPIRY
    assert assess(dates, RULES, EXPIRY).next_deadline == date(2027, 2, 7)
    assert assess(dates, RULES, date(2027, 2, 7)).next_deadline == date(2027, 6, 7)
    assert assess(used(date(2027, 6, 1)), RULES, date(2027, 6, 7)).next_deadline is None


def test_the_earliest_deadline_wins_when_use_runs_out_first():
    dates = used(date(2024, 1, 15))
    assert assess(dates, RULES, date(2024, 6, 1)).next_deadline == date(2025, 1, 16)


@pytest.mark.parametrize("today, lead", [(date(2026, 9, 7), 90), (date(2026, 11, 6), 30), (date(2026, 11, 29), 7),
                                         (date(2026, 11, 28), None), (date(2026, 9, 8), None)])
def test_reminders_fall_due_at_fixed_leads_before_a_deadline(today, lead):
    assert reminders_due(used(date(2026, 9, 1)), RULES, today) == lead


def test_no_reminder_for_a_revoked_competence():
    assert reminders_due(used(date(2026, 9, 1), revoked=True, revoked_until=date(2026, 12, 6)), RULES,
                         date(2026, 9, 7)) is None


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 8, 31), 6, date(2027, 2, 28)), (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)), (date(2026, 12, 6), 36, date(2029, 12, 6)),
    (date(2026, 1, 31), -2, date(2025, 11, 30)), (date(2026, 12, 15), 1, date(2027, 1, 15)),
])
def test_months_are_added_by_the_calendar(day, months, expected):
    assert add_months(day, months) == expected


def test_the_input_is_not_changed_and_the_result_is_plain_data():
    dates = used(date(2026, 1, 1))
    assessment = assess(dates, RULES, date(2026, 2, 1))
    assert dates == used(date(2026, 1, 1))
    assert assessment.reasons == (State.VALID,)
