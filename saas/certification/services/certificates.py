"""Certificates: numbers, issuing, states and their history, expiry, and the lists other pages need.

A certificate is valid for its scheme version's ``validity_months`` (12 for the HMS-sertifikat) from
the decision date: from ``issued_on`` up to and including ``valid_until`` (the day before the same date
that many months later).  Its stored state changes only through
``change_state``/``expire_due``/``issue_certificate`` and every change writes a CertificateEvent.  A
certificate past ``valid_until`` reads as expired at once (``effective_state``), even before the
daily job stores the change.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from saas.audit.services import record
from saas.audits import clocks
from saas.certification import hooks, labels
from saas.certification.models import (Certificate, CertificateCounter, CertificateEvent, CertificateState,
                                       CertificationDecision)
from saas.certification.services import Conflict, NotFound, Refused
from saas.certification.services.facts import ref_urls
from saas.clients.models import ClientCompany
from saas.db import named_rows
from saas.hms.models import CertificationYear
from saas.hms.services.work import HOME_SECTIONS
from saas.schemas import FieldErrors
from saas.schemes.models import SchemeVersion
from saas.schemes.services import settings_of
from saas.tenants.models import DEFAULT_TENANT_SETTINGS, Tenant, User

ACTIVE, SUSPENDED, WITHDRAWN, EXPIRED, SUPERSEDED = (s.value for s in CertificateState)
LIVE = (ACTIVE, SUSPENDED)  # states that still end by themselves when the validity runs out
NUMBER_MAX = 60

# action -> (the states it is allowed from, the state it leads to)
TRANSITIONS = {
    "suspend": ((ACTIVE,), SUSPENDED),
    "withdraw": ((ACTIVE, SUSPENDED), WITHDRAWN),
    "reinstate": ((SUSPENDED,), ACTIVE),
}


# -- validity and state -------------------------------------------------------------------------------

def valid_until_for(issued_on: date, months: int = 12) -> date:
    """The last valid day of a certificate issued on ``issued_on``: ``months`` months (the scheme's
    validity, 12 for the HMS-sertifikat), both ends counted."""
    return clocks.validity_end(issued_on, months)


def effective_state(state: str, valid_until: date, today: date) -> str:
    """The state a person should see today: a live certificate past its last valid day is expired."""
    return EXPIRED if state in LIVE and valid_until < today else state


# -- numbers -------------------------------------------------------------------------------------------

def format_number(tenant: Tenant, year: int, seq: int) -> str:
    """The tenant's number format, e.g. "{prefix}-{year}-{seq:04d}" -> "BT-2026-0042".

    A format that leaves out ``{seq}``, fails to format or makes a too long number would clash or
    break, so the default format is used instead.
    """
    default = DEFAULT_TENANT_SETTINGS["certificate_number_format"]
    fmt = tenant.setting("certificate_number_format") or default
    prefix = tenant.setting("certificate_prefix") or DEFAULT_TENANT_SETTINGS["certificate_prefix"]
    try:
        number = fmt.format(prefix=prefix, year=year, seq=seq) if "{seq" in fmt else ""
    except (KeyError, IndexError, ValueError, AttributeError):
        number = ""
    if not number or len(number) > NUMBER_MAX:
        number = default.format(prefix=prefix, year=year, seq=seq)
    return number


def next_sequence(session: Session) -> int:
    """The tenant's next certificate sequence number.

    An UPDATE ... RETURNING on the tenant's counter row: the row stays locked until the transaction
    ends, so concurrent issuers queue and never get the same number.  A rolled-back transaction
    takes its increment with it; a committed number is never handed out again.
    """
    bump = (update(CertificateCounter).values(last_seq=CertificateCounter.last_seq + 1)
            .returning(CertificateCounter.last_seq).execution_options(synchronize_session=False))
    seq = session.execute(bump).scalar()
    if seq is not None:
        return seq
    try:
        with session.begin_nested():
            session.add(CertificateCounter(last_seq=1))
        return 1
    except IntegrityError:  # another transaction created the row first: use it
        return session.execute(bump).scalar_one()


# -- issuing -------------------------------------------------------------------------------------------

def issue_certificate(session: Session, tenant: Tenant, actor: User, decision: CertificationDecision,
                      year: CertificationYear) -> Certificate:
    """Create the certificate of an approved decision, supersede the company's earlier live ones and
    tell the subscribers (saas.certification.hooks).  Raises Conflict when the company already has a
    certificate for the year (the database's unique constraint decides a race)."""
    issued_on = decision.decided_on
    version = year.scheme_version or session.get(SchemeVersion, year.scheme_version_id)
    validity = settings_of(version).validity_months
    try:
        with session.begin_nested():
            seq = next_sequence(session)
            certificate = Certificate(
                company_id=year.company_id, year_id=year.id, year=year.year, decision_id=decision.id,
                number=format_number(tenant, year.year, seq), sequence=seq, cert_class=decision.cert_class,
                issued_on=issued_on, valid_until=valid_until_for(issued_on, validity), state=ACTIVE,
                state_changed_on=issued_on, issued_by=actor.id, scheme_version_id=version.id,
            )
            session.add(certificate)
            session.flush()
    except IntegrityError:
        raise Conflict(f"Det er allerede utstedt et sertifikat for {year.year} til denne bedriften. "
                       "Last siden på nytt for å se det.") from None
    session.add(CertificateEvent(certificate_id=certificate.id, from_state=None, to_state=ACTIVE, on=issued_on,
                                 by_user_id=actor.id, reason=f"Utstedt i klasse {certificate.cert_class} etter beslutning."))
    older = session.scalars(select(Certificate).where(
        Certificate.company_id == year.company_id, Certificate.id != certificate.id,
        Certificate.year < year.year, Certificate.state.in_(LIVE))).all()
    for old in older:
        _set_state(session, old, SUPERSEDED, f"Erstattet av sertifikat {certificate.number}.", issued_on, actor.id)
    record(session, actor, "certificate.issued", certificate, f"{certificate.number}, klasse {certificate.cert_class}",
           year=year.year, company_id=year.company_id)
    hooks.certificate_issued(session, certificate)
    return certificate


def _set_state(session: Session, certificate: Certificate, to_state: str, reason: str, on: date,
               by_user_id: int | None) -> None:
    session.add(CertificateEvent(certificate_id=certificate.id, from_state=certificate.state, to_state=to_state,
                                 reason=reason, on=on, by_user_id=by_user_id))
    certificate.state = to_state
    certificate.state_changed_on = on


def get_certificate(session: Session, certificate_id: int, *, for_update: bool = False) -> Certificate:
    query = select(Certificate).where(Certificate.id == certificate_id)
    if for_update:
        query = query.with_for_update()
    certificate = session.scalar(query)
    if certificate is None:
        raise NotFound(certificate_id)
    return certificate


def change_state(session: Session, actor: User, certificate_id: int, action: str, reason: str, today: date) -> Certificate:
    """Suspend, withdraw or reinstate with a reason.  Raises NotFound, FieldErrors (no reason, unknown
    action) or Refused (not allowed from the current state, e.g. an expired certificate)."""
    if action not in TRANSITIONS:
        raise FieldErrors({"action": "Ugyldig handling."})
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise FieldErrors({"reason": "Skriv en begrunnelse."})
    certificate = get_certificate(session, certificate_id, for_update=True)
    allowed, to_state = TRANSITIONS[action]
    current = effective_state(certificate.state, certificate.valid_until, today)
    if current not in allowed:
        raise Refused(f"Sertifikatet er {labels.STATE_LABELS[current].lower()} og kan ikke "
                      f"{labels.STATE_ACTIONS[action].lower()}s.")
    _set_state(session, certificate, to_state, reason, today, actor.id)
    record(session, actor, f"certificate.{action}", certificate, f"{certificate.number}: {reason}"[:500])
    return certificate


def expire_due(session: Session, today: date) -> int:
    """Store "expired" on the bound tenant's live certificates past their last day; returns how many."""
    due = session.scalars(select(Certificate).where(Certificate.state.in_(LIVE), Certificate.valid_until < today)
                          .with_for_update()).all()
    for certificate in due:
        _set_state(session, certificate, EXPIRED, "Gyldighetsperioden er utløpt.",
                   certificate.valid_until + timedelta(days=1), None)
    return len(due)


# -- reading -------------------------------------------------------------------------------------------

def certificate_dict(c: Certificate, today: date, company_name: str = "") -> dict:
    state = effective_state(c.state, c.valid_until, today)
    return dict(id=c.id, number=c.number, company_id=c.company_id, company_name=company_name or c.company.name,
                year=c.year, year_id=c.year_id, cert_class=c.cert_class, class_label=labels.class_label(c.cert_class),
                issued_on=c.issued_on, valid_until=c.valid_until, state=state, state_label=labels.STATE_LABELS[state],
                state_badge=labels.STATE_BADGES[state], stored_state=c.state, verification_code=c.verification_code,
                decision_id=c.decision_id, days_left=(c.valid_until - today).days)


def certificate_detail(session: Session, certificate_id: int, today: date) -> dict:
    """One certificate with its history (oldest first) and the actions allowed now.  Raises NotFound."""
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id).options(
        selectinload(Certificate.company), selectinload(Certificate.events).selectinload(CertificateEvent.by_user)))
    if certificate is None:
        raise NotFound(certificate_id)
    data = certificate_dict(certificate, today)
    data["events"] = [dict(from_state=e.from_state, to_state=e.to_state, to_label=labels.STATE_LABELS[e.to_state],
                           reason=e.reason, on=e.on, by=e.by_user.name if e.by_user else "Systemet",
                           by_user_id=e.by_user_id, created_at=e.created_at) for e in certificate.events]
    data["actions"] = [a for a, (allowed, _) in TRANSITIONS.items() if data["state"] in allowed]
    data["action_options"] = [(a, labels.STATE_ACTIONS[a]) for a in data["actions"]]
    return data


def list_certificates(session: Session, today: date, *, company_ids=None, state: str | None = None,
                      page: int = 1, per_page: int = 50) -> tuple[list[dict], int]:
    """A page of certificates (newest first) as plain data, and the total; ``state`` is the effective one."""
    query = select(Certificate, ClientCompany.name).join(ClientCompany, ClientCompany.id == Certificate.company_id)
    if company_ids is not None:
        query = query.where(Certificate.company_id.in_(company_ids))
    if state == EXPIRED:
        query = query.where((Certificate.state == EXPIRED) | (Certificate.state.in_(LIVE) & (Certificate.valid_until < today)))
    elif state in LIVE:
        query = query.where(Certificate.state == state, Certificate.valid_until >= today)
    elif state:
        query = query.where(Certificate.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Certificate.issued_on.desc(), Certificate.id.desc())
                           .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [certificate_dict(c, today, name) for c, name in rows], total


def _current(today: date):
    """Certificates valid today: active and within their validity."""
    return and_(Certificate.state == ACTIVE, Certificate.issued_on <= today, Certificate.valid_until >= today)


def company_filter_clause(cert_class: str | None, expiring_within_days: int | None, today: date):
    """A WHERE clause on ClientCompany.id for the company list's filters.

    ``cert_class``: "B", "A" or "A+" keeps companies whose certificate valid today has that class;
    "none" keeps companies without a certificate valid today.  ``expiring_within_days``: keeps companies
    whose certificate valid today ends within that many days.  Both None: no filter (``true()``).
    """
    conditions = []
    if cert_class == "none":
        conditions.append(ClientCompany.id.not_in(select(Certificate.company_id).where(_current(today))))
    elif cert_class:
        conditions.append(ClientCompany.id.in_(
            select(Certificate.company_id).where(_current(today), Certificate.cert_class == cert_class)))
    if expiring_within_days is not None:
        conditions.append(ClientCompany.id.in_(select(Certificate.company_id).where(
            _current(today), Certificate.valid_until <= today + timedelta(days=expiring_within_days))))
    return and_(*conditions) if conditions else true()


def expiring(session: Session, consultant_id: int | None, within_days: int, today: date) -> list[dict]:
    """Certificates valid today that end within ``within_days`` (soonest first), for the consultant's
    companies when ``consultant_id`` is given.  Plain dicts: id, number, company_id, company_name,
    cert_class, valid_until, days_left, state, ... and ``url`` (the certificate's page; None outside a
    request)."""
    return expiring_from(named_rows(session.execute(_expiring_query(consultant_id is not None), dict(
        today=today, until=today + timedelta(days=within_days), consultant_id=consultant_id))), today)


def expiring_from(rows, today: date) -> list[dict]:
    """``expiring`` from the rows of ``_expiring_query`` (the consultant's home reads them with its other
    sections: saas.hms.services.work.HOME_SECTIONS)."""
    url = ref_urls()
    return [certificate_dict(c, today, c.company_name) | {"url": url("certificate", c.id)} for c in rows]


@cache
def _expiring_query(mine: bool):
    # Built once and bound per call (the consultant's home runs it on every visit); the columns
    # certificate_dict reads, not whole certificates.
    query = (select(Certificate.id, Certificate.number, Certificate.company_id, Certificate.year, Certificate.year_id,
                    Certificate.cert_class, Certificate.issued_on, Certificate.valid_until, Certificate.state,
                    Certificate.verification_code, Certificate.decision_id, ClientCompany.name.label("company_name"))
             .join(ClientCompany, ClientCompany.id == Certificate.company_id)
             .where(_current(bindparam("today")), Certificate.valid_until <= bindparam("until"),
                    ClientCompany.archived_at.is_(None))
             .order_by(Certificate.valid_until, Certificate.id))
    return query.where(ClientCompany.consultant_id == bindparam("consultant_id")) if mine else query


HOME_SECTIONS["certificates"] = (_expiring_query, expiring_from)  # within work.EXPIRING_WITHIN_DAYS, bound as ``until``

