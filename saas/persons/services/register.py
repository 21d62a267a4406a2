"""Approving a candidate, the register of holdings, issuing cards and certificates, and exports.

Order of events (seed 002 § 1.5, 1.6.6; § 8-2): an approver who was not an examiner of the candidate
decides; the competence is registered (a ``Holding``) before the card is issued; the card snapshots
every § 8-2 field and carries a signed QR payload; its PDFs are rendered by a background job after
the commit; the holder confirms receipt.
"""
from __future__ import annotations

from flask_babel import gettext as _
import csv
import io
import secrets
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.db import utcnow
from saas.persons import card_signing, keys
from saas.persons.models import (
    Card, CardState, PersonCompetence, Enrolment, EnrolmentState, Holding, Person, RegisterMode, TestAttempt, TestKind,
)
from saas.persons.services import NotFound, catalogue, training
from saas.persons.services.register_state import assessments, holdings_of
from saas.schemas import FieldErrors
from saas.tenancy import bound_tenant
from saas.tenants.models import Role, Tenant, User

APPROVER_ROLES = (Role.ADMIN, Role.REVIEWER)


def approve(session: Session, approver: User, enrolment: Enrolment, today: date) -> Holding:
    """Approve the candidate and register the competence.  Refused (FieldErrors) when the approver
    examined the candidate, lacks the role, or the matrix, practice minimums or practical test are not
    met.  Returns the register entry."""
    if enrolment.state != EnrolmentState.TRAINING.value:
        raise FieldErrors({"enrolment": _("Påmeldingen er allerede avgjort.")})
    catalogue.refuse_when_closed(session)
    if not approver.has_role(*APPROVER_ROLES):
        raise FieldErrors({"approver": _("Godkjenning krever rollen sertifiseringsansvarlig eller administrator.")})
    state = training.progress(session, enrolment)
    if approver.id in state.examiner_ids:
        raise FieldErrors({"approver": _("Den som godkjenner kan ikke ha vært sensor for kandidaten.")})
    missing = list(state.outstanding.activities)
    if state.outstanding.km_missing:
        missing.append(_("%(km)s km kjøretrening", km=state.outstanding.km_missing))
    if not state.practical_passed:
        missing.append("practical_test")
    if missing:
        raise FieldErrors({"enrolment": _("Mangler før godkjenning: %(missing)s",
                                              missing=", ".join(dict.fromkeys(missing)))})
    tested_on = max(t.taken_on for t in training.tests_of(session, enrolment)
                    if t.passed and t.kind == TestKind.PRACTICAL.value)
    version, _settings = catalogue.current(session, enrolment.scheme_id)
    holding = session.scalar(select(Holding).where(Holding.person_id == enrolment.person_id,
                                                   Holding.competence_id == enrolment.competence_id))
    if holding is None:
        holding = Holding(person_id=enrolment.person_id, competence_id=enrolment.competence_id, first_issued_on=today)
        session.add(holding)
    holding.scheme_version_id = version.id
    holding.enrolment_id = enrolment.id
    holding.tested_on = tested_on
    holding.last_used_on = tested_on
    holding.absent_since = None
    holding.approved_by = approver.id
    enrolment.state = EnrolmentState.APPROVED.value
    enrolment.decided_by, enrolment.decided_on = approver.id, today
    session.flush()
    record(session, approver, "enrolment.approved", enrolment, f"{enrolment.person.name}: {enrolment.competence.code}")
    return holding


def register_documented(session: Session, approver: User, person: Person, competence: PersonCompetence, tested_on: date,
                        today: date, note: str, training_company: str = "") -> Holding:
    """Register a competence documented from elsewhere (certified by another operator, an instructor's
    own certificate): the approver checks the documentation and registers it.  Raises FieldErrors."""
    if not approver.has_role(*APPROVER_ROLES):
        raise FieldErrors({"approver": _("Registrering krever rollen sertifiseringsansvarlig eller administrator.")})
    if not note.strip():
        raise FieldErrors({"note": _("Beskriv dokumentasjonen som ble kontrollert.")})
    catalogue.refuse_when_closed(session)
    if tested_on > today:
        raise FieldErrors({"tested_on": _("Datoen kan ikke være fram i tid.")})
    if session.scalar(select(Holding.id).where(Holding.person_id == person.id, Holding.competence_id == competence.id)):
        raise FieldErrors({"competence_id": _("Kompetansen er allerede registrert.")})
    version, _settings = catalogue.current(session, competence.scheme_id)
    holding = Holding(person_id=person.id, competence_id=competence.id, scheme_version_id=version.id,
                      first_issued_on=today, tested_on=tested_on, last_used_on=tested_on, approved_by=approver.id,
                      training_company=training_company.strip()[:200])
    session.add(holding)
    session.flush()
    record(session, approver, "holding.documented", holding, f"{person.name}: {competence.code} – {note.strip()[:200]}")
    return holding


def refuse(session: Session, approver: User, enrolment: Enrolment, today: date, note: str) -> Enrolment:
    """The candidate is not found fit: the enrolment closes with a note (the leader is told)."""
    if not approver.has_role(*APPROVER_ROLES):
        raise FieldErrors({"approver": _("Avgjørelsen krever rollen sertifiseringsansvarlig eller administrator.")})
    if not note.strip():
        raise FieldErrors({"note": _("Skriv begrunnelsen.")})
    enrolment.state = EnrolmentState.REFUSED.value
    enrolment.decided_by, enrolment.decided_on, enrolment.decision_note = approver.id, today, note.strip()
    session.flush()
    record(session, approver, "enrolment.refused", enrolment, note[:200])
    return enrolment


def record_periodic_test(session: Session, user: User, holding: Holding, passed_on: date) -> Holding:
    """A passed periodic (or repeat) test renews the holding from that day, under the scheme's current
    version (the renewal is a new issue; until then the holding keeps the version it was issued under)."""
    competence = holding.competence or session.get(PersonCompetence, holding.competence_id)
    holding.scheme_version_id = catalogue.current(session, competence.scheme_id)[0].id
    holding.tested_on = passed_on
    holding.last_used_on = max(passed_on, holding.last_used_on or passed_on)
    holding.absent_since = None
    session.flush()
    record(session, user, "holding.periodic_test", holding, str(passed_on))
    return holding


def record_use(session: Session, user: User, holding: Holding, used_on: date, absent_since: date | None) -> Holding:
    holding.last_used_on = max(used_on, holding.last_used_on or used_on)
    holding.absent_since = absent_since
    session.flush()
    record(session, user, "holding.use", holding, str(used_on))
    return holding


# -- cards -------------------------------------------------------------------------------------------

def _next_number(session: Session, today: date) -> str:
    settings = catalogue.register_settings(session)
    session.refresh(settings, with_for_update=True)  # numbers are consecutive under concurrent issuing
    settings.last_card_number += 1
    return f"{settings.card_prefix}-{today.year}-{settings.last_card_number:06d}"


def verification_url(code: str) -> str:
    path = current_app.url_map.bind("localhost").build("persons_public.verify_person", {"code": code})
    return current_app.config["PUBLIC_BASE_URL"] + path


def qr_content(card: Card) -> str:
    """What the QR code holds: the verification URL with the signed payload, so a phone online opens the
    live register and an offline verifier checks the signature with the tenant's published key."""
    return f"{verification_url(card.verify_code)}#{card.token}"


def issue_card(session: Session, approver: User, person: Person, scheme_id: int, today: date) -> Card:
    """Issue a kompetansebevis (or certificate) listing the person's usable competences in the scheme;
    an earlier active card of the scheme is superseded.  Raises FieldErrors when nothing is registered."""
    if not approver.has_role(*APPROVER_ROLES):
        raise FieldErrors({"approver": _("Utstedelse krever rollen sertifiseringsansvarlig eller administrator.")})
    catalogue.refuse_when_closed(session)
    holdings = holdings_of(session, person.id, scheme_id)
    competences = {c.id: c for c in session.scalars(select(PersonCompetence).where(
        PersonCompetence.id.in_([h.competence_id for h in holdings])))}
    states = assessments(session, holdings, competences, today)
    usable = [h for h in holdings if states[h.id].usable]
    if not usable:
        raise FieldErrors({"holdings": _("Ingen gyldige kompetanser er registrert; registrer før utstedelse.")})
    version, settings = catalogue.current(session, scheme_id)
    register = catalogue.register_settings(session)
    tenant = session.get(Tenant, person.tenant_id)
    for old in session.scalars(select(Card).where(Card.person_id == person.id, Card.scheme_id == scheme_id,
                                                  Card.state == CardState.ACTIVE.value)):
        old.state = CardState.SUPERSEDED.value
    number = _next_number(session, today)
    code = secrets.token_urlsafe(18)
    items = [dict(code=competences[h.competence_id].code, name=competences[h.competence_id].name,
                  tested_on=h.tested_on.isoformat(),
                  expires_on=states[h.id].expires_on.isoformat() if states[h.id].expires_on else None)
             for h in usable]
    trainers = list(dict.fromkeys(h.training_company for h in usable if h.training_company))
    keeper = register.mode == RegisterMode.REGISTER_KEEPER.value
    snapshot = dict(
        kind=settings.issues, title=version.parsed.certificate_title,
        training_company=", ".join(trainers) if trainers else tenant.name,
        register_keeper=tenant.name if keeper else "", outside_register="" if keeper else register.outside_register,
        holder_name=person.name, birth_date=person.birth_date.isoformat(), has_photo=bool(person.photo_key),
        photo_key=person.photo_key, competences=items, issued_on=today.isoformat(),
        issuer_name=register.issuer_name or tenant.signatory_name or approver.name,
        issuer_title=tenant.signatory_title, register_mode=register.mode, scheme_name=version.scheme.name,
    )
    key = keys.active_key(session, tenant.slug)
    token = card_signing.sign({"v": 1, "iss": tenant.slug, "no": number, "n": person.name,
                               "c": [item["code"] for item in items], "iat": today.isoformat(), "u": code}, key)
    card = Card(person_id=person.id, scheme_id=scheme_id, scheme_version_id=version.id, number=number,
                verify_code=code, issued_on=today, snapshot=snapshot, token=token, approved_by=approver.id)
    session.add(card)
    session.flush()
    record(session, approver, "card.issued", card, f"{number}: {person.name}")
    from saas.persons.jobs import request_render

    request_render(session, card.id, card.tenant_id)
    return card


def get_card(session: Session, card_id: int) -> Card:
    card = session.get(Card, card_id)
    if card is None:
        raise NotFound(card_id)
    return card


def cards_of(session: Session, person: Person) -> list[Card]:
    return list(session.scalars(select(Card).where(Card.person_id == person.id).order_by(Card.id.desc())))


def confirm_receipt(session: Session, user: User, card: Card) -> Card:
    """The holder has received the card and checked it (seed 002: the driver checks and signs)."""
    if card.received_at is None:
        card.received_at = utcnow()
        session.flush()
        record(session, user, "card.received", card, card.number)
    return card


# -- exports -----------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("card_number", "holder_name", "birth_date", "employer", "scheme", "competence_code",
                  "competence_name", "first_issued_on", "tested_on", "expires_on", "state", "issuer", "card_state")


def register_rows(session: Session, today: date, scheme_id: int | None = None) -> list[dict]:
    """Every register entry of the bound tenant, with its live state (for the outside register, or for
    transfer when the register closes)."""
    query = (select(Holding, Person, PersonCompetence).join(Person, Person.id == Holding.person_id)
             .join(PersonCompetence, PersonCompetence.id == Holding.competence_id).order_by(Person.name, PersonCompetence.code))
    if scheme_id is not None:
        query = query.where(PersonCompetence.scheme_id == scheme_id)
    rows = session.execute(query).all()
    competences = {c.id: c for _h, _p, c in rows}
    states = assessments(session, [h for h, _p, _c in rows], competences, today)
    # The active card of each holder and scheme; where none is active, the last withdrawn one, so a
    # withdrawal shows in the register at once (its number with the state "withdrawn").
    cards = {}
    for card in session.scalars(select(Card).where(Card.state.in_([CardState.ACTIVE.value, CardState.WITHDRAWN.value]))
                                .order_by(Card.id)):
        key = (card.person_id, card.scheme_id)
        if card.state == CardState.ACTIVE.value or key not in cards or cards[key].state != CardState.ACTIVE.value:
            cards[key] = card
    from saas.clients.models import ClientCompany
    from saas.schemes.models import Scheme

    employers = dict(session.execute(select(ClientCompany.id, ClientCompany.name)).all())
    scheme_names = dict(session.execute(select(Scheme.id, Scheme.name)).all())
    tenant_name = _tenant(session).name
    out = []
    for holding, person, competence in rows:
        card = cards.get((person.id, competence.scheme_id))
        state = states[holding.id]
        out.append(dict(card_number=card.number if card else "", holder_name=person.name,
                        birth_date=person.birth_date.isoformat(), employer=employers.get(person.employer_id, ""),
                        scheme=scheme_names.get(competence.scheme_id, ""), competence_code=competence.code,
                        competence_name=competence.name, first_issued_on=holding.first_issued_on.isoformat(),
                        tested_on=holding.tested_on.isoformat(),
                        expires_on=state.expires_on.isoformat() if state.expires_on else "",
                        state=state.state.value, issuer=card.snapshot.get("issuer_name", "") if card else tenant_name,
                        card_state=card.state if card else ""))
    return out


def _tenant(session: Session) -> Tenant:
    return session.get(Tenant, bound_tenant(session))


def export_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(str(row.get(k, ""))) for k in EXPORT_COLUMNS})
    return "\ufeff" + buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in exported cells."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def transfer_export(session: Session, today: date) -> dict:
    """The whole register for transfer to another register or to Arbeidstilsynet (§ 8-2, last paragraph):
    people, register entries, cards, training documentation and test results, revocation cases."""
    from saas.persons.models import Course, PracticeEntry, PersonDocument, RevocationCase

    tenant = _tenant(session)
    persons = list(session.scalars(select(Person).order_by(Person.id)))
    return dict(
        format="saas.persons.register/1", exported_on=today.isoformat(),
        register=dict(name=tenant.name, org_number=tenant.org_number,
                      mode=catalogue.register_settings(session).mode),
        persons=[dict(id=p.id, name=p.name, birth_date=p.birth_date.isoformat(), email=p.email, phone=p.phone,
                      address=p.address, has_photo=bool(p.photo_key)) for p in persons],
        entries=register_rows(session, today),
        cards=[dict(number=c.number, person_id=c.person_id, state=c.state, issued_on=c.issued_on.isoformat(),
                    snapshot={k: v for k, v in c.snapshot.items() if k != "photo_key"})
               for c in session.scalars(select(Card).order_by(Card.id))],
        courses=[dict(id=c.id, title=c.title, activity=c.activity, starts_on=c.starts_on.isoformat(),
                      ends_on=c.ends_on.isoformat(), hours=c.hours, instructor_id=c.instructor_id,
                      participants=[p.enrolment.person_id for p in c.participants])
                 for c in session.scalars(select(Course).order_by(Course.id))],
        practice=[dict(person_id=e.person_id, day=p.day.isoformat(), hours=p.hours, km=p.km, phase=p.phase)
                  for p, e in session.execute(select(PracticeEntry, Enrolment)
                                              .join(Enrolment, Enrolment.id == PracticeEntry.enrolment_id)
                                              .order_by(PracticeEntry.id)).all()],
        tests=[dict(person_id=e.person_id, kind=t.kind, taken_on=t.taken_on.isoformat(), passed=t.passed,
                    checklist=t.checklist)
               for t, e in session.execute(select(TestAttempt, Enrolment)
                                           .join(Enrolment, Enrolment.id == TestAttempt.enrolment_id)
                                           .order_by(TestAttempt.id)).all()],
        documents=[dict(person_id=d.person_id, kind=d.kind, title=d.title, file=d.original_name)
                   for d in session.scalars(select(PersonDocument).order_by(PersonDocument.id))],
        revocations=[dict(person_id=r.person_id, trigger=r.trigger, outcome=r.outcome,
                          decided_on=r.decided_on.isoformat() if r.decided_on else None,
                          revoked_until=r.revoked_until.isoformat() if r.revoked_until else None,
                          committee_result=r.committee_result)
                     for r in session.scalars(select(RevocationCase).order_by(RevocationCase.id))],
    )
