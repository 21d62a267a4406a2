"""Demo data for person certification: a training company issuing kompetansebevis for trucks and
cranes, and a railway operator's driver scheme with a driver due for the periodic test, one expired
for 3 months and one under a revocation appeal."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.clients.models import ClientCompany, ContactPerson
from saas.persons.models import PersonCompetence, Person
from saas.persons.services import catalogue, people, register, revocation, training
from saas.persons.validity import add_months
from saas.tenants.models import Role, Tenant, User


def _user(session: Session, *roles: Role) -> User:
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    return next(u for u in users if u.has_role(*roles))


def _comp(session: Session, scheme_id: int, code: str) -> PersonCompetence:
    return session.scalar(select(PersonCompetence).where(PersonCompetence.scheme_id == scheme_id, PersonCompetence.code == code))


def _person(session: Session, name: str, birth: date, employer: ClientCompany | None, **fields) -> Person:
    person = Person(name=name, birth_date=birth, employer_id=employer.id if employer else None, **fields)
    session.add(person)
    session.flush()
    return person


def _demo_photo(colour: str) -> bytes:
    """A plain silhouette standing in for a passport photo in the demo."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 400), "#e8edf3")
    draw = ImageDraw.Draw(image)
    draw.ellipse((95, 60, 205, 180), fill=colour)
    draw.ellipse((40, 200, 260, 460), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def load_kompetansebevis(session: Session, tenant: Tenant, today: date) -> None:
    """The training company: trucks and cranes, two holders with cards, one candidate in training."""
    admin, examiner = _user(session, Role.ADMIN), _user(session, Role.CONSULTANT)
    scheme = catalogue.create_from_template(session, admin, "kompetansebevis", "Kompetansebevis truck og kran")
    settings = catalogue.register_settings(session)
    settings.mode, settings.outside_register = "training_company", "Norsk kompetanseregister (eksternt)"
    settings.issuer_name = tenant.signatory_name
    company = session.scalars(select(ClientCompany).order_by(ClientCompany.id)).first()
    instructor = _person(session, "Trond Instruktør", date(1975, 3, 14), None, approved_instructor=True,
                         email="trond@example.no")
    for code in ("T1", "T2", "T4", "G4", "G11"):
        register.register_documented(session, admin, instructor, _comp(session, scheme.id, code), today - timedelta(days=400),
                                     today, "Instruktørsertifikat kontrollert")
    for name, birth, codes in (("Lise Truckfører", date(1991, 6, 2), ("T1", "T4")),
                               ("Ahmed Kranfører", date(1986, 11, 23), ("G4", "G11"))):
        person = _person(session, name, birth, company, email=f"{name.split()[0].lower()}@example.no")
        people.set_photo(session, admin, person, _demo_photo("#5b6b7f"), "foto.png",
                         "Demo: skriftlig samtykke registrert ved kursstart")
        for code in codes:
            comp = _comp(session, scheme.id, code)
            enrolment = training.enrol(session, admin, person, comp, "new_candidate")
            course = training.create_course(session, admin, comp, dict(
                activity="type_training", title=f"Sikkerhetsopplæring {code}", starts_on=today - timedelta(days=30),
                ends_on=today - timedelta(days=27), hours=28, instructor_id=instructor.id, location="Kongsberg"))
            training.add_participant(session, admin, course, enrolment)
            training.complete_course(session, admin, course, today - timedelta(days=27))
            training.mark_done(session, admin, enrolment, "internal_training")
            training.record_test(session, admin, enrolment, dict(
                kind="practical", taken_on=today - timedelta(days=26), examiner_id=examiner.id, passed=True,
                checklist=[{"item": item, "ok": True} for item in catalogue.current(session, scheme)[1].checklist]))
            register.approve(session, admin, enrolment, today - timedelta(days=25))
        register.issue_card(session, admin, person, scheme.id, today - timedelta(days=25))
    candidate = _person(session, "Jonas Kandidat", date(2001, 1, 9), company)
    training.enrol(session, admin, candidate, _comp(session, scheme.id, "T4"), "new_candidate")


def load_driver_scheme(session: Session, tenant: Tenant, today: date) -> None:
    """The railway operator's drivers: one due for the periodic test, one expired 3 months, one under
    a revocation appeal."""
    from saas.norway import generate_valid_org_numbers

    admin, examiner = _user(session, Role.ADMIN), _user(session, Role.CONSULTANT)
    scheme = catalogue.create_from_template(session, admin, "forer", "Førersertifisering")
    operator = ClientCompany(name="Vestbanen Drift AS", org_number=next(generate_valid_org_numbers(9309, 1)),
                             org_form="AS", address="Strømgaten 4", postcode="5015", city="Bergen",
                             industry_code="49.100", employee_count=48)
    operator.contacts = [ContactPerson(name="Sikkerhetsleder Vestbanen", email="sikkerhet@vestbanen.example.no")]
    session.add(operator)
    session.flush()
    type73, line = _comp(session, scheme.id, "TYPE-73"), _comp(session, scheme.id, "LINE-BERGEN")

    def driver(name: str, birth: date, tested_on: date, used_on: date) -> Person:
        person = _person(session, name, birth, operator, email=f"{name.split()[0].lower()}@vestbanen.example.no")
        for comp in (type73, line):
            holding = register.register_documented(session, admin, person, comp, tested_on, today,
                                                   "Sertifikat fra tidligere trafikkutøver kontrollert")
            holding.last_used_on = used_on
        return person

    driver("Eirik Periodisk", date(1980, 4, 4), add_months(today, -35), today - timedelta(days=10))
    driver("Marte Utløpt", date(1988, 9, 30), add_months(today, -39), add_months(today, -3))
    appellant = driver("Sindre Klager", date(1979, 12, 12), add_months(today, -12), today - timedelta(days=20))
    driver("Nora Gyldig", date(1994, 2, 17), add_months(today, -6), today - timedelta(days=2))
    session.flush()
    case = revocation.open_case(session, examiner, appellant, dict(
        trigger="incident", scheme_id=scheme.id, facts="Passerte innkjørsignal i stopp ved Arna; ingen skade.",
        suspend_meanwhile=True), today - timedelta(days=12))
    revocation.record_hearing(session, examiner, case, dict(
        hearing_on=today - timedelta(days=10), manager_name="Sikkerhetsleder Vestbanen", manager_present=True,
        holder_statement="Lavt sollys; så ikke signalet i tide.", damage_potential="Høyt: mulig sammenstøt.",
        mitigating="Ingen tidligere hendelser; meldte selv fra."))
    revocation.decide(session, admin, case, dict(
        outcome="temporary", revoked_until=today + timedelta(days=50),
        decision_text="Midlertidig tilbakekall til ny praktisk prøve er bestått, senest 50 dager."), today - timedelta(days=9))
    revocation.receive_appeal(session, examiner, case, dict(received_on=today - timedelta(days=3),
                                                            appeal_text="Mener en advarsel er tilstrekkelig.",
                                                            committee="Klageutvalget: sikkerhetssjef og to førere"))
    candidate = _person(session, "Kandidat Kristoffersen", date(2000, 7, 7), operator)
    training.enrol(session, admin, candidate, type73, "new_candidate")


def load_person_demo(session: Session, tenant: Tenant, today: date, kind: str) -> None:
    if kind == "kompetansebevis":
        load_kompetansebevis(session, tenant, today)
    else:
        load_driver_scheme(session, tenant, today)
