"""The requirement matrix and practice minimums of seed 002, table-driven: pure functions, no app."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from saas.persons.requirements import (
    DEFAULT_MATRIX, MatrixRow, Need, PracticeDay, check_type_course, km_practice, may_take_test, outstanding,
    practice_1, practice_2,
)

START = date(2026, 3, 2)
ROWS = {row.category: row for row in DEFAULT_MATRIX}


def days(hours: list[float], start: date = START, km: int = 0) -> list[PracticeDay]:
    return [PracticeDay(start + timedelta(days=index), value, km) for index, value in enumerate(hours)]


@pytest.mark.parametrize("logged, met, credited, shifts", [
    ([3] * 6, True, 18, 6),                    # exactly 18 h over exactly 6 shifts
    ([3] * 5 + [2.5], False, 17.5, 6),         # half an hour short
    ([6] * 3, False, 18, 3),                   # enough hours, too few shifts
    ([9, 9, 1, 1, 1, 1], False, 16, 6),        # 9 h days are credited 6 h: 16 h
    ([9, 9, 2, 2, 1, 1], True, 18, 6),         # the cap applied, still 18 h
    ([6, 6, 6, 0, 0, 0], False, 18, 3),        # a day with 0 h is not a shift
])
def test_practice_1_needs_18_credited_hours_over_6_shifts(logged, met, credited, shifts):
    result = practice_1(days(logged))
    assert (result.met, result.credited_hours, result.shifts) == (met, credited, shifts)


def test_two_entries_on_one_day_are_one_shift_and_share_the_daily_cap():
    entries = [PracticeDay(START, 4), PracticeDay(START, 4)] + days([3] * 5, START + timedelta(days=1))
    result = practice_1(entries)
    assert result.shifts == 6 and result.credited_hours == 21
    assert result.per_day[0] == (START, 8, 6)


def test_the_minimums_are_parameters_of_the_scheme():
    assert practice_1(days([2] * 4), min_hours=8, min_shifts=4, daily_cap=2).met
    assert not practice_1(days([3] * 4), min_hours=8, min_shifts=4, daily_cap=1).met


EXAM = date(2026, 4, 1)


@pytest.mark.parametrize("shift_count, hours_each, met", [
    (16, 2.5, True),    # 40 h over 16 shifts: more than 15
    (15, 3, False),     # 45 h but exactly 15 shifts
    (16, 2.4, False),   # 38.4 h
])
def test_practice_2_needs_40_hours_over_more_than_15_shifts(shift_count, hours_each, met):
    result = practice_2(days([hours_each] * shift_count, EXAM + timedelta(days=1)), EXAM)
    assert result.met is met


def test_practice_2_counts_only_after_the_passed_theory_exam():
    before = days([3] * 10, EXAM - timedelta(days=9))     # ends on the exam day itself
    after = days([2.5] * 16, EXAM + timedelta(days=1))
    result = practice_2(before + after, EXAM)
    assert result.shifts == 16 and result.credited_hours == 40 and result.met
    assert not practice_2(before + after, None).met       # no exam passed: nothing counts
    assert practice_2(before + after, None).shifts_missing == 16


@pytest.mark.parametrize("category, done, documented, km, missing, km_missing", [
    ("new_candidate", [], [], 0, ("internal_training", "type_training", "infrastructure", "driving_practice",
                                  "practical_test", "locomotive_approval"), 1000),
    ("new_candidate", ["internal_training", "type_training", "infrastructure", "driving_practice",
                       "practical_test", "locomotive_approval"], [], 999, (), 1),
    ("new_candidate", ["internal_training", "type_training", "infrastructure", "driving_practice",
                       "practical_test", "locomotive_approval"], [], 1000, (), 0),
    # "(x)": type training and infrastructure only when the competence can't be documented
    ("previously_certified_driver", ["internal_training", "driving_practice", "practical_test",
                                     "locomotive_approval"], ["type_training", "infrastructure"], 0, (), 0),
    ("previously_certified_driver", ["internal_training", "driving_practice", "practical_test",
                                     "locomotive_approval"], ["type_training"], 0, ("infrastructure",), 0),
    # documentation never replaces a plainly required activity
    ("uncertified_over_12_months", ["type_training", "infrastructure", "practical_test"], ["internal_training"], 0,
     ("internal_training",), 0),
    ("previously_certified_tractor_driver", ["internal_training", "driving_practice", "practical_test"],
     ["type_training", "infrastructure"], 0, (), 0),
])
def test_the_matrix_lists_what_a_candidate_still_lacks(category, done, documented, km, missing, km_missing):
    result = outstanding(ROWS[category], done, documented, km)
    assert result.activities == missing and result.km_missing == km_missing
    assert result.complete is (not missing and not km_missing)


def test_the_default_matrix_is_seed_002s_table():
    assert ROWS["new_candidate"].extra_km == 1000
    assert ROWS["previously_certified_driver"].needs["type_training"] is Need.UNLESS_DOCUMENTED
    assert ROWS["uncertified_over_12_months"].needs["driving_practice"] is Need.NOT_REQUIRED
    assert ROWS["previously_certified_tractor_driver"].needs["locomotive_approval"] is Need.NOT_REQUIRED


def test_a_row_with_an_unknown_activity_is_refused():
    with pytest.raises(ValueError):
        MatrixRow("x", {"flying": Need.REQUIRED})


def test_the_extra_1000_km_are_summed_from_the_practice_log():
    assert km_practice(days([1] * 4, km=250)) == (True, 1000)
    assert km_practice(days([1] * 3, km=333)) == (False, 999)


@pytest.mark.parametrize("hours, participants, ok, problems", [
    (21, 4, True, ()), (20.5, 4, False, ("too_few_hours",)), (21, 5, False, ("too_many_participants",)),
    (10, 6, False, ("too_few_hours", "too_many_participants")),
])
def test_type_training_is_at_least_21_hours_with_at_most_4_participants(hours, participants, ok, problems):
    result = check_type_course(hours, participants)
    assert (result.ok, result.problems) == (ok, problems)


@pytest.mark.parametrize("attempts, training, allowed", [
    ([], [], True),
    ([(date(2026, 5, 1), True)], [], True),
    ([(date(2026, 5, 1), False)], [], False),
    ([(date(2026, 5, 1), False)], [date(2026, 5, 1)], False),     # the same day is the training before the test
    ([(date(2026, 5, 1), False)], [date(2026, 5, 2)], True),
    ([(date(2026, 5, 1), False), (date(2026, 5, 10), False)], [date(2026, 5, 5)], False),
])
def test_after_a_fail_more_training_comes_before_the_next_test(attempts, training, allowed):
    assert may_take_test(attempts, training) is allowed


@pytest.mark.parametrize("bad", [dict(hours=-1), dict(hours=25), dict(hours=1, km=-5)])
def test_a_practice_day_refuses_impossible_values(bad):
    with pytest.raises(ValueError):
        PracticeDay(START, **bad)
