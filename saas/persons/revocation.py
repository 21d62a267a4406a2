"""Revocation of a person's certificate (seed 002 § 1.10): outcomes, their effect on the register, the
factors from earlier cases, and the clocks of the appeal.  Standard library only; "today" passed in.

- Before any decision the holder explains himself with his manager present (the hearing).
- Factors: damage potential, mitigating circumstances, warnings and revocations in the last 5 years.
- Outcomes: a warning lifts the revocation when the meeting ends; a temporary revocation runs until a
  date or a condition; a permanent revocation stands.  Every continued revocation is confirmed in writing
  with how to appeal.
- An appeal must arrive within 2 weeks of the decision; a committee decides within 3 weeks of receipt.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


class Trigger(str, enum.Enum):
    LICENCE_REVOKED = "licence_revoked"          # førerbevis revoked by the authority
    REQUIREMENTS_NOT_MET = "requirements_not_met"
    LEFT_EMPLOYER = "left_employer"
    INCIDENT = "incident"                        # incident, deviation, breach of rules


class Outcome(str, enum.Enum):
    WARNING = "warning"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


class AppealResult(str, enum.Enum):
    UPHELD = "upheld"          # the decision stands
    CHANGED = "changed"        # the committee sets another outcome
    OVERTURNED = "overturned"  # the revocation is lifted


@dataclass(frozen=True)
class Periods:
    appeal_days: int = 14
    committee_days: int = 21
    history_years: int = 5


@dataclass(frozen=True)
class RegisterEffect:
    """What the register shows for the holder's competences after a decision."""

    revoked: bool
    revoked_until: date | None
    condition: str


def effect(outcome: Outcome, until: date | None = None, condition: str = "") -> RegisterEffect:
    """The register's state after ``outcome``: a warning lifts the revocation; a temporary revocation
    needs an end date or a condition; a permanent one has neither."""
    if outcome is Outcome.WARNING:
        return RegisterEffect(False, None, "")
    if outcome is Outcome.TEMPORARY:
        if until is None and not condition.strip():
            raise ValueError("a temporary revocation needs an end date or a condition")
        return RegisterEffect(True, until, condition.strip())
    return RegisterEffect(True, None, "")


def appeal_deadline(decided_on: date, periods: Periods = Periods()) -> date:
    """The last day an appeal may arrive."""
    return decided_on + timedelta(days=periods.appeal_days)


def appeal_in_time(decided_on: date, received_on: date, periods: Periods = Periods()) -> bool:
    return decided_on <= received_on <= appeal_deadline(decided_on, periods)


def committee_deadline(received_on: date, periods: Periods = Periods()) -> date:
    """The last day the committee may decide an appeal received on ``received_on``."""
    return received_on + timedelta(days=periods.committee_days)


def may_appeal(outcome: Outcome | None) -> bool:
    """Only a continued revocation (temporary or permanent) is confirmed with a right to appeal."""
    return outcome in (Outcome.TEMPORARY, Outcome.PERMANENT)


@dataclass(frozen=True)
class History:
    warnings: int
    revocations: int
    cases: tuple[tuple[date, Outcome], ...]


def history(previous: Iterable[tuple[date, Outcome]], today: date, periods: Periods = Periods()) -> History:
    """Warnings and revocations decided in the ``history_years`` before ``today`` (shown as factors)."""
    try:
        start = today.replace(year=today.year - periods.history_years)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - periods.history_years, day=28)
    recent = tuple(sorted((day, outcome) for day, outcome in previous if start <= day <= today))
    return History(
        warnings=sum(1 for _day, outcome in recent if outcome is Outcome.WARNING),
        revocations=sum(1 for _day, outcome in recent if outcome is not Outcome.WARNING),
        cases=recent,
    )


@dataclass(frozen=True)
class Clock:
    name: str          # "appeal" or "committee"
    due_on: date
    days_left: int     # negative when overdue
    done_on: date | None

    @property
    def overdue(self) -> bool:
        return self.done_on is None and self.days_left < 0

    @property
    def running(self) -> bool:
        return self.done_on is None and self.days_left >= 0


def clocks(today: date, decided_on: date | None, outcome: Outcome | None, appeal_received_on: date | None,
           committee_decided_on: date | None, periods: Periods = Periods()) -> tuple[Clock, ...]:
    """The case's running and finished clocks: the appeal window after a continued revocation, and the
    committee's time once an appeal is in."""
    result = []
    if decided_on is not None and may_appeal(outcome):
        due = appeal_deadline(decided_on, periods)
        result.append(Clock("appeal", due, (due - today).days, appeal_received_on))
    if appeal_received_on is not None:
        due = committee_deadline(appeal_received_on, periods)
        result.append(Clock("committee", due, (due - today).days, committee_decided_on))
    return tuple(result)


def reminder_due(clock: Clock, leads: tuple[int, ...] = (7, 3, 1, 0)) -> bool:
    """A running clock is reminded of on fixed days before it runs out (and on its last day)."""
    return clock.running and clock.days_left in leads
