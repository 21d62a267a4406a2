"""Enrolments, courses, practice logs and tests; what a candidate still lacks.

The rules themselves are in ``saas.persons.requirements`` (pure); this module feeds them the rows.
"""
from __future__ import annotations

from flask_babel import gettext as _
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from saas.audit.services import record
from saas.persons import requirements as rules
from saas.persons.models import (
    PersonCompetence, Course, CourseParticipant, Enrolment, EnrolmentState, Holding, Person, PracticeEntry, TestAttempt,
    TestKind,
)
from saas.persons.services import NotFound, catalogue
from saas.persons.services.register_state import holding_assessment
from saas.persons.settings import PersonSchemeSettings
from saas.persons.validity import add_months
from saas.schemas import FieldErrors
from saas.tenants.models import Role, User

COURSE_ACTIVITIES = rules.ACTIVITIES + ("repetition", "periodic_training")
GUIDE_YEARS = 3


def get_enrolment(session: Session, enrolment_id: int) -> Enrolment:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound(enrolment_id)
    return enrolment


def enrolments_of(session: Session, person: Person) -> list[Enrolment]:
    """The person's enrolments, each with its competence loaded."""
    return list(session.scalars(select(Enrolment).where(Enrolment.person_id == person.id).order_by(Enrolment.id)
                                .options(selectinload(Enrolment.competence))))


def enrol(session: Session, user: User, person: Person, competence: PersonCompetence, category: str,
          documented: list[str] | None = None) -> Enrolment:
    """Enrol ``person`` for ``competence`` in a candidate category of the scheme's matrix.  Raises
    FieldErrors for an unknown category or an open enrolment for the same competence."""
    _version, settings = catalogue.current(session, competence.scheme_id)
    row = settings.row(category)
    if row is None:
        raise FieldErrors({"category": _("Ukjent kandidatkategori for ordningen.")})
    documented = [a for a in (documented or []) if a in rules.ACTIVITIES]
    not_documentable = [a for a in documented if row.needs.get(a) is not rules.Need.UNLESS_DOCUMENTED]
    if not_documentable:
        raise FieldErrors({"documented": _("Bare krav merket «(x)» kan dekkes av dokumentert kompetanse.")})
    open_one = session.scalar(select(Enrolment.id).where(Enrolment.person_id == person.id,
                                                         Enrolment.competence_id == competence.id,
                                                         Enrolment.state == EnrolmentState.TRAINING.value))
    if open_one:
        raise FieldErrors({"competence_id": _("Personen er allerede påmeldt denne kompetansen.")})
    enrolment = Enrolment(person_id=person.id, scheme_id=competence.scheme_id, competence_id=competence.id,
                          category=category, documented=documented, done=[])
    session.add(enrolment)
    session.flush()
    record(session, user, "enrolment.created", enrolment, f"{person.name}: {competence.code}")
    return enrolment


# -- courses -----------------------------------------------------------------------------------------

def instructor_problem(session: Session, instructor: Person, competence: PersonCompetence, on: date) -> str | None:
    """Why ``instructor`` may not teach ``competence`` (None when he may): he must be approved as an
    instructor and hold the competence, valid on the course's first day."""
    if not instructor.approved_instructor:
        return _("Instruktøren er ikke godkjent.")
    holding = session.scalar(select(Holding).where(Holding.person_id == instructor.id,
                                                   Holding.competence_id == competence.id))
    if holding is None or not holding_assessment(session, holding, on).usable:
        return _("Instruktøren må selv være sertifisert på kompetansen.")
    # Seed 002 § 1.8.7: a guide on a line has been certified for at least 3 years, and on that line.
    if competence.kind == "line" and add_months(holding.first_issued_on, GUIDE_YEARS * 12) > on:
        return _("Veileder på en strekning må ha vært sertifisert i minst %(years)s år på strekningen.", years=GUIDE_YEARS)
    return None


def create_course(session: Session, user: User, competence: PersonCompetence, data: dict) -> Course:
    """A course with its instructor.  Raises FieldErrors (instructor not approved or not certified,
    type training under the scheme's minimum hours, dates in the wrong order)."""
    instructor = session.get(Person, data["instructor_id"])
    if instructor is None:
        raise FieldErrors({"instructor_id": _("Ukjent instruktør.")})
    if data["activity"] not in COURSE_ACTIVITIES:
        raise FieldErrors({"activity": _("Ugyldig valg.")})
    if data["ends_on"] < data["starts_on"]:
        raise FieldErrors({"ends_on": _("Sluttdato kan ikke være før startdato.")})
    problem = instructor_problem(session, instructor, competence, data["starts_on"])
    if problem:
        raise FieldErrors({"instructor_id": problem})
    _version, settings = catalogue.current(session, competence.scheme_id)
    if data["activity"] == "type_training":
        check = rules.check_type_course(data["hours"], 0, min_hours=settings.practice.type_course_min_hours,
                                        max_participants=settings.practice.type_course_max_participants)
        if not check.ok:
            raise FieldErrors({"hours": _("Typeopplæring skal ha minst %(hours)s timer.",
                                            hours=f"{settings.practice.type_course_min_hours:g}")})
    course = Course(scheme_id=competence.scheme_id, competence_id=competence.id, activity=data["activity"],
                    title=data["title"], starts_on=data["starts_on"], ends_on=data["ends_on"], hours=data["hours"],
                    instructor_id=instructor.id, location=data.get("location") or "")
    session.add(course)
    session.flush()
    record(session, user, "course.created", course, course.title)
    return course


def get_course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(course_id)
    return course


def courses(session: Session, limit: int) -> list[Course]:
    """The newest courses, each with its instructor, competence and participants loaded."""
    return list(session.scalars(select(Course).order_by(Course.starts_on.desc(), Course.id.desc()).limit(limit)
                                .options(selectinload(Course.instructor), selectinload(Course.competence),
                                         selectinload(Course.participants))))


def participants_of(session: Session, course: Course) -> list[CourseParticipant]:
    """The course's participants, each with its enrolment and person loaded."""
    return list(session.scalars(select(CourseParticipant).where(CourseParticipant.course_id == course.id)
                                .order_by(CourseParticipant.id)
                                .options(selectinload(CourseParticipant.enrolment).selectinload(Enrolment.person))))


def candidates_for(session: Session, course: Course) -> list[Enrolment]:
    """Enrolments in training for the course's competence, each with its person loaded."""
    return list(session.scalars(select(Enrolment).where(Enrolment.competence_id == course.competence_id,
                                                        Enrolment.state == EnrolmentState.TRAINING.value)
                                .options(selectinload(Enrolment.person))))


def add_participant(session: Session, user: User, course: Course, enrolment: Enrolment) -> CourseParticipant:
    """Put an enrolled candidate on a course; type training takes at most the scheme's maximum."""
    if enrolment.competence_id != course.competence_id:
        raise FieldErrors({"enrolment_id": _("Påmeldingen gjelder en annen kompetanse enn kurset.")})
    if session.scalar(select(CourseParticipant.id).where(CourseParticipant.course_id == course.id,
                                                         CourseParticipant.enrolment_id == enrolment.id)):
        raise FieldErrors({"enrolment_id": _("Deltakeren er allerede med.")})
    _version, settings = catalogue.current(session, course.scheme_id)
    count = session.scalar(select(func.count()).select_from(CourseParticipant)
                           .where(CourseParticipant.course_id == course.id))
    if course.activity == "type_training" and count + 1 > settings.practice.type_course_max_participants:
        raise FieldErrors({"enrolment_id": _("Typeopplæring kan ha høyst %(n)s deltakere.",
                                             n=settings.practice.type_course_max_participants)})
    if enrolment.person_id == course.instructor_id:
        raise FieldErrors({"enrolment_id": _("Instruktøren kan ikke være deltaker.")})
    participant = CourseParticipant(course_id=course.id, enrolment_id=enrolment.id)
    session.add(participant)
    session.flush()
    record(session, user, "course.participant", course, f"{course.title}: {enrolment.person.name}")
    return participant


def complete_course(session: Session, user: User, course: Course, on: date) -> Course:
    """The course is held: every participant's enrolment has the course's activity done."""
    course.completed_on = on
    for participant in course.participants:
        enrolment = participant.enrolment
        if course.activity in rules.ACTIVITIES and course.activity not in enrolment.done:
            enrolment.done = [*enrolment.done, course.activity]
    session.flush()
    record(session, user, "course.completed", course, course.title)
    return course


# -- practice and tests ------------------------------------------------------------------------------

def log_practice(session: Session, user: User, enrolment: Enrolment, data: dict) -> PracticeEntry:
    if enrolment.state != EnrolmentState.TRAINING.value:
        raise FieldErrors({"day": _("Påmeldingen er avsluttet.")})
    if data.get("phase", 1) not in (1, 2):
        raise FieldErrors({"phase": _("Ugyldig valg.")})
    entry = PracticeEntry(enrolment_id=enrolment.id, phase=data.get("phase", 1), day=data["day"], hours=data["hours"],
                          km=data.get("km") or 0, supervisor=data.get("supervisor") or "", note=data.get("note") or "")
    session.add(entry)
    session.flush()
    record(session, user, "practice.logged", entry, f"{data['day']}: {data['hours']} t")
    return entry


def practice_of(session: Session, enrolment: Enrolment) -> list[PracticeEntry]:
    return list(session.scalars(select(PracticeEntry).where(PracticeEntry.enrolment_id == enrolment.id)
                                .order_by(PracticeEntry.day, PracticeEntry.id)))


def tests_of(session: Session, enrolment: Enrolment) -> list[TestAttempt]:
    return list(session.scalars(select(TestAttempt).where(TestAttempt.enrolment_id == enrolment.id)
                                .order_by(TestAttempt.taken_on, TestAttempt.id)))


def training_days(session: Session, enrolment: Enrolment) -> list[date]:
    """Days of training the candidate had: completed courses' last days and practice days."""
    course_days = session.scalars(select(Course.ends_on).join(CourseParticipant, CourseParticipant.course_id == Course.id)
                                  .where(CourseParticipant.enrolment_id == enrolment.id,
                                         Course.completed_on.is_not(None)))
    return [*course_days, *(entry.day for entry in practice_of(session, enrolment))]


def record_test(session: Session, user: User, enrolment: Enrolment, data: dict) -> TestAttempt:
    """A theory or practical test with its appointed examiner, checklist and result.  After a failed
    test of the same kind, more training must come first; under a scheme that asks new type training
    after a failed practical test, a new completed type course.  Raises FieldErrors."""
    if enrolment.state != EnrolmentState.TRAINING.value:
        raise FieldErrors({"kind": _("Påmeldingen er avsluttet.")})
    if data["kind"] not in {k.value for k in TestKind}:
        raise FieldErrors({"kind": _("Ugyldig valg.")})
    examiner = session.get(User, data["examiner_id"])
    if examiner is None or examiner.tenant_id != user.tenant_id or not examiner.is_staff or not examiner.active:
        raise FieldErrors({"examiner_id": _("Sensor må være en av virksomhetens ansatte.")})
    previous = [(t.taken_on, t.passed) for t in tests_of(session, enrolment) if t.kind == data["kind"]]
    _version, settings = catalogue.current(session, enrolment.scheme_id)
    if settings.after_fail == "new_type_training" and data["kind"] == TestKind.PRACTICAL.value and previous \
            and not sorted(previous)[-1][1]:
        last_fail = sorted(previous)[-1][0]
        new_type = session.scalar(select(Course.id).join(CourseParticipant, CourseParticipant.course_id == Course.id)
                                  .where(CourseParticipant.enrolment_id == enrolment.id,
                                         Course.activity == "type_training", Course.completed_on > last_fail))
        if new_type is None:
            raise FieldErrors({"kind": _("Etter ikke bestått praktisk prøve kreves ny typeopplæring før ny prøve.")})
    elif not rules.may_take_test(previous, training_days(session, enrolment)):
        raise FieldErrors({"kind": _("Etter ikke bestått prøve må kandidaten ha mer opplæring før neste prøve.")})
    checklist = [{"item": str(item["item"])[:200], "ok": bool(item["ok"])} for item in data.get("checklist") or []]
    passed = bool(data["passed"])
    if passed and any(not item["ok"] for item in checklist):
        raise FieldErrors({"passed": _("Bestått krever at hvert punkt på sjekklisten er godkjent.")})
    attempt = TestAttempt(enrolment_id=enrolment.id, kind=data["kind"], taken_on=data["taken_on"],
                          examiner_id=examiner.id, checklist=checklist, passed=passed, notes=data.get("notes") or "")
    session.add(attempt)
    if passed and data["kind"] == TestKind.THEORY.value and enrolment.theory_passed_on is None:
        enrolment.theory_passed_on = data["taken_on"]
    if passed and data["kind"] == TestKind.PRACTICAL.value and "practical_test" not in enrolment.done:
        enrolment.done = [*enrolment.done, "practical_test"]
    session.flush()
    record(session, user, "test.recorded", attempt, f"{data['kind']}: {'bestått' if passed else 'ikke bestått'}")
    return attempt


@dataclass(frozen=True)
class Progress:
    """Where a candidate stands against the scheme's matrix and minimums (plain data for pages and API)."""

    outstanding: rules.Outstanding
    practice_1: rules.PracticeResult
    practice_2: rules.PracticeResult
    km: int
    practical_passed: bool
    examiner_ids: tuple[int, ...]

    @property
    def ready(self) -> bool:
        return self.outstanding.complete and self.practical_passed


def progress(session: Session, enrolment: Enrolment) -> Progress:
    """The candidate's progress: matrix activities still missing (driving practice counts as done when
    both practice minimums are met), practice totals with the daily cap applied, km, tests."""
    _version, settings = catalogue.current(session, enrolment.scheme_id)
    return _progress(enrolment, settings, practice_of(session, enrolment), tests_of(session, enrolment))


def progress_of(session: Session, enrolments: list[Enrolment]) -> dict[int, Progress]:
    """``enrolment id → progress`` of many enrolments, in a fixed number of statements."""
    ids = [e.id for e in enrolments]
    settings = {i: s for i, (_v, s) in catalogue.currents(session, {e.scheme_id for e in enrolments}).items()}
    entries: dict[int, list[PracticeEntry]] = {i: [] for i in ids}
    for entry in session.scalars(select(PracticeEntry).where(PracticeEntry.enrolment_id.in_(ids))
                                 .order_by(PracticeEntry.day, PracticeEntry.id)):
        entries[entry.enrolment_id].append(entry)
    tests: dict[int, list[TestAttempt]] = {i: [] for i in ids}
    for attempt in session.scalars(select(TestAttempt).where(TestAttempt.enrolment_id.in_(ids))
                                   .order_by(TestAttempt.taken_on, TestAttempt.id)):
        tests[attempt.enrolment_id].append(attempt)
    return {e.id: _progress(e, settings[e.scheme_id], entries[e.id], tests[e.id]) for e in enrolments}


def _progress(enrolment: Enrolment, settings: PersonSchemeSettings, entries: list[PracticeEntry],
              tests: list[TestAttempt]) -> Progress:
    p = settings.practice
    days_1 = [rules.PracticeDay(e.day, e.hours, e.km) for e in entries if e.phase == 1]
    days_2 = [rules.PracticeDay(e.day, e.hours, e.km) for e in entries if e.phase == 2]
    result_1 = rules.practice_1(days_1, min_hours=p.practice_1_hours, min_shifts=p.practice_1_shifts,
                                daily_cap=p.daily_cap_hours)
    result_2 = rules.practice_2(days_2, enrolment.theory_passed_on, min_hours=p.practice_2_hours,
                                more_than_shifts=p.practice_2_more_than_shifts)
    done = set(enrolment.done)
    if result_1.met and result_2.met:
        done.add("driving_practice")
    km = sum(e.km for e in entries)
    row = settings.row(enrolment.category) or rules.MatrixRow(enrolment.category, {})
    return Progress(
        outstanding=rules.outstanding(row, done, enrolment.documented, km),
        practice_1=result_1, practice_2=result_2, km=km,
        practical_passed=any(t.passed and t.kind == TestKind.PRACTICAL.value for t in tests),
        examiner_ids=tuple(sorted({t.examiner_id for t in tests})),
    )


def mark_done(session: Session, user: User, enrolment: Enrolment, activity: str) -> Enrolment:
    """Record an activity done outside a course (e.g. approval on the locomotive, internal training)."""
    if activity not in rules.ACTIVITIES:
        raise FieldErrors({"activity": _("Ugyldig valg.")})
    if activity not in enrolment.done:
        enrolment.done = [*enrolment.done, activity]
    session.flush()
    record(session, user, "enrolment.activity_done", enrolment, activity)
    return enrolment


def examiners(session: Session) -> list[dict]:
    """Staff who may be appointed examiner or approver (joined through the tenant-owned role rows)."""
    from saas.tenants.models import UserRole

    rows = session.execute(
        select(User.id, User.name).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([Role.ADMIN.value, Role.CONSULTANT.value, Role.REVIEWER.value]),
               User.active.is_(True)).distinct().order_by(User.name)
    ).all()
    return [dict(id=r.id, name=r.name) for r in rows]
