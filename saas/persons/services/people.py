"""People: who may see whom, creating and editing, the photo with its recorded consent, documents."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from saas import storage
from saas.audit.services import record
from saas.clients.models import ClientCompany, ContactPerson
from saas.db import utcnow
from saas.persons.models import Person, PersonDocument
from saas.persons.services import NotFound
from saas.schemas import FieldErrors
from saas.tenants.models import User

PERSON_FIELDS = ("name", "birth_date", "email", "phone", "address", "employer_id", "category",
                 "public_details_consent", "approved_instructor")


def client_company_ids(user: User) -> Select:
    """The companies a client contact is linked to."""
    return select(ContactPerson.company_id).where(ContactPerson.user_id == user.id)


def visible_persons(user: User) -> Select:
    """People the user may see: all of the tenant's for staff; a client contact only their companies'
    employees."""
    query = select(Person).where(Person.archived_at.is_(None))
    if not user.is_staff:
        query = query.where(Person.employer_id.in_(client_company_ids(user)))
    return query


def get_person(session: Session, user: User, person_id: int) -> Person:
    person = session.scalar(visible_persons(user).where(Person.id == person_id))
    if person is None:
        raise NotFound(person_id)
    return person


def list_persons(session: Session, user: User, q: str = "", employer_id: int | None = None,
                 limit: int = 200) -> list[Person]:
    query = visible_persons(user).order_by(Person.name, Person.id).limit(limit)
    if q:
        query = query.where(Person.name.ilike(f"%{q.replace('%', '').replace('_', '')}%"))
    if employer_id:
        query = query.where(Person.employer_id == employer_id)
    return list(session.scalars(query))


def _check_employer(session: Session, user: User, data: dict) -> None:
    employer_id = data.get("employer_id")
    if employer_id is None:
        if not user.is_staff:
            raise FieldErrors({"employer_id": _("Velg arbeidsgiver.")})
        return
    query = select(ClientCompany.id).where(ClientCompany.id == employer_id)
    if not user.is_staff:
        query = query.where(ClientCompany.id.in_(client_company_ids(user)))
    if session.scalar(query) is None:
        raise FieldErrors({"employer_id": _("Ukjent arbeidsgiver.")})


def create_person(session: Session, user: User, data: dict) -> Person:
    """Add a candidate or holder.  A client contact may add only employees of their own companies, and
    may not make anyone an approved instructor.  Raises FieldErrors."""
    _check_employer(session, user, data)
    values = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    if not user.is_staff:
        values.pop("approved_instructor", None)
    person = Person(**values)
    session.add(person)
    session.flush()
    record(session, user, "person.created", person, person.name)
    return person


def update_person(session: Session, user: User, person: Person, data: dict) -> Person:
    _check_employer(session, user, data)
    for key, value in data.items():
        if key in PERSON_FIELDS and (user.is_staff or key != "approved_instructor"):
            setattr(person, key, value)
    session.flush()
    record(session, user, "person.updated", person, person.name)
    return person


def set_photo(session: Session, user: User, person: Person, data: bytes, filename: str, consent_note: str) -> None:
    """Store the holder's photo; refused without a recorded consent (who consented, how).  The image is
    re-encoded without its metadata.  Raises FieldErrors."""
    if not consent_note.strip():
        raise FieldErrors({"consent": _("Registrer samtykket til bildet (hvem, når og hvordan).")})
    try:
        stored = storage.save_upload(session, data, filename, kinds=("png", "jpeg"))
    except storage.UploadRejected as error:
        raise FieldErrors({"photo": str(error)}) from None
    person.photo_key = stored.key
    person.photo_consent_at = utcnow()
    person.photo_consent_note = consent_note.strip()[:300]
    session.flush()
    record(session, user, "person.photo", person, person.name)


def remove_photo(session: Session, user: User, person: Person) -> None:
    """The holder withdrew consent: the photo goes, and so does the consent record's effect."""
    person.photo_key = ""
    person.photo_consent_at = None
    person.photo_consent_note = ""
    session.flush()
    record(session, user, "person.photo_removed", person, person.name)


def add_document(session: Session, user: User, person: Person, kind: str, title: str, data: bytes,
                 filename: str) -> PersonDocument:
    """Keep a document of the person's training or case (§ 8-2: documentation of training is kept)."""
    try:
        stored = storage.save_upload(session, data, filename)
    except storage.UploadRejected as error:
        raise FieldErrors({"file": str(error)}) from None
    document = PersonDocument(person_id=person.id, kind=kind[:30] or "other", title=(title or stored.original_name)[:200],
                              file_key=stored.key, content_type=stored.content_type,
                              original_name=stored.original_name, size=stored.size, uploaded_by=user.id)
    session.add(document)
    session.flush()
    record(session, user, "person.document", document, document.title)
    return document


def documents_of(session: Session, person: Person) -> list[PersonDocument]:
    return list(session.scalars(select(PersonDocument).where(PersonDocument.person_id == person.id)
                                .order_by(PersonDocument.created_at.desc(), PersonDocument.id.desc())))
