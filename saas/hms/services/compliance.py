"""Compliance checks class A needs when a mapping was done by others than the provider (DOMAIN.md A2).

A year gets one row per check that applies to the company's size; a consultant marks each verified or
not OK with a note, and the documents go through the evidence area.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.services import NotFound
from saas.db import columns_of, utcnow
from saas.hms.checklist_defaults import COMPLIANCE_CHECKS, required_compliance_keys
from saas.hms.models import CertificationYear, ComplianceCheck
from saas.schemas import FieldErrors
from saas.tenants.models import User

CHECKS = {c["key"]: c for c in COMPLIANCE_CHECKS}
STATUS_LABELS = {"pending": "Ikke kontrollert", "verified": "Kontrollert", "not_ok": "Ikke i orden"}


def ensure_compliance_checks(session: Session, year: CertificationYear) -> list[ComplianceCheck]:
    """Add the rows for checks that apply to the company's current size and are missing (idempotent)."""
    have = set(session.scalars(select(ComplianceCheck.key).where(ComplianceCheck.year_id == year.id)))
    added = [ComplianceCheck(year_id=year.id, key=key) for key in required_compliance_keys(year.company.employee_count)
             if key not in have]
    session.add_all(added)
    session.flush()
    return added


def year_checks(session: Session, year: CertificationYear) -> dict:
    """The year's checks in COMPLIANCE_CHECKS order (one query), and the required keys still without a row."""
    return checks_from(session.execute(year_checks_part(), {"year_id": year.id}).all(), year.company.employee_count)


def checks_from(rows, employee_count: int | None) -> dict:
    """``year_checks`` from the rows of ``year_checks_part`` (the year page reads them with its other reads)."""
    required = required_compliance_keys(employee_count)
    order = {key: i for i, key in enumerate(CHECKS)}
    checks = sorted((check_dict(row, row.verified_by_name, required) for row in rows), key=lambda c: order.get(c["key"], 99))
    present = {c["key"] for c in checks}
    counts = {state: sum(1 for c in checks if c["status"] == state) for state in STATUS_LABELS}
    return dict(checks=checks, missing=[dict(key=k, title=CHECKS[k]["title_nb"]) for k in required if k not in present],
                **counts)


@cache
def year_checks_part() -> Select:
    # Built once, bound per call (the year page shows the checks on every visit).
    return (select(*columns_of(ComplianceCheck), User.name.label("verified_by_name"))
            .outerjoin(User, User.id == ComplianceCheck.verified_by).where(ComplianceCheck.year_id == bindparam("year_id")))


def check_dict(check: ComplianceCheck, verified_by_name: str | None, required) -> dict:
    info = CHECKS.get(check.key, {})
    return dict(id=check.id, year_id=check.year_id, key=check.key, title=info.get("title_nb", check.key),
                help=info.get("help_nb", ""), legal_ref=info.get("legal_ref", ""), status=check.status,
                status_label=STATUS_LABELS.get(check.status, check.status), note=check.note,
                verified_by=check.verified_by, verified_by_name=verified_by_name or "", verified_at=check.verified_at,
                required=check.key in required)


def get_check(session: Session, check_id: int) -> ComplianceCheck:
    check = session.scalar(select(ComplianceCheck).where(ComplianceCheck.id == check_id))
    if check is None:
        raise NotFound(check_id)
    return check


def update_check(session: Session, actor: User, year: CertificationYear, check: ComplianceCheck, data: dict) -> ComplianceCheck:
    """Set a check's status and note; verified / not OK records who and when.  "Not OK" needs a note."""
    from saas.hms.services.years import check_open

    check_open(year)
    if data["status"] == "not_ok" and not data.get("note", "").strip():
        raise FieldErrors({"note": "Skriv hva som ikke er i orden."})
    check.status = data["status"]
    check.note = data.get("note", "").strip()
    if check.status == "pending":
        check.verified_by, check.verified_at = None, None
    else:
        check.verified_by, check.verified_at = actor.id, utcnow()
    session.flush()
    record(session, actor, "compliance.updated", check, f"{year.company.name} {year.year}: {check.key} → {check.status}")
    return check
