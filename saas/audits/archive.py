"""The archive (seed 000 § 7.12): everything in a case is kept, confidential, for its scheme's retention
time (10 years in the library) from the case's end; nothing is deleted before that.

A flush that deletes a row of a case (or the case) before its retention ends raises RetentionNotEnded,
and bulk DELETE statements on case tables are refused outright (they would skip the per-row check).
The export (saas.audits.export) gives auditors and authorities the whole case file.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import event
from sqlalchemy.orm import Session

from saas.audits.clocks import add_months
from saas.i18n import today_in_oslo
from saas.audits.models import (AuditCase, AuditSample, CaseFile, ConformityEntry, CorrectiveAction, Finding,
                                TeamMember)

CASE_ROWS = (AuditCase, TeamMember, ConformityEntry, Finding, CorrectiveAction, AuditSample, CaseFile)
CASE_TABLES = frozenset(m.__tablename__ for m in CASE_ROWS)


class RetentionNotEnded(RuntimeError):
    """A case row may not be deleted before the case's retention time has ended."""


def retention_ends(case: AuditCase) -> date:
    """The first day the case may be deleted: its retention years after it closed (or was opened)."""
    from saas.schemes.services import settings_of

    start = case.closed_on or case.refused_on or case.created_at.date()
    return add_months(start, 12 * settings_of(case.scheme_version).retention_years)


def _case_of(session: Session, obj) -> AuditCase | None:
    if isinstance(obj, AuditCase):
        return obj
    if isinstance(obj, CorrectiveAction):
        finding = session.get(Finding, obj.finding_id)
        return session.get(AuditCase, finding.case_id) if finding else None
    return session.get(AuditCase, obj.case_id)


@event.listens_for(Session, "before_flush")
def _keep_cases(session: Session, flush_context, instances) -> None:
    today = today_in_oslo()
    for obj in list(session.deleted):
        if isinstance(obj, CASE_ROWS):
            case = _case_of(session, obj)
            if case is not None and today < retention_ends(case):
                raise RetentionNotEnded(f"Sak {case.id} oppbevares til {retention_ends(case):%d.%m.%Y}.")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_delete(state) -> None:
    if state.is_delete and getattr(state.statement, "table", None) is not None \
            and state.statement.table.name in CASE_TABLES:
        raise RetentionNotEnded("Saker slettes ikke med masseoperasjoner; de oppbevares i arkivet.")
