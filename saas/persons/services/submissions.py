"""Submissions from a training company to an independent register keeper (§ 8-2: the keeper of the
register must be independent of the training company).

The two sides are two tenants that share nothing, so the basis travels as a file (or as the same JSON
posted to the keeper's API by the keeper's own user): no tenant ever reads another tenant's rows.

- A training company (register mode ``training_company``) puts register entries into a batch (draft),
  submits it (the basis is frozen: holder, competence, courses with instructor and hours, practice,
  tests with examiner and checklist, kept documents) and exports it as JSON (to import) or CSV (to read).
  When the keeper's answer comes back it imports the keeper's response file, or records the outcome
  (accepted or rejected with a reason) by hand.
- A register keeper (mode ``register_keeper``) imports the batch: it lands in the queue as received; each
  entry is checked and accepted (the person is found by name and birth date or created, the competence is
  registered with the training company named, and a card may be issued at once) or rejected with a
  reason.  The response file lists every verdict.
"""
from __future__ import annotations

import csv
import io
import secrets
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.db import utcnow
from saas.persons.models import (
    Course, CourseParticipant, Enrolment, Holding, Person, PersonCompetence, PersonDocument, PracticeEntry,
    RegisterMode, Submission, SubmissionState, TestAttempt,
)
from saas.persons.services import NotFound, catalogue, register
from saas.schemas import FieldErrors
from saas.tenancy import bound_tenant
from saas.tenants.models import Tenant, User

FORMAT = "kompetansebevis-grunnlag/1"
RESPONSE_FORMAT = "kompetansebevis-svar/1"
MAX_ITEMS = 500
OUTGOING, INCOMING = "outgoing", "incoming"


def _mode(session: Session, mode: RegisterMode) -> None:
    if catalogue.register_settings(session).mode != mode.value:
        if mode is RegisterMode.TRAINING_COMPANY:
            raise FieldErrors({"mode": _("Bare en opplæringsvirksomhet sender grunnlag til en registerfører.")})
        raise FieldErrors({"mode": _("Bare en uavhengig registerfører tar imot grunnlag fra opplæringsvirksomheter.")})


def _approver(user: User) -> None:
    if not user.has_role(*register.APPROVER_ROLES):
        raise FieldErrors({"user": _("Dette krever rollen sertifiseringsansvarlig eller administrator.")})


def get_submission(session: Session, submission_id: int) -> Submission:
    row = session.get(Submission, submission_id)
    if row is None:
        raise NotFound(submission_id)
    return row


def submissions(session: Session, direction: str) -> list[Submission]:
    return list(session.scalars(select(Submission).where(Submission.direction == direction)
                                .order_by(Submission.id.desc())))


# -- the training company's side -------------------------------------------------------------------------

def create_batch(session: Session, user: User, holding_ids: list[int]) -> Submission:
    """A draft batch of these register entries.  Raises FieldErrors (wrong mode, nothing chosen, unknown
    entries)."""
    _mode(session, RegisterMode.TRAINING_COMPANY)
    holdings = _holdings(session, holding_ids)
    settings = catalogue.register_settings(session)
    batch = Submission(direction=OUTGOING, reference=secrets.token_hex(8), state=SubmissionState.DRAFT.value,
                       training_company=session.get(Tenant, bound_tenant(session)).name,
                       register_keeper=settings.outside_register,
                       items=[dict(holding_id=h.id, holder_name=h.person.name, competence_code=h.competence.code,
                                   competence_name=h.competence.name) for h in holdings],
                       created_by=user.id)
    session.add(batch)
    session.flush()
    record(session, user, "submission.created", batch, f"{batch.reference}: {len(holdings)}")
    return batch


def _holdings(session: Session, holding_ids: list[int]) -> list[Holding]:
    ids = list(dict.fromkeys(int(i) for i in holding_ids))
    if not ids:
        raise FieldErrors({"holding_ids": _("Velg minst én registrering.")})
    if len(ids) > MAX_ITEMS:
        raise FieldErrors({"holding_ids": _("Høyst %(n)s registreringer i én innsending.", n=MAX_ITEMS)})
    found = {h.id: h for h in session.scalars(select(Holding).where(Holding.id.in_(ids)))}
    if len(found) != len(ids):
        raise FieldErrors({"holding_ids": _("Ukjent registrering.")})
    # In the order chosen: the batch's items, its export and the register keeper's decisions (by position) keep it.
    return [found[i] for i in ids]


def submit(session: Session, user: User, batch: Submission) -> Submission:
    """Freeze the basis of every entry and mark the batch submitted (it is then exported and sent)."""
    _approver(user)
    if batch.direction != OUTGOING or batch.state != SubmissionState.DRAFT.value:
        raise FieldErrors({"state": _("Bare et utkast kan sendes.")})
    ids = [i.get("holding_id") for i in batch.items if isinstance(i, dict)]
    if not ids or not all(isinstance(i, int) for i in ids):
        raise FieldErrors({"holding_ids": _("Ukjent registrering.")})
    holdings = _holdings(session, ids)
    batch.items = [basis(session, h) for h in holdings]
    batch.state = SubmissionState.SUBMITTED.value
    batch.submitted_at = utcnow()
    session.flush()
    record(session, user, "submission.submitted", batch, batch.reference)
    return batch


def basis(session: Session, holding: Holding) -> dict:
    """The documentation behind one register entry, as plain data for the register keeper."""
    person = session.get(Person, holding.person_id)
    competence = session.get(PersonCompetence, holding.competence_id)
    enrolment = session.get(Enrolment, holding.enrolment_id) if holding.enrolment_id else None
    courses, practice, tests = [], dict(hours=0.0, km=0, days=0), []
    if enrolment is not None:
        for course in session.scalars(select(Course).join(CourseParticipant, CourseParticipant.course_id == Course.id)
                                      .where(CourseParticipant.enrolment_id == enrolment.id).order_by(Course.starts_on)):
            courses.append(dict(activity=course.activity, title=course.title, starts_on=course.starts_on.isoformat(),
                                ends_on=course.ends_on.isoformat(), hours=course.hours,
                                instructor=course.instructor.name,
                                completed_on=course.completed_on.isoformat() if course.completed_on else None))
        for entry in session.scalars(select(PracticeEntry).where(PracticeEntry.enrolment_id == enrolment.id)):
            practice["hours"] += entry.hours
            practice["km"] += entry.km
            practice["days"] += 1
        for test in session.scalars(select(TestAttempt).where(TestAttempt.enrolment_id == enrolment.id)
                                    .order_by(TestAttempt.taken_on)):
            examiner = session.get(User, test.examiner_id)
            tests.append(dict(kind=test.kind, taken_on=test.taken_on.isoformat(), passed=test.passed,
                              examiner=examiner.name if examiner else "", checklist=test.checklist))
    documents = [dict(kind=d.kind, title=d.title, file=d.original_name) for d in session.scalars(
        select(PersonDocument).where(PersonDocument.person_id == person.id).order_by(PersonDocument.id))]
    return dict(holder_name=person.name, birth_date=person.birth_date.isoformat(), email=person.email,
                phone=person.phone, competence_code=competence.code, competence_name=competence.name,
                category=enrolment.category if enrolment else "", tested_on=holding.tested_on.isoformat(),
                courses=courses, practice=practice, tests=tests, documents=documents)


def export_document(batch: Submission) -> dict:
    """The file a training company sends to the register keeper (JSON)."""
    if batch.state == SubmissionState.DRAFT.value:
        raise FieldErrors({"state": _("Send innsendingen før den eksporteres.")})
    return dict(format=FORMAT, reference=batch.reference, training_company=batch.training_company,
                register_keeper=batch.register_keeper,
                submitted_at=batch.submitted_at.isoformat() if batch.submitted_at else None,
                items=[{k: v for k, v in item.items() if k not in ("state", "reason")} for item in batch.items])


CSV_COLUMNS = ("reference", "holder_name", "birth_date", "competence_code", "competence_name", "category",
               "tested_on", "course_hours", "practice_hours", "practice_km", "tests_passed", "documents", "state",
               "reason")


def export_csv(batch: Submission) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for item in batch.items:
        row = dict(reference=batch.reference, holder_name=item.get("holder_name", ""),
                   birth_date=item.get("birth_date", ""), competence_code=item.get("competence_code", ""),
                   competence_name=item.get("competence_name", ""), category=item.get("category", ""),
                   tested_on=item.get("tested_on", ""),
                   course_hours=sum(c.get("hours", 0) for c in item.get("courses", [])),
                   practice_hours=item.get("practice", {}).get("hours", 0),
                   practice_km=item.get("practice", {}).get("km", 0),
                   tests_passed=", ".join(f"{t['kind']} {t['taken_on']}" for t in item.get("tests", []) if t.get("passed")),
                   documents=len(item.get("documents", [])), state=item.get("state", batch.state),
                   reason=item.get("reason", ""))
        writer.writerow({k: register._csv_safe(str(v)) for k, v in row.items()})
    return "\ufeff" + buffer.getvalue()


def record_outcome(session: Session, user: User, batch: Submission, state: str, reason: str) -> Submission:
    """The keeper's answer, recorded by hand: accepted, or rejected with the reason."""
    _approver(user)
    if batch.direction != OUTGOING or batch.state != SubmissionState.SUBMITTED.value:
        raise FieldErrors({"state": _("Utfallet registreres for en sendt innsending.")})
    if state not in (SubmissionState.ACCEPTED.value, SubmissionState.REJECTED.value):
        raise FieldErrors({"state": _("Ugyldig valg.")})
    if state == SubmissionState.REJECTED.value and not reason.strip():
        raise FieldErrors({"reason": _("Skriv hvorfor innsendingen ble avvist.")})
    batch.state, batch.reason = state, reason.strip()[:4000]
    batch.decided_at, batch.decided_by = utcnow(), user.id
    session.flush()
    record(session, user, f"submission.{state}", batch, reason.strip()[:200])
    return batch


def import_response(session: Session, user: User, batch: Submission, document) -> Submission:
    """Read the keeper's response file into the sent batch: each entry's verdict and reason."""
    _approver(user)
    if not isinstance(document, dict) or document.get("format") != RESPONSE_FORMAT:
        raise FieldErrors({"file": _("Filen er ikke et svar fra en registerfører.")})
    if document.get("reference") != batch.reference or batch.direction != OUTGOING:
        raise FieldErrors({"file": _("Svaret gjelder en annen innsending.")})
    verdicts = document.get("items")
    if not isinstance(verdicts, list) or len(verdicts) != len(batch.items):
        raise FieldErrors({"file": _("Svaret har ikke én vurdering per registrering.")})
    items = []
    for item, verdict in zip(batch.items, verdicts):
        state = verdict.get("state") if isinstance(verdict, dict) else None
        if state not in (SubmissionState.ACCEPTED.value, SubmissionState.REJECTED.value):
            raise FieldErrors({"file": _("Svaret har en registrering som ikke er vurdert.")})
        items.append({**item, "state": state, "reason": str(verdict.get("reason", ""))[:2000],
                      "card_number": str(verdict.get("card_number", ""))[:30]})
    batch.items = items
    accepted = [i for i in items if i["state"] == SubmissionState.ACCEPTED.value]
    batch.state = SubmissionState.ACCEPTED.value if accepted else SubmissionState.REJECTED.value
    batch.reason = str(document.get("reason", ""))[:4000]
    batch.decided_at, batch.decided_by = utcnow(), user.id
    session.flush()
    record(session, user, "submission.response", batch, f"{len(accepted)}/{len(items)}")
    return batch


# -- the register keeper's side ------------------------------------------------------------------------------

def import_batch(session: Session, user: User, document) -> Submission:
    """A batch received from a training company lands in the keeper's queue.  Raises FieldErrors naming
    what is wrong with the file; the same batch twice is refused."""
    _mode(session, RegisterMode.REGISTER_KEEPER)
    _approver(user)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FieldErrors({"file": _("Filen er ikke en innsending av grunnlag for kompetansebevis.")})
    reference = document.get("reference")
    company = document.get("training_company")
    items = document.get("items")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 40:
        raise FieldErrors({"reference": _("Innsendingen mangler referanse.")})
    if not isinstance(company, str) or not company.strip():
        raise FieldErrors({"training_company": _("Innsendingen mangler opplæringsvirksomhet.")})
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise FieldErrors({"items": _("Innsendingen har ingen registreringer.")})
    clean = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise FieldErrors({f"items.{i}": _("Ugyldig registrering.")})
        for key in ("holder_name", "birth_date", "competence_code", "tested_on"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise FieldErrors({f"items.{i}.{key}": _("Feltet må fylles ut.")})
        for key in ("birth_date", "tested_on"):
            try:
                date.fromisoformat(item[key].strip()[:10])
            except ValueError:
                raise FieldErrors({f"items.{i}.{key}": _("Ugyldig dato (bruk åååå-mm-dd).")}) from None
        clean.append(_clean_item(item))
    if session.scalar(select(Submission.id).where(Submission.direction == INCOMING, Submission.reference == reference)):
        raise FieldErrors({"reference": _("Denne innsendingen er allerede mottatt.")})
    batch = Submission(direction=INCOMING, reference=reference.strip(), state=SubmissionState.RECEIVED.value,
                       training_company=company.strip()[:200], register_keeper=str(document.get("register_keeper", ""))[:200],
                       items=clean, submitted_at=utcnow(), created_by=user.id)
    session.add(batch)
    session.flush()
    record(session, user, "submission.received", batch, f"{batch.reference} fra {batch.training_company}")
    return batch


def _clean_item(item: dict) -> dict:
    """Only the known keys, as plain strings, numbers and lists of objects (the file is outside input)."""
    def text(key, limit=200):
        value = item.get(key, "")
        return value.strip()[:limit] if isinstance(value, str) else ""

    def objects(key):
        value = item.get(key, [])
        return [{str(k)[:40]: v if isinstance(v, (str, int, float, bool)) or v is None else str(v)[:200]
                 for k, v in entry.items()} for entry in value[:100] if isinstance(entry, dict)] \
            if isinstance(value, list) else []

    practice = item.get("practice") if isinstance(item.get("practice"), dict) else {}
    numbers = {k: practice.get(k) if isinstance(practice.get(k), (int, float)) and not isinstance(practice.get(k), bool)
               else 0 for k in ("hours", "km", "days")}
    return dict(holder_name=text("holder_name"), birth_date=text("birth_date", 10), email=text("email", 254),
                phone=text("phone", 40), competence_code=text("competence_code", 40).upper(),
                competence_name=text("competence_name"), category=text("category", 60), tested_on=text("tested_on", 10),
                courses=objects("courses"), practice=numbers, tests=objects("tests"), documents=objects("documents"),
                state="pending", reason="")


def decide_item(session: Session, user: User, batch: Submission, index: int, accept: bool, reason: str,
                today: date, issue: bool = False) -> Submission:
    """Accept (register the competence, and issue the card when ``issue``) or reject one entry of a
    received batch.  The batch is decided when its last entry is.  Raises FieldErrors."""
    _approver(user)
    if batch.direction != INCOMING or batch.state != SubmissionState.RECEIVED.value:
        raise FieldErrors({"state": _("Innsendingen er ikke til kontroll.")})
    if not 0 <= index < len(batch.items) or batch.items[index].get("state") != "pending":
        raise FieldErrors({"item": _("Registreringen er allerede vurdert.")})
    item = dict(batch.items[index])
    if not accept and not reason.strip():
        raise FieldErrors({"reason": _("Skriv hvorfor registreringen avvises.")})
    if accept:
        competence = session.scalar(select(PersonCompetence).where(PersonCompetence.code == item["competence_code"],
                                                                   PersonCompetence.active.is_(True)))
        if competence is None:
            raise FieldErrors({"competence_code": _("Kompetansen %(code)s finnes ikke i katalogen.",
                                                    code=item["competence_code"])})
        birth = date.fromisoformat(item["birth_date"])
        person = session.scalar(select(Person).where(Person.name == item["holder_name"], Person.birth_date == birth,
                                                     Person.archived_at.is_(None)))
        if person is not None and session.scalar(select(Holding.id).where(Holding.person_id == person.id,
                                                                            Holding.competence_id == competence.id)):
            raise FieldErrors({"item": _("%(name)s har allerede kompetansen %(code)s i registeret.",
                                         name=person.name, code=competence.code)})
        if person is None:
            person = Person(name=item["holder_name"][:200], birth_date=birth, email=str(item.get("email", ""))[:254],
                            phone=str(item.get("phone", ""))[:40])
            session.add(person)
            session.flush()
        register.register_documented(session, user, person, competence, date.fromisoformat(item["tested_on"]), today,
                                     _("Grunnlag fra innsending %(ref)s kontrollert", ref=batch.reference),
                                     training_company=batch.training_company)
        item.update(state=SubmissionState.ACCEPTED.value, person_id=person.id, reason=reason.strip()[:2000])
        if issue:
            card = register.issue_card(session, user, person, competence.scheme_id, today)
            item["card_number"] = card.number
    else:
        item.update(state=SubmissionState.REJECTED.value, reason=reason.strip()[:2000])
    items = list(batch.items)
    items[index] = item
    batch.items = items
    if all(i.get("state") != "pending" for i in items):
        accepted = any(i["state"] == SubmissionState.ACCEPTED.value for i in items)
        batch.state = SubmissionState.ACCEPTED.value if accepted else SubmissionState.REJECTED.value
        batch.decided_at, batch.decided_by = utcnow(), user.id
    session.flush()
    record(session, user, f"submission.item_{item['state']}", batch, f"{item['holder_name']}: {item['competence_code']}")
    return batch


def response_document(batch: Submission) -> dict:
    """The keeper's answer for the training company: one verdict per entry, in the batch's order."""
    if batch.direction != INCOMING or batch.state == SubmissionState.RECEIVED.value:
        raise FieldErrors({"state": _("Svaret lages når hver registrering er vurdert.")})
    return dict(format=RESPONSE_FORMAT, reference=batch.reference, state=batch.state, reason=batch.reason,
                items=[dict(holder_name=i["holder_name"], competence_code=i["competence_code"], state=i["state"],
                            reason=i.get("reason", ""), card_number=i.get("card_number", "")) for i in batch.items])
