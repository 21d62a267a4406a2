"""The requirement matrix and the practice minimums of a person scheme (seed 002 § 1.1–1.6): standard
library only, plain data in, a verdict out.

A matrix row belongs to a candidate category (new candidates, previously certified drivers, ...) and
says for each activity whether it is required, required unless the competence is documented ("(x)" in
the seed's table), or not needed; a row may also ask for extra driving practice in km ("*": 1,000 km).
The minimums: practice 1 at least 18 hours over 6 shifts with at most 6 hours credited a day; practice 2
at least 40 hours over more than 15 shifts, counted only after the passed theory exam; type training at
least 21 hours with at most 4 participants.  Every number is a parameter with the seed's default.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date


class Need(str, enum.Enum):
    REQUIRED = "required"
    UNLESS_DOCUMENTED = "unless_documented"   # "(x)": training only when the competence can't be documented
    NOT_REQUIRED = "not_required"


# The activities of seed 002's table, in its column order.
ACTIVITIES = ("internal_training", "type_training", "infrastructure", "driving_practice", "practical_test",
              "locomotive_approval")


@dataclass(frozen=True)
class MatrixRow:
    category: str
    needs: Mapping[str, Need]
    extra_km: int = 0  # "*": driving practice in km on top of the basic requirements

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(ACTIVITIES)
        if unknown:
            raise ValueError(f"unknown activities: {sorted(unknown)}")
        if self.extra_km < 0:
            raise ValueError("extra_km must be ≥ 0")


def _row(category: str, marks: str, extra_km: int = 0) -> MatrixRow:
    symbols = {"x": Need.REQUIRED, "o": Need.UNLESS_DOCUMENTED, "-": Need.NOT_REQUIRED}
    return MatrixRow(category, {activity: symbols[mark] for activity, mark in zip(ACTIVITIES, marks.split())},
                     extra_km)


# Seed 002 § 1.1, one row per candidate category ("o" is the seed's "(x)").
DEFAULT_MATRIX: tuple[MatrixRow, ...] = (
    _row("new_candidate", "x x x x x x", extra_km=1000),
    _row("uncertified_over_12_months", "x x x - x -"),
    _row("previously_certified_driver", "x o o x x x"),
    _row("previously_certified_tractor_driver", "x o o x x -"),
)


@dataclass(frozen=True)
class Outstanding:
    """What a candidate still lacks for a category; empty ``activities`` and ``km_missing`` 0 means ready."""

    activities: tuple[str, ...]
    km_missing: int

    @property
    def complete(self) -> bool:
        return not self.activities and self.km_missing == 0


def outstanding(row: MatrixRow, done: Iterable[str], documented: Iterable[str] = (), km_driven: int = 0) -> Outstanding:
    """The activities of ``row`` not yet done (an "unless documented" activity is also met by documentation
    of the competence), and the km of extra driving practice still missing."""
    done_set, documented_set = set(done), set(documented)
    missing = []
    for activity in ACTIVITIES:
        need = row.needs.get(activity, Need.NOT_REQUIRED)
        if need is Need.NOT_REQUIRED or activity in done_set:
            continue
        if need is Need.UNLESS_DOCUMENTED and activity in documented_set:
            continue
        missing.append(activity)
    return Outstanding(tuple(missing), max(0, row.extra_km - max(0, km_driven)))


@dataclass(frozen=True)
class PracticeDay:
    day: date
    hours: float
    km: int = 0

    def __post_init__(self) -> None:
        if self.hours < 0 or self.hours > 24 or self.km < 0:
            raise ValueError("hours must be 0–24 and km ≥ 0")


@dataclass(frozen=True)
class PracticeResult:
    met: bool
    credited_hours: float
    shifts: int
    km: int
    hours_missing: float
    shifts_missing: int
    per_day: tuple[tuple[date, float, float], ...] = field(default=())  # (day, logged, credited)


def _by_day(days: Iterable[PracticeDay]) -> dict[date, tuple[float, int]]:
    hours: dict[date, float] = defaultdict(float)
    km: dict[date, int] = defaultdict(int)
    for entry in days:
        hours[entry.day] += entry.hours
        km[entry.day] += entry.km
    return {day: (hours[day], km[day]) for day in sorted(hours)}


def check_practice(days: Iterable[PracticeDay], *, min_hours: float, min_shifts: int, daily_cap: float | None,
                   shifts_strictly_more: bool = False, after: date | None = None) -> PracticeResult:
    """Whether logged practice meets a minimum.  Several entries on one day are one shift; a day is
    credited at most ``daily_cap`` hours; with ``after``, only days after that date count (practice 2
    counts after the passed theory exam); ``shifts_strictly_more`` reads the seed's "more than 15 shifts"."""
    grouped = {day: value for day, value in _by_day(days).items() if after is None or day > after}
    per_day = []
    for day, (logged, _km) in grouped.items():
        credited = logged if daily_cap is None else min(logged, daily_cap)
        per_day.append((day, logged, credited))
    credited_hours = round(sum(credited for _day, _logged, credited in per_day), 2)
    shifts = sum(1 for _day, logged, _credited in per_day if logged > 0)
    km = sum(km for _hours, km in grouped.values())
    needed_shifts = min_shifts + 1 if shifts_strictly_more else min_shifts
    hours_missing = max(0.0, round(min_hours - credited_hours, 2))
    shifts_missing = max(0, needed_shifts - shifts)
    return PracticeResult(hours_missing == 0 and shifts_missing == 0, credited_hours, shifts, km, hours_missing,
                          shifts_missing, tuple(per_day))


def practice_1(days: Iterable[PracticeDay], *, min_hours: float = 18, min_shifts: int = 6,
               daily_cap: float = 6) -> PracticeResult:
    """Øvelseskjøring 1: at least 18 hours over 6 shifts, at most 6 hours credited a day."""
    return check_practice(days, min_hours=min_hours, min_shifts=min_shifts, daily_cap=daily_cap)


def practice_2(days: Iterable[PracticeDay], theory_passed_on: date | None, *, min_hours: float = 40,
               more_than_shifts: int = 15, daily_cap: float | None = None) -> PracticeResult:
    """Øvelseskjøring 2: at least 40 hours over more than 15 shifts after the passed theory exam.  Before
    the exam is passed nothing counts."""
    if theory_passed_on is None:
        return check_practice((), min_hours=min_hours, min_shifts=more_than_shifts, daily_cap=daily_cap,
                              shifts_strictly_more=True)
    return check_practice(days, min_hours=min_hours, min_shifts=more_than_shifts, daily_cap=daily_cap,
                          shifts_strictly_more=True, after=theory_passed_on)


def km_practice(days: Iterable[PracticeDay], *, min_km: int = 1000) -> tuple[bool, int]:
    """The extra driving practice ("*"): (met, km driven)."""
    total = sum(entry.km for entry in days)
    return total >= min_km, total


@dataclass(frozen=True)
class CourseCheck:
    ok: bool
    problems: tuple[str, ...]


def check_type_course(hours: float, participants: int, *, min_hours: float = 21,
                      max_participants: int = 4) -> CourseCheck:
    """Type training: at least 21 hours of theory and practice, at most 4 participants."""
    problems = []
    if hours < min_hours:
        problems.append("too_few_hours")
    if participants > max_participants:
        problems.append("too_many_participants")
    return CourseCheck(not problems, tuple(problems))


def may_take_test(attempts: Iterable[tuple[date, bool]], training_days: Iterable[date]) -> bool:
    """After a failed test the candidate gets more training before the next one (seed 002 § 1.4, 1.6.7):
    True when the last attempt was not a fail, or some training is dated after the day of the last failed
    attempt (training the same day counts as before the test)."""
    ordered = sorted(attempts)
    if not ordered or ordered[-1][1]:
        return True
    last_fail = ordered[-1][0]
    return any(day > last_fail for day in training_days)
