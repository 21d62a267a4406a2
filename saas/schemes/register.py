"""The impartiality and competence register: staff ties to clients and approved competence.

Nothing is deleted: a tie ends with its ``to_on``, a competence with its ``expires_on``.  Only an admin
writes the register (the views check it); every change is in the audit log.
"""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.models import ClientCompany
from saas.schemas import FieldErrors
from saas.schemes.impartiality import FUNCTION_LABELS, TIE_LABELS, ties_for
from saas.schemes.models import Competence, Scheme, SchemeScope, StaffTie
from saas.tenants.models import User


class RegisterNotFound(LookupError):
    pass


def _staff(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_staff:
        raise FieldErrors({"user_id": _l("Velg en ansatt hos tilbyderen.")})
    return user


def add_tie(session: Session, actor: User, data: dict) -> StaffTie:
    """Register a tie.  Raises FieldErrors (unknown person or company, end before start)."""
    _staff(session, data["user_id"])
    if session.get(ClientCompany, data["company_id"]) is None:
        raise FieldErrors({"company_id": _l("Velg en kundebedrift.")})
    if data.get("to_on") and data["to_on"] < data["from_on"]:
        raise FieldErrors({"to_on": _l("Sluttdatoen kan ikke være før startdatoen.")})
    tie = StaffTie(user_id=data["user_id"], company_id=data["company_id"], kind=data["kind"], from_on=data["from_on"],
                   to_on=data.get("to_on"), note=data.get("note") or "", registered_by=actor.id)
    session.add(tie)
    session.flush()
    with force_locale("nb"):  # the audit log is written in bokmål, whoever acts
        record(session, actor, "impartiality.tie_added", tie, f"{TIE_LABELS[tie.kind]} fra {tie.from_on:%d.%m.%Y}")
    return tie


def get_tie(session: Session, tie_id: int) -> StaffTie:
    tie = session.get(StaffTie, tie_id)
    if tie is None:
        raise RegisterNotFound(tie_id)
    return tie


def get_competence(session: Session, competence_id: int) -> Competence:
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise RegisterNotFound(competence_id)
    return competence


def end_tie(session: Session, actor: User, tie_id: int, on: date) -> StaffTie:
    tie = session.get(StaffTie, tie_id)
    if tie is None:
        raise RegisterNotFound(tie_id)
    if tie.to_on is not None and tie.to_on <= on:
        return tie
    if on < tie.from_on:
        raise FieldErrors({"to_on": _l("Sluttdatoen kan ikke være før startdatoen.")})
    tie.to_on = on
    record(session, actor, "impartiality.tie_ended", tie, f"Avsluttet {on:%d.%m.%Y}")
    return tie


def add_competence(session: Session, actor: User, data: dict) -> Competence:
    """Register a competence.  Raises FieldErrors (unknown person, scheme or scope; expiry before start)."""
    _staff(session, data["user_id"])
    if session.get(Scheme, data["scheme_id"]) is None:
        raise FieldErrors({"scheme_id": _l("Velg en ordning.")})
    scope_id = data.get("scope_id")
    if scope_id is not None:
        scope = session.get(SchemeScope, scope_id)
        if scope is None or scope.scheme_id != data["scheme_id"]:
            raise FieldErrors({"scope_id": _l("Fagområdet hører ikke til ordningen.")})
    if data.get("expires_on") and data["expires_on"] < data["valid_from"]:
        raise FieldErrors({"expires_on": _l("Utløpsdatoen kan ikke være før gyldig fra.")})
    competence = Competence(user_id=data["user_id"], scheme_id=data["scheme_id"], scope_id=scope_id,
                            function=data["function"], valid_from=data["valid_from"], expires_on=data.get("expires_on"),
                            note=data.get("note") or "", registered_by=actor.id)
    session.add(competence)
    session.flush()
    with force_locale("nb"):
        record(session, actor, "impartiality.competence_added", competence, str(FUNCTION_LABELS[competence.function]))
    return competence


def expire_competence(session: Session, actor: User, competence_id: int, on: date) -> Competence:
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise RegisterNotFound(competence_id)
    if competence.expires_on is None or competence.expires_on > on:
        competence.expires_on = max(on, competence.valid_from)
        record(session, actor, "impartiality.competence_expired", competence, f"Utløper {on:%d.%m.%Y}")
    return competence


def register_page(session: Session, today: date) -> dict:
    """Registered ties and competences as plain data, with the choices the forms need."""
    users = {u.id: u.name for u in session.scalars(select(User).order_by(User.name)) if u.is_staff}
    companies = dict(session.execute(select(ClientCompany.id, ClientCompany.name)
                                     .where(ClientCompany.archived_at.is_(None)).order_by(ClientCompany.name)).all())
    schemes = dict(session.execute(select(Scheme.id, Scheme.name).order_by(Scheme.name)).all())
    scopes = session.execute(select(SchemeScope.id, SchemeScope.name, SchemeScope.scheme_id)
                             .order_by(SchemeScope.scheme_id, SchemeScope.position)).all()
    ties = [tie_dict(t, users, companies, today) for t in session.scalars(
        select(StaffTie).order_by(StaffTie.from_on.desc(), StaffTie.id.desc()))]
    competences = [competence_dict(c, users, schemes, {s.id: s.name for s in scopes}, today) for c in session.scalars(
        select(Competence).order_by(Competence.user_id, Competence.valid_from.desc(), Competence.id.desc()))]
    return dict(ties=ties, competences=competences, users=list(users.items()), companies=list(companies.items()),
                schemes=list(schemes.items()),
                scopes=[(s.id, f"{schemes.get(s.scheme_id, '')}: {s.name}") for s in scopes],
                tie_kinds=list(TIE_LABELS.items()), functions=list(FUNCTION_LABELS.items()))


def tie_dict(t: StaffTie, users: dict, companies: dict, today: date) -> dict:
    return dict(id=t.id, user_id=t.user_id, user_name=users.get(t.user_id, ""), company_id=t.company_id,
                company_name=companies.get(t.company_id, ""), kind=t.kind, kind_label=TIE_LABELS[t.kind],
                from_on=t.from_on, to_on=t.to_on, note=t.note, ongoing=t.to_on is None or t.to_on >= today,
                source="register")


def competence_dict(c: Competence, users: dict, schemes: dict, scopes: dict, today: date) -> dict:
    return dict(id=c.id, user_id=c.user_id, user_name=users.get(c.user_id, ""), scheme_id=c.scheme_id,
                scheme_name=schemes.get(c.scheme_id, ""), scope_id=c.scope_id,
                scope_name=scopes.get(c.scope_id, "Alle fagområder") if c.scope_id else "Alle fagområder",
                function=c.function, function_label=FUNCTION_LABELS[c.function], valid_from=c.valid_from,
                expires_on=c.expires_on, note=c.note,
                valid=c.valid_from <= today and (c.expires_on is None or c.expires_on >= today))


def company_ties(session: Session, company_id: int) -> list[dict]:
    """Every tie to one company, registered and derived, as plain data."""
    users = {u.id: u.name for u in session.scalars(select(User))}
    return [dict(user_id=t.user_id, user_name=users.get(t.user_id, ""), kind=t.kind, kind_label=TIE_LABELS[t.kind],
                 from_on=t.from_on, to_on=t.to_on, source=t.source, note=t.note)
            for t in ties_for(session, company_id)]
