"""Factories for person certification: a scheme from a template, a person, a certified instructor, a
candidate taken through training and tests."""
from __future__ import annotations

from datetime import date, timedelta

from saas.persons.models import PersonCompetence, Person
from saas.persons.services import catalogue, register, training
from sqlalchemy import select


def make_scheme(session, user, template: str = "forer"):
    return catalogue.create_from_template(session, user, template)


def competence(session, scheme, code: str) -> PersonCompetence:
    return session.scalar(select(PersonCompetence).where(PersonCompetence.scheme_id == scheme.id, PersonCompetence.code == code))


def make_person(session, name: str = "Ola Nordmann", employer=None, **fields) -> Person:
    person = Person(name=name, birth_date=fields.pop("birth_date", date(1990, 5, 17)),
                    employer_id=employer.id if employer else None, **fields)
    session.add(person)
    session.flush()
    return person


def make_instructor(session, approver, comp: PersonCompetence, today: date, name: str = "Ivar Instruktør") -> Person:
    person = make_person(session, name, approved_instructor=True)
    register.register_documented(session, approver, person, comp, today - timedelta(days=30), today,
                                 "Sertifikat fra annen trafikkutøver kontrollert")
    return person


def train_to_ready(session, user, examiner, person, comp, today: date, category: str = "new_candidate",
                   registrar=None):
    """Enrol ``person`` and log everything seed 002 asks of a new candidate (courses, practice 1 and 2,
    1,000 km, theory and practical tests); returns the enrolment, ready for approval."""
    enrolment = training.enrol(session, user, person, comp, category)
    instructor = make_instructor(session, registrar or examiner, comp, today - timedelta(days=120), name=f"Instruktør for {person.name}")
    start = today - timedelta(days=90)
    for activity in ("internal_training", "type_training", "infrastructure"):
        course = training.create_course(session, user, comp, dict(
            activity=activity, title=activity, starts_on=start, ends_on=start + timedelta(days=3), hours=24,
            instructor_id=instructor.id))
        training.add_participant(session, user, course, enrolment)
        training.complete_course(session, user, course, start + timedelta(days=3))
    for i in range(6):
        training.log_practice(session, user, enrolment, dict(day=start + timedelta(days=5 + i), hours=8, km=60, phase=1))
    training.record_test(session, user, enrolment, dict(kind="theory", taken_on=start + timedelta(days=15),
                                                        examiner_id=examiner.id, passed=True))
    for i in range(16):
        training.log_practice(session, user, enrolment, dict(day=start + timedelta(days=16 + i), hours=2.5, km=50,
                                                             phase=2))
    training.mark_done(session, user, enrolment, "locomotive_approval")
    training.record_test(session, user, enrolment, dict(
        kind="practical", taken_on=start + timedelta(days=40), examiner_id=examiner.id, passed=True,
        checklist=[{"item": "Bremseprøve", "ok": True}]))
    return enrolment
