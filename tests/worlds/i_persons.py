"""Person certification: a driver scheme, people, an enrolment with a course, practice and tests, a
register entry, a card, a revocation case, a document, a reminder, register settings and a signing key."""
from datetime import date, timedelta

from saas.persons.card_signing import b64url, generate_key_pair, sign
from saas.persons.models import Card, PersonDocument, PersonReminder, PersonSigningKey, Submission, TrainingPlanItem
from saas.persons.services import catalogue, register, revocation, training
from tests.person_factories import competence, make_instructor, make_person, make_scheme

def populate(session, base):
    key = base["key"].upper()
    admin, reviewer = base["admin"], base["reviewer"]
    today = date(2026, 12, 6)
    scheme = make_scheme(session, admin)
    comp = competence(session, scheme, "TYPE-73")
    catalogue.register_settings(session)
    holder = make_person(session, f"Person {key} Hemmelig", employer=base["company"], email=f"holder-{key}@example.no")
    register.register_documented(session, reviewer, holder, comp, today - timedelta(days=50), today, "Kontrollert")
    instructor = make_instructor(session, reviewer, comp, today, name=f"Instruktør {key} Hemmelig")
    candidate = make_person(session, f"Kandidat {key} Hemmelig", employer=base["company"])
    enrolment = training.enrol(session, admin, candidate, comp, "new_candidate")
    course = training.create_course(session, admin, comp, dict(
        activity="type_training", title=f"Kurs {key} Hemmelig", starts_on=today, ends_on=today, hours=21,
        instructor_id=instructor.id))
    training.add_participant(session, admin, course, enrolment)
    practice = training.log_practice(session, admin, enrolment, dict(day=today, hours=5, km=40, phase=1))
    test = training.record_test(session, admin, enrolment, dict(kind="theory", taken_on=today,
                                                                examiner_id=base["consultant"].id, passed=True))
    # Rows only (no app context here): a signed card and its key, a document without a file.
    pair = generate_key_pair(f"world-{key.lower()}")
    session.add(PersonSigningKey(kid=pair.kid, public_key=b64url(pair.public_raw), private_key_encrypted="x"))
    version = catalogue.current(session, scheme)[0]
    card = Card(person_id=holder.id, scheme_id=scheme.id, scheme_version_id=version.id, number=f"KB-2026-{key}",
                verify_code=f"world-code-{key.lower()}-0123456789abcdef", issued_on=today,
                snapshot=dict(holder_name=holder.name, competences=[], title="Kompetansebevis"),
                token=sign({"no": f"KB-2026-{key}"}, pair), approved_by=reviewer.id)
    session.add(card)
    case = revocation.open_case(session, admin, holder, dict(trigger="incident", scheme_id=scheme.id,
                                                             facts=f"Fakta {key} Hemmelig"), today)
    document = PersonDocument(person_id=holder.id, kind="report", title=f"Rapport {key} Hemmelig",
                              file_key="0000/" + "0" * 32 + ".png", content_type="image/png",
                              original_name="rapport.png", size=0, uploaded_by=admin.id)
    session.add(document)
    session.add(PersonReminder(key=f"test:{key}", recipients=[]))
    session.flush()
    from saas.persons.services.register_state import holdings_of

    holding = holdings_of(session, holder.id)[0]
    holding.absent_since = today - timedelta(days=150)
    plan_item = TrainingPlanItem(holding_id=holding.id, title=f"Plan {key} Hemmelig", due_on=today + timedelta(days=30))
    submission = Submission(direction="outgoing", reference=f"world-{key.lower()}", training_company=f"Firma {key} Hemmelig",
                            items=[dict(holding_id=holding.id, holder_name=holder.name, competence_code="TYPE-73")])
    session.add_all([plan_item, submission])
    session.flush()
    return dict(plan_item=plan_item, submission=submission,person_scheme=scheme, competence=comp, person=holder, candidate=candidate, enrolment=enrolment,
                course=course, practice=practice, person_test=test, card=card, revocation_case=case,
                person_document=document, holding=holding, instructor=instructor)
