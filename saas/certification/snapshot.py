"""YearFacts as plain JSON and back, and the hash a decision stores.  Standard library only.

The snapshot is what a decision rested on: re-evaluating ``facts_from_dict(snapshot)`` gives the same
verdict years later, and ``digest`` proves the stored JSON was not changed since.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from datetime import date

from saas.hms.rules import (ActionItem, ActionStatus, Attestation, BAlternative, CertClass, ComplianceCheck,
                            MappingMethod, PhysicalMapping, PreviousCertificate, PsychosocialMapping, Ref,
                            RiskAssessment, SafetyRound, YearFacts)

SNAPSHOT_FORMAT = 1


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def facts_to_dict(facts: YearFacts) -> dict:
    """JSON-safe plain data: dates as ISO strings, enums as their values, tuples as lists."""
    return {"format": SNAPSHOT_FORMAT, **_plain(facts)}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _one(cls, data: dict | None, **convert):
    if data is None:
        return None
    return cls(**{k: convert[k](v) if k in convert else v for k, v in data.items()})


def _many(cls, rows: list, **convert) -> tuple:
    return tuple(_one(cls, row, **convert) for row in rows)


def facts_from_dict(data: dict) -> YearFacts:
    """The inverse of ``facts_to_dict``; raises KeyError/TypeError/ValueError on a foreign shape."""
    if data.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"unknown snapshot format {data.get('format')!r}")
    return YearFacts(
        as_of=date.fromisoformat(data["as_of"]),
        year=data["year"],
        employee_count=data["employee_count"],
        works_off_premises=data["works_off_premises"],
        physical_mappings=_many(PhysicalMapping, data["physical_mappings"], completed_on=_date, method=MappingMethod),
        action_items=_many(ActionItem, data["action_items"], status=ActionStatus, deadline=_date),
        risk_assessments=_many(RiskAssessment, data["risk_assessments"], assessed_on=_date),
        safety_rounds=_many(SafetyRound, data["safety_rounds"], held_on=_date),
        other_safeguarding_ref=_one(Ref, data["other_safeguarding_ref"]),
        psychosocial_mappings=_many(PsychosocialMapping, data["psychosocial_mappings"], completed_on=_date,
                                    reviewed_with_management_on=_date),
        previous_psychosocial_no_significant_conditions=data["previous_psychosocial_no_significant_conditions"],
        compliance_checks=_many(ComplianceCheck, data["compliance_checks"]),
        a4_attestation=_one(Attestation, data["a4_attestation"], on=_date),
        a_plus_2_attestation=_one(Attestation, data["a_plus_2_attestation"], on=_date),
        previous_certificate=_one(PreviousCertificate, data["previous_certificate"], cert_class=CertClass),
        b_alternative=_one(BAlternative, data["b_alternative"]),
    )


def canonical_json(data: dict) -> str:
    """One spelling of the data (sorted keys, no spaces), so the same facts always hash the same."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(data: dict) -> str:
    """SHA-256 (hex) of the canonical JSON."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
