"""Impartiality and competence: who may audit, review or decide for a client. No override, for anyone.

``impartiality_problem`` is the one tie check every scheme uses (the audit team, the case review and
the decision here; the HMS-sertifikat's decision in saas.certification can call it the same way):

    problem = impartiality_problem(session, user_id, company_id, on=today, months=settings.impartiality_months)
    if problem: refuse(problem)

A tie counts from its start until ``months`` after it ended (an ongoing tie always counts).  Ties come
from the register (StaffTie) and from every source in ``TIE_SOURCES``: features register a function
that derives ties from their own records (saas.hms registers "did HMS work for the company"), so a
consultant is tied to the companies they worked for without anyone registering it.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from saas.schemes.models import Competence, StaffTie

TIE_LABELS = {"consulted": _l("Rådgivning"), "trained": _l("Opplæring"), "employed": _l("Ansatt"), "family": _l("Familie"),
              "financial": _l("Økonomisk interesse")}
FUNCTION_LABELS = {"lead_auditor": _l("Revisjonsleder"), "auditor": _l("Revisor"), "expert": _l("Ekstern ekspertise"),
                   "reviewer": _l("Gjennomgang og beslutning")}
# Which competence functions qualify for which part of the work.
QUALIFYING = {"lead_auditor": ("lead_auditor",), "auditor": ("lead_auditor", "auditor"),
              "expert": ("expert", "lead_auditor", "auditor"), "reviewer": ("reviewer",)}


@dataclass(frozen=True)
class Tie:
    user_id: int
    company_id: int
    kind: str
    from_on: date
    to_on: date | None
    source: str   # "register", or the feature that derived it (e.g. "hms")
    note: str = ""


# A source: (session, company_id, user_ids or None) -> ties found in the feature's records.
TIE_SOURCES: list[Callable[[Session, int, Iterable[int] | None], list[Tie]]] = []


def tie_counts(tie: Tie, on: date, months: int) -> bool:
    """Pure: does ``tie`` bar its person on ``on``?  From its start until ``months`` after its end."""
    if tie.from_on > on:
        return False
    if tie.to_on is None:
        return True
    index = tie.to_on.year * 12 + tie.to_on.month - 1 + months
    year, month = divmod(index, 12)
    # The same day ``months`` later (a day the month lacks: its last day).
    last = min(tie.to_on.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, last) >= on


def ties_for(session: Session, company_id: int, user_ids: Iterable[int] | None = None) -> list[Tie]:
    """Every tie to ``company_id`` (of ``user_ids`` when given): registered and derived."""
    query = select(StaffTie).where(StaffTie.company_id == company_id)
    if user_ids is not None:
        user_ids = list(user_ids)
        query = query.where(StaffTie.user_id.in_(user_ids))
    found = [Tie(t.user_id, t.company_id, t.kind, t.from_on, t.to_on, "register", t.note)
             for t in session.scalars(query.order_by(StaffTie.from_on, StaffTie.id))]
    for source in list(TIE_SOURCES):
        found.extend(source(session, company_id, user_ids))
    return found


def barring_ties(session: Session, company_id: int, on: date, months: int,
                 user_ids: Iterable[int] | None = None) -> dict[int, list[Tie]]:
    """The ties that bar each person on ``on``, by user id (people without one are left out)."""
    out: dict[int, list[Tie]] = {}
    for tie in ties_for(session, company_id, user_ids):
        if tie_counts(tie, on, months):
            out.setdefault(tie.user_id, []).append(tie)
    return out


def impartiality_problem(session: Session, user_id: int, company_id: int, on: date, months: int = 24) -> str | None:
    """Why ``user_id`` may not audit, review or decide for ``company_id`` on ``on`` (in the user's
    language), or None."""
    ties = barring_ties(session, company_id, on, months, [user_id]).get(user_id)
    if not ties:
        return None
    tie = ties[0]
    kind = str(TIE_LABELS.get(tie.kind, tie.kind)).lower()
    if tie.source == "hms":
        kind = gettext("%(kind)s (fra HMS-arbeidet)", kind=kind)
    if tie.to_on:
        return gettext("Personen har en binding til bedriften: %(kind)s, fra %(start)s til %(end)s. "
                       "Habilitetskravet kan ikke overstyres.", kind=kind, start=f"{tie.from_on:%d.%m.%Y}",
                       end=f"{tie.to_on:%d.%m.%Y}")
    return gettext("Personen har en binding til bedriften: %(kind)s, fra %(start)s, pågående. "
                   "Habilitetskravet kan ikke overstyres.", kind=kind, start=f"{tie.from_on:%d.%m.%Y}")


def competence_problem(session: Session, user_id: int, scheme_id: int, function: str, on: date,
                       scope_ids: Iterable[int] = ()) -> str | None:
    """Why ``user_id`` is not qualified as ``function`` for the scheme (and each of ``scope_ids``) on
    ``on`` (in the user's language), or None.  A competence without a scope covers every scope of the scheme."""
    rows = session.scalars(select(Competence).where(
        Competence.user_id == user_id, Competence.scheme_id == scheme_id,
        Competence.function.in_(QUALIFYING[function]), Competence.valid_from <= on,
        or_(Competence.expires_on.is_(None), Competence.expires_on >= on))).all()
    if not rows:
        return gettext("Personen har ikke gyldig kompetanse som %(function)s for ordningen per %(date)s.",
                       function=str(FUNCTION_LABELS[function]).lower(), date=f"{on:%d.%m.%Y}")
    if any(r.scope_id is None for r in rows):
        return None
    covered = {r.scope_id for r in rows}
    missing = [s for s in scope_ids if s not in covered]
    if missing and function != "expert":
        return gettext("Personen mangler godkjent kompetanse for ett eller flere av fagområdene i saken.")
    return None


def scopes_covered(session: Session, user_ids: Iterable[int], scheme_id: int, on: date) -> set[int] | None:
    """The scopes the people together are qualified to audit (None: every scope)."""
    rows = session.scalars(select(Competence).where(
        Competence.user_id.in_(list(user_ids)), Competence.scheme_id == scheme_id,
        Competence.function.in_(("lead_auditor", "auditor", "expert")), Competence.valid_from <= on,
        or_(Competence.expires_on.is_(None), Competence.expires_on >= on))).all()
    if any(r.scope_id is None for r in rows):
        return None
    return {r.scope_id for r in rows}
