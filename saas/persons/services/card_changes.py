"""Withdrawing a card (lost, damaged, issued in error ...) and issuing a replacement that supersedes it.

A withdrawn card stays in the register with its reason, so the public check of its code or number
says at once that it is no longer valid (the QR's offline signature cannot know that: the online
register is the live status).  Only an approver (reviewer or admin) may withdraw or replace; every
change is audit-logged in the same transaction.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.db import utcnow
from saas.persons.models import Card, CardState, WithdrawalReason
from saas.persons.services import register
from saas.persons.services.register import APPROVER_ROLES
from saas.schemas import FieldErrors
from saas.tenants.models import User

REASONS = tuple(r.value for r in WithdrawalReason)


def _check(user: User, card: Card, reason: str, note: str) -> None:
    if not user.has_role(*APPROVER_ROLES):
        raise FieldErrors({"approver": _("Tilbaketrekking krever rollen sertifiseringsansvarlig eller administrator.")})
    if card.state == CardState.WITHDRAWN.value:
        raise FieldErrors({"card": _("Kortet er allerede trukket tilbake.")})
    if reason not in REASONS:
        raise FieldErrors({"reason": _("Velg en gyldig grunn.")})
    if reason in (WithdrawalReason.ERROR.value, WithdrawalReason.OTHER.value) and not note.strip():
        raise FieldErrors({"note": _("Beskriv hvorfor kortet trekkes tilbake.")})


def withdraw_card(session: Session, user: User, card: Card, reason: str, note: str = "") -> Card:
    """Cancel ``card`` with a reason: it no longer verifies as valid anywhere (register, /verify, the API).
    The holder's register entries are untouched (a card is proof, not the competence).  Raises
    FieldErrors naming the field."""
    _check(user, card, reason, note)
    card.state = CardState.WITHDRAWN.value
    card.withdrawn_at = utcnow()
    card.withdrawn_by = user.id
    card.withdrawal_reason = reason
    card.withdrawal_note = note.strip()[:2000]
    session.flush()
    record(session, user, "card.withdrawn", card, f"{card.number}: {reason} {note.strip()[:150]}".strip())
    return card


def replace_card(session: Session, user: User, card: Card, reason: str, note: str, today: date) -> Card:
    """Withdraw ``card`` and issue a replacement with the holder's usable competences today; the old card
    points at its replacement.  A superseded card may not be replaced (its successor already exists).
    Returns the new card; raises FieldErrors."""
    if card.state == CardState.SUPERSEDED.value:
        raise FieldErrors({"card": _("Kortet er allerede erstattet av et nyere kort.")})
    _check(user, card, reason, note)
    if not _anything_to_issue(session, card, today):  # checked first: never a withdrawal without its replacement
        raise FieldErrors({"holdings": _("Ingen gyldige kompetanser å utstede et nytt kort med; trekk kortet tilbake i stedet.")})
    withdraw_card(session, user, card, reason, note)
    new = register.issue_card(session, user, card.person, card.scheme_id, today)
    card.replaced_by_id = new.id
    session.flush()
    record(session, user, "card.replaced", card, f"{card.number} → {new.number}")
    return new


def _anything_to_issue(session: Session, card: Card, today: date) -> bool:
    from sqlalchemy import select

    from saas.persons.models import PersonCompetence
    from saas.persons.services.register_state import assessments, holdings_of

    holdings = holdings_of(session, card.person_id, card.scheme_id)
    competences = {c.id: c for c in session.scalars(select(PersonCompetence).where(
        PersonCompetence.id.in_([h.competence_id for h in holdings])))}
    return any(a.usable for a in assessments(session, holdings, competences, today).values())
