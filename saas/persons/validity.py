"""The state of one person's competence, from its dates (seed 002 § 1.7 and § 1.10): standard library only.

Plain data in (a ``CompetenceDates`` and the scheme's ``ValidityRules``), an ``Assessment`` out; "today"
is always an argument.  The rules, with the defaults the scheme can override:

- a periodic test every ``periodic_test_months`` (36): the competence expires that many months after the
  last passed test; ``reminder_days`` (90) before that it is "periodic test due" (still valid);
- seasonal vehicles: validity ``seasonal_months`` (12) instead;
- expired up to ``repetition_after_months`` (2): only the repeat test is needed; more than that:
  repetition training before the repeat test; more than ``new_type_training_after_months`` (6): new
  type training;
- not used for more than ``unused_months`` (12): invalid, periodic training and test needed;
- absent from the function for more than ``absence_months`` (4): an individual training plan;
- suspended, revoked (a temporary revocation ends on its ``until`` date).

Boundaries: "more than N months" is strictly after the same day N months later, so exactly 2 (or 6)
months after expiry is still the lighter remedy, and a competence last used exactly 12 months ago was
used within the last 12 months.  A periodic test taken on 6 December 2023 expires on 6 December 2026:
that day the competence is no longer valid (valid up to and including the day before).  Month arithmetic
keeps the day of the month, clamped to the month's last day (31 August + 6 months = 28/29 February).

When several rules apply, the one that asks the most of the holder wins (revoked > suspended > new type
training > repetition training > not used > expired > absent > test due > valid).
"""
from __future__ import annotations

import calendar
import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta


class State(str, enum.Enum):
    VALID = "valid"
    TEST_DUE = "test_due"                      # valid; the periodic test is due within the reminder window
    ABSENT = "absent"                          # absent > 4 months: individual training plan
    EXPIRED = "expired"                        # expired ≤ 2 months: the repeat test
    NOT_USED = "not_used"                      # not used > 12 months: periodic training and test
    REPETITION_TRAINING = "repetition"         # expired > 2 months: repetition training, then the test
    NEW_TYPE_TRAINING = "new_type_training"    # expired > 6 months: new type training
    SUSPENDED = "suspended"
    REVOKED = "revoked"


# Which states still let the holder work in the function.
USABLE = frozenset({State.VALID, State.TEST_DUE})

# The order in which a state wins over another (higher wins).
SEVERITY = {state: rank for rank, state in enumerate((
    State.VALID, State.TEST_DUE, State.ABSENT, State.EXPIRED, State.NOT_USED, State.REPETITION_TRAINING,
    State.NEW_TYPE_TRAINING, State.SUSPENDED, State.REVOKED))}

# What the holder (and the employer) must do next, per state: a stable key the UI translates.
NEXT_STEP = {
    State.VALID: "none",
    State.TEST_DUE: "periodic_test",
    State.ABSENT: "individual_training_plan",
    State.EXPIRED: "repeat_test",
    State.NOT_USED: "periodic_training_and_test",
    State.REPETITION_TRAINING: "repetition_training_and_test",
    State.NEW_TYPE_TRAINING: "new_type_training",
    State.SUSPENDED: "await_decision",
    State.REVOKED: "await_decision",
}


@dataclass(frozen=True)
class ValidityRules:
    """The periods of a person scheme (every one a setting of the scheme, these are seed 002's)."""

    periodic_test_months: int = 36
    seasonal_months: int = 12
    unused_months: int = 12
    absence_months: int = 4
    repetition_after_months: int = 2
    new_type_training_after_months: int = 6
    reminder_days: int = 90
    # 0 turns a rule off: a kompetansebevis (seed 003 § 8-2) has no periodic test and no use rule.

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{field.name}: må være et heltall ≥ 0")
        if self.seasonal_months == 0:
            raise ValueError("seasonal_months: sesonggyldighet må være minst én måned")
        if self.new_type_training_after_months < self.repetition_after_months:
            raise ValueError("new_type_training_after_months: ny typeopplæring kan ikke kreves før repeterende "
                             "opplæring")

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | None) -> "ValidityRules":
        """The rules from a scheme's settings mapping; unknown keys are ignored, missing keys default."""
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in (settings or {}).items() if key in names})


@dataclass(frozen=True)
class CompetenceDates:
    """What the register knows about one competence of one holder."""

    tested_on: date                       # the last passed test (first certification or periodic test)
    seasonal: bool = False
    last_used_on: date | None = None      # last documented use; None: not recorded, the test date counts
    absent_since: date | None = None      # an ongoing absence from the function
    suspended: bool = False
    revoked: bool = False
    revoked_until: date | None = None     # a temporary revocation ends that day; None with revoked: open-ended


@dataclass(frozen=True)
class Assessment:
    state: State
    usable: bool
    expires_on: date | None  # None: the competence does not expire by time
    next_step: str
    # The next day on which the state gets worse if nothing is done (for reminders); None when nothing
    # more can happen by time alone.
    next_deadline: date | None
    reasons: tuple[State, ...]  # every rule that applies, most demanding first


@functools.lru_cache(maxsize=8192)  # pure, and a register's dates repeat: the matrix asks it 4 times a cell
def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expires_on(dates: CompetenceDates, rules: ValidityRules) -> date | None:
    """The first day on which the competence is no longer valid without a new test (None: never)."""
    months = rules.seasonal_months if dates.seasonal else rules.periodic_test_months
    return add_months(dates.tested_on, months) if months else None


def assess(dates: CompetenceDates, rules: ValidityRules, today: date) -> Assessment:
    """The competence's state on ``today``, what to do next and by when."""
    expiry = expires_on(dates, rules)
    applies: list[State] = []
    deadlines: list[date] = []

    if dates.revoked and (dates.revoked_until is None or today < dates.revoked_until):
        applies.append(State.REVOKED)
    if dates.suspended:
        applies.append(State.SUSPENDED)

    # Expiry and its two escalations.
    if expiry is not None:
        _expiry_rules(expiry, rules, today, applies, deadlines)

    # Use: the last recorded use, or the test itself (a test is use of the competence).
    if rules.unused_months:
        last_used = max(dates.tested_on, dates.last_used_on or dates.tested_on)
        unused_from = add_months(last_used, rules.unused_months) + timedelta(days=1)
        if today >= unused_from:
            applies.append(State.NOT_USED)
        else:
            deadlines.append(unused_from)

    if dates.absent_since is not None and rules.absence_months:
        absent_from = add_months(dates.absent_since, rules.absence_months) + timedelta(days=1)
        if today >= absent_from:
            applies.append(State.ABSENT)
        else:
            deadlines.append(absent_from)

    applies.sort(key=SEVERITY.__getitem__, reverse=True)
    state = applies[0] if applies else State.VALID
    if dates.revoked and dates.revoked_until is not None and today < dates.revoked_until:
        deadlines.append(dates.revoked_until)
    future = [day for day in deadlines if day > today]
    if state is State.NEW_TYPE_TRAINING or (state is State.REVOKED and dates.revoked_until is None):
        future = []
    return Assessment(
        state=state,
        usable=state in USABLE,
        expires_on=expiry,
        next_step=NEXT_STEP[state],
        next_deadline=min(future) if future else None,
        reasons=tuple(applies) or (State.VALID,),
    )


def _expiry_rules(expiry: date, rules: ValidityRules, today: date, applies: list[State],
                  deadlines: list[date]) -> None:
    repetition_from = add_months(expiry, rules.repetition_after_months) + timedelta(days=1)
    new_type_from = add_months(expiry, rules.new_type_training_after_months) + timedelta(days=1)
    if today >= new_type_from:
        applies.append(State.NEW_TYPE_TRAINING)
    elif today >= repetition_from:
        applies.append(State.REPETITION_TRAINING)
        deadlines.append(new_type_from)
    elif today >= expiry:
        applies.append(State.EXPIRED)
        deadlines.append(repetition_from)
    else:
        deadlines.append(expiry)
        if (expiry - today).days <= rules.reminder_days:
            applies.append(State.TEST_DUE)


def reminders_due(dates: CompetenceDates, rules: ValidityRules, today: date,
                  lead_days: tuple[int, ...] = (90, 30, 7)) -> int | None:
    """The lead (in days) of a reminder that falls due ``today`` for the next deadline, or None.

    A reminder goes out when the next deadline is exactly ``lead`` days away, so a daily job sends each
    reminder once (and the job's record keeps it from being sent twice on a re-run).
    """
    assessment = assess(dates, rules, today)
    if assessment.next_deadline is None or assessment.state in (State.REVOKED, State.SUSPENDED):
        return None
    days_left = (assessment.next_deadline - today).days
    return days_left if days_left in lead_days else None
