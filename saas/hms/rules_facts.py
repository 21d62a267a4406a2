"""The data the HMS class rules (seed 001) read and return: plain frozen data, standard library only.

The service layer loads these from the database; rules.py never sees an ORM object or a session.
Collections are tuples so a YearFacts is hashable and cannot be changed behind the rules' back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import date


class CertClass(str, enum.Enum):
    B = "B"
    A = "A"
    A_PLUS = "A+"

    @property
    def rank(self) -> int:
        return _CLASS_RANK[self]


_CLASS_RANK = {CertClass.B: 1, CertClass.A: 2, CertClass.A_PLUS: 3}


class Outcome(str, enum.Enum):
    MET = "met"
    NOT_MET = "not_met"
    WAIVED = "waived"


class MappingMethod(str, enum.Enum):
    PROVIDER = "provider"
    SELF = "self"
    THIRD_PARTY = "third_party"


class ActionStatus(str, enum.Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


AREAS = ("physical", "psychosocial")

# The keys A2 knows. "safety_representative" stays required below 5 employees: there the law
# accepts a written agreement on another arrangement, and the consultant verifies that instead.
COMPLIANCE_KEYS = (
    "employment_contracts",
    "equipment_inspection",
    "safety_representative",
    "amu",
    "regulations_available",
    "internal_control_system",
)
# Bokmål wording of each key, for reasons and screens.
COMPLIANCE_LABELS = {
    "employment_contracts": "arbeidsavtaler med alle ansatte",
    "equipment_inspection": "arbeidsutstyr kontrollert og kontrollen dokumentert",
    "safety_representative": "verneombud valgt og opplært",
    "amu": "arbeidsmiljøutvalg (AMU) valgt og opplært",
    "regulations_available": "oppdaterte forskrifter og veiledninger tilgjengelig",
    "internal_control_system": "internkontrollsystem (HMS-system) i virksomheten",
}
AMU_REQUIRED_FROM = 30
SAFETY_REPRESENTATIVE_REQUIRED_FROM = 5


@dataclass(frozen=True)
class Ref:
    """A pointer to the record that decided a criterion, for the reviewer and the 10-year archive."""

    kind: str
    id: int
    label: str = ""


@dataclass(frozen=True)
class PhysicalMapping:
    id: int
    completed_on: date | None
    method: MappingMethod
    evidence_verified: bool
    has_report: bool
    # Findings in the report. 0 (the default) lets B2 accept a report with an empty action plan,
    # since a workplace without findings needs no measures.
    finding_count: int = 0


@dataclass(frozen=True)
class ActionItem:
    id: int
    title: str
    area: str
    status: ActionStatus
    deadline: date | None
    started: bool

    def __post_init__(self) -> None:
        # A typo here would silently drop an item from B4/A3/A+3, so refuse it.
        if self.area not in AREAS:
            raise ValueError(f"ActionItem.area must be one of {AREAS}, not {self.area!r}")


@dataclass(frozen=True)
class RiskAssessment:
    id: int
    assessed_on: date | None


@dataclass(frozen=True)
class SafetyRound:
    id: int
    held_on: date | None


@dataclass(frozen=True)
class PsychosocialMapping:
    id: int
    completed_on: date | None
    method_interviews: bool
    method_survey: bool
    has_report: bool
    reviewed_with_management_on: date | None
    no_significant_conditions: bool
    done_by_provider: bool


@dataclass(frozen=True)
class ComplianceCheck:
    id: int
    key: str
    verified: bool


@dataclass(frozen=True)
class Attestation:
    by_user_id: int
    note: str
    on: date


@dataclass(frozen=True)
class PreviousCertificate:
    id: int
    cert_class: CertClass
    withdrawn: bool
    year: int


@dataclass(frozen=True)
class BAlternative:
    justification: str
    by_user_id: int


@dataclass(frozen=True)
class YearFacts:
    """Everything known about one client company's certificate year, as of a given date."""

    as_of: date
    year: int
    employee_count: int | None = None
    works_off_premises: bool = False
    physical_mappings: tuple[PhysicalMapping, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    risk_assessments: tuple[RiskAssessment, ...] = ()
    safety_rounds: tuple[SafetyRound, ...] = ()
    other_safeguarding_ref: Ref | None = None
    psychosocial_mappings: tuple[PsychosocialMapping, ...] = ()
    # The previous cycle's conclusion; None when there is no previous cycle.
    previous_psychosocial_no_significant_conditions: bool | None = None
    compliance_checks: tuple[ComplianceCheck, ...] = ()
    a4_attestation: Attestation | None = None
    a_plus_2_attestation: Attestation | None = None
    previous_certificate: PreviousCertificate | None = None
    b_alternative: BAlternative | None = None

    def __post_init__(self) -> None:
        # A list would make the facts unhashable and mutable from outside; fail at the boundary.
        for f in fields(self):
            if f.type.startswith("tuple") and not isinstance(getattr(self, f.name), tuple):
                raise TypeError(f"YearFacts.{f.name} must be a tuple")


# --- what the rules return ------------------------------------------------------------------------

# A waived criterion counts as held when a class is decided.
HOLDING = (Outcome.MET, Outcome.WAIVED)


@dataclass(frozen=True)
class CriterionResult:
    id: str
    outcome: Outcome
    reason: str
    refs: tuple[Ref, ...] = ()

    @property
    def holds(self) -> bool:
        return self.outcome in HOLDING

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "refs": [{"kind": r.kind, "id": r.id, "label": r.label} for r in self.refs],
        }


@dataclass(frozen=True)
class Verdict:
    eligible: CertClass | None
    criteria: tuple[CriterionResult, ...]
    missing_for_next: tuple[CriterionResult, ...]
    next_class: CertClass | None
    ruleset_version: str
    used_b_alternative: bool

    def criterion(self, criterion_id: str) -> CriterionResult:
        """Return the result for one criterion id; raises KeyError for an unknown id."""
        for result in self.criteria:
            if result.id == criterion_id:
                return result
        raise KeyError(criterion_id)

    def to_dict(self) -> dict:
        return {
            "eligible": self.eligible.value if self.eligible else None,
            "criteria": [c.to_dict() for c in self.criteria],
            "missing_for_next": [c.to_dict() for c in self.missing_for_next],
            "next_class": self.next_class.value if self.next_class else None,
            "ruleset_version": self.ruleset_version,
            "used_b_alternative": self.used_b_alternative,
        }


# --- the cycle and the action plan -----------------------------------------------------------------

def cycle_start(as_of: date) -> date:
    """The oldest date inside the cycle: the same day one year earlier.

    29 February has no twin in a common year; it maps to 28 February (the last day of that month),
    so the cycle never shrinks below a full year.
    """
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:
        return as_of.replace(year=as_of.year - 1, day=28)


def within_cycle(d: date | None, as_of: date) -> bool:
    """True when d lies in the 12 months up to and including as_of (both ends count)."""
    return d is not None and cycle_start(as_of) <= d <= as_of


def is_overdue(item: ActionItem, as_of: date) -> bool:
    # An item due today is still on time; overdue starts the day after the deadline.
    return item.deadline is not None and item.deadline < as_of


def is_in_active_improvement(item: ActionItem, as_of: date) -> bool:
    """Started (in progress) and not overdue; an item without a deadline cannot be overdue."""
    return item.status is ActionStatus.IN_PROGRESS and item.started and not is_overdue(item, as_of)


def is_ok(item: ActionItem, as_of: date) -> bool:
    return item.status is ActionStatus.DONE or is_in_active_improvement(item, as_of)
