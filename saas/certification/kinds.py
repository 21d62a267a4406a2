"""How a scheme kind plugs into certification: a small interface instead of branches on scheme names.

Each kind says how its certificates are verified in public, what its register shows, and what its
clocks are.  The HMS-sertifikat (seed 001) keeps its own certificates and rules; the audit-based kind
(seeds 000, 004) has scheme certificates and the audit clocks; person certification (its own issue) adds
an entry here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SchemeKindPlugin:
    kind: str
    # verify(session, code, today) -> the public view of its certificate with that code, or None
    verify: Callable[[Session, str, date], dict | None]
    # register_rows(session, today, q) -> the live certificates for the public register, as plain data
    register_rows: Callable[[Session, date, str], list[dict]]
    # clocks(session, today) -> the programme of clocks (coming audits, overdue deadlines) for the tenant
    clocks: Callable[[Session, date], dict]
    # The register's rows as a select built once (bound with ``today``) and the function that makes them
    # ``register_rows``'s plain data from its rows, today and q: the public register reads the select together
    # with its own page (saas.certification.documents.register_page).  None: ``register_rows`` alone.
    register_part: Callable[[], Any] | None = None
    register_from: Callable[[list, date, str], list[dict]] | None = None


def _hms_verify(session, code, today):
    from saas.certification import documents

    return documents.verification(session, code, today)


def _hms_register(session, today, q):
    return []  # the HMS register has its own paged table (saas.certification.documents.register_page)


def _hms_clocks(session, today):
    return {"rows": [], "overdue": [], "today": today}  # renewals: saas.certification.reminders


def _audit_verify(session, code, today):
    from saas.certification import scheme_certificates

    return scheme_certificates.verification(session, code, today)


def _audit_register(session, today, q):
    from saas.certification import scheme_certificates

    return scheme_certificates.register_rows(session, today, q)


def _audit_clocks(session, today):
    from saas.certification import programme

    return programme.programme(session, today)


def _audit_register_part():
    from saas.certification import scheme_certificates

    return scheme_certificates.register_part()


def _audit_register_from(rows, today, q):
    from saas.certification import scheme_certificates

    return scheme_certificates.register_from(rows, today, q)


KINDS: dict[str, SchemeKindPlugin] = {
    "hms": SchemeKindPlugin("hms", _hms_verify, _hms_register, _hms_clocks),
    "audit": SchemeKindPlugin("audit", _audit_verify, _audit_register, _audit_clocks, _audit_register_part,
                              _audit_register_from),
}


def verify(session: Session, code: str, today: date) -> dict | None:
    """The public view of the certificate with this verification code, whichever kind issued it."""
    for plugin in KINDS.values():
        data = plugin.verify(session, code, today)
        if data is not None:
            return data
    return None


def register_rows(session: Session, today: date, q: str = "") -> list[dict]:
    return [row for plugin in KINDS.values() for row in plugin.register_rows(session, today, q)]


def register_parts() -> dict[str, Any]:
    """The selects of the kinds whose register rows can be read together with the register's page, by name."""
    return {f"kind.{name}": plugin.register_part() for name, plugin in KINDS.items() if plugin.register_part}


def register_rows_from(read: dict[str, list], session: Session, today: date, q: str = "") -> list[dict]:
    """``register_rows`` with the rows of ``register_parts`` already read (``read``, by the same names)."""
    return [row for name, plugin in KINDS.items() for row in (
        plugin.register_from(read[f"kind.{name}"], today, q) if plugin.register_part
        else plugin.register_rows(session, today, q))]
