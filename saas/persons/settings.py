"""A person scheme's own settings, read from ``SchemeSettings.extra`` (pure: standard library only).

Everything seed 002 and § 8-2 fix as numbers is a setting here with their value as the default: the
validity periods, the requirement matrix, the practice minimums, the type-course limits, the revocation
clocks, what the scheme issues (a kompetansebevis card or a certificate) and what follows a failed test.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from saas.persons.requirements import ACTIVITIES, DEFAULT_MATRIX, MatrixRow, Need
from saas.persons.revocation import Periods
from saas.persons.validity import ValidityRules

ISSUES = ("kompetansebevis", "certificate")
AFTER_FAIL = ("more_training", "new_type_training")


class PersonSettingsError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PracticeRules:
    practice_1_hours: float = 18
    practice_1_shifts: int = 6
    daily_cap_hours: float = 6
    practice_2_hours: float = 40
    practice_2_more_than_shifts: int = 15
    type_course_min_hours: float = 21
    type_course_max_participants: int = 4
    extra_km: int = 1000


@dataclass(frozen=True)
class PersonSchemeSettings:
    issues: str = "certificate"
    after_fail: str = "more_training"
    validity: ValidityRules = field(default_factory=ValidityRules)
    practice: PracticeRules = field(default_factory=PracticeRules)
    revocation: Periods = field(default_factory=Periods)
    matrix: tuple[MatrixRow, ...] = DEFAULT_MATRIX
    checklist: tuple[str, ...] = ()   # the examiner's checklist items

    def row(self, category: str) -> MatrixRow | None:
        return next((row for row in self.matrix if row.category == category), None)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(row.category for row in self.matrix)

    def to_document(self) -> dict:
        return {
            "issues": self.issues,
            "after_fail": self.after_fail,
            "validity": asdict(self.validity),
            "practice": asdict(self.practice),
            "revocation": asdict(self.revocation),
            "matrix": [{"category": row.category, "needs": {k: v.value for k, v in row.needs.items()},
                        "extra_km": row.extra_km} for row in self.matrix],
            "checklist": list(self.checklist),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any] | None) -> "PersonSchemeSettings":
        """Validate the ``person`` part of a scheme's extra settings; missing keys default."""
        doc = doc or {}
        if not isinstance(doc, Mapping):
            raise PersonSettingsError("person", "må være et objekt")
        known = {f.name for f in fields(cls)}
        for key in doc:
            if key not in known:
                raise PersonSettingsError(f"person.{key}", "ukjent innstilling")
        issues = doc.get("issues", cls.issues)
        if issues not in ISSUES:
            raise PersonSettingsError("person.issues", "må være kompetansebevis eller certificate")
        after_fail = doc.get("after_fail", cls.after_fail)
        if after_fail not in AFTER_FAIL:
            raise PersonSettingsError("person.after_fail", "ukjent regel etter ikke bestått")
        try:
            validity = ValidityRules.from_settings(_mapping(doc.get("validity", {}), "person.validity"))
        except (TypeError, ValueError) as error:
            name, _, message = str(error).partition(": ")
            if name in {f.name for f in fields(ValidityRules)}:
                raise PersonSettingsError(f"person.validity.{name}", message) from None
            raise PersonSettingsError("person.validity", str(error)) from None
        practice = _numbers(PracticeRules, doc.get("practice", {}), "person.practice")
        revocation = _numbers(Periods, doc.get("revocation", {}), "person.revocation")
        matrix = tuple(_matrix_row(row, f"person.matrix.{i}") for i, row in enumerate(doc["matrix"])) \
            if "matrix" in doc else DEFAULT_MATRIX
        categories = [row.category for row in matrix]
        if len(set(categories)) != len(categories):
            raise PersonSettingsError("person.matrix", "hver kategori må være med én gang")
        checklist = doc.get("checklist", [])
        if not isinstance(checklist, list) or not all(isinstance(i, str) and i.strip() for i in checklist):
            raise PersonSettingsError("person.checklist", "må være en liste med tekster")
        return cls(issues, after_fail, validity, practice, revocation, matrix, tuple(i.strip() for i in checklist))


def _mapping(value, name: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise PersonSettingsError(name, "må være et objekt")
    return value


def _numbers(cls, value, name: str):
    value = _mapping(value, name)
    kinds = {f.name: f.type for f in fields(cls)}
    default = cls()
    out = {}
    for key, raw in value.items():
        if key not in kinds:
            raise PersonSettingsError(f"{name}.{key}", "ukjent innstilling")
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
            raise PersonSettingsError(f"{name}.{key}", "må være et tall ≥ 0")
        if isinstance(getattr(default, key), int) and not isinstance(raw, int):
            raise PersonSettingsError(f"{name}.{key}", "må være et heltall")
        out[key] = raw
    return cls(**out)


def _matrix_row(value, name: str) -> MatrixRow:
    value = _mapping(value, name)
    category = value.get("category")
    if not isinstance(category, str) or not category.strip():
        raise PersonSettingsError(f"{name}.category", "mangler")
    needs_doc = _mapping(value.get("needs", {}), f"{name}.needs")
    needs = {}
    for activity, need in needs_doc.items():
        if activity not in ACTIVITIES:
            raise PersonSettingsError(f"{name}.needs.{activity}", "ukjent aktivitet")
        try:
            needs[activity] = Need(need)
        except ValueError:
            raise PersonSettingsError(f"{name}.needs.{activity}", "ukjent krav") from None
    extra_km = value.get("extra_km", 0)
    if isinstance(extra_km, bool) or not isinstance(extra_km, int) or extra_km < 0:
        raise PersonSettingsError(f"{name}.extra_km", "må være et heltall ≥ 0")
    return MatrixRow(category.strip(), needs, extra_km)
