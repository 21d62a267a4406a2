"""Schemes and catalogues, enrolments, courses, practice logs, tests, approval."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons import presenters
from saas.persons.library import TEMPLATES
from saas.persons.models import PersonCompetence, Course, Person
from saas.persons.requirements import ACTIVITIES
from saas.persons.schemas import (
    PersonSchemeSettingsSchema,
    PersonActivitySchema, PersonCompetenceSchema, PersonCourseParticipantSchema, PersonCourseSchema,
    PersonDecisionNoteSchema, PersonEnrolSchema, PersonPracticeSchema, PersonTestSchema,
)
from saas.persons.services import catalogue, register, training
from saas.persons.services.catalogue import get_person_scheme
from saas.persons.views.common import bp, flash_errors, form_action, or_404, page, person_or_404
from saas.schemas import FieldErrors, load_form


# -- schemes and catalogue ---------------------------------------------------------------------------

@bp.get("/schemes")
@staff_required
def schemes():
    session = current_session()
    rows = []
    person_schemes = catalogue.person_schemes(session)
    currents = catalogue.currents(session, [s.id for s in person_schemes])
    competences = catalogue.competences_by_scheme(session, [s.id for s in person_schemes])
    for scheme in person_schemes:
        version, settings = currents[scheme.id]
        rows.append(dict(id=scheme.id, name=scheme.name, version=version.number, issues=settings.issues,
                         competences=len(competences[scheme.id])))
    return page("schemes.html", schemes=rows, templates=[dict(code=t.code, name=t.name) for t in TEMPLATES])


@bp.post("/schemes")
@admin_required
def scheme_create():
    try:
        scheme = catalogue.create_from_template(current_session(), current_user, request.form.get("template", ""),
                                                request.form.get("name", ""))
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.schemes"))
    flash(gettext("Ordningen %(name)s er opprettet.", name=scheme.name), "success")
    return redirect(url_for("persons.scheme", scheme_id=scheme.id))


@bp.get("/schemes/<int:scheme_id>")
@staff_required
def scheme(scheme_id: int):
    session = current_session()
    row = or_404(get_person_scheme, scheme_id)
    version, settings = catalogue.current(session, row)
    return page("scheme.html", scheme=dict(id=row.id, name=row.name, description=row.description),
                version=version.number, settings=settings.to_document(), values={}, errors={},
                competences=[PersonCompetenceSchema().dump(c) for c in catalogue.competences(session, row.id, active_only=False)])


@bp.post("/schemes/<int:scheme_id>/settings")
@admin_required
def scheme_settings(scheme_id: int):
    row = or_404(get_person_scheme, scheme_id)
    try:
        data = load_form(PersonSchemeSettingsSchema(), request.form)
        version = catalogue.update_person_settings(current_session(), current_user, row, data)
        flash(gettext("Versjon %(n)s av ordningen er publisert.", n=version.number), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.scheme", scheme_id=row.id))


@bp.post("/schemes/<int:scheme_id>/competences")
@admin_required
def competence_create(scheme_id: int):
    row = or_404(get_person_scheme, scheme_id)
    try:
        data = load_form(PersonCompetenceSchema(), request.form)
        catalogue.add_competence(current_session(), current_user, row, data)
        flash(gettext("Kompetansen er lagt til."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.scheme", scheme_id=row.id))


# -- enrolments ------------------------------------------------------------------------------------

@bp.post("/<int:person_id>/enrolments")
@staff_required
def enrol(person_id: int):
    session = current_session()
    person = person_or_404(person_id)
    try:
        data = load_form(PersonEnrolSchema(), request.form)
        competence = session.get(PersonCompetence, data["competence_id"])
        if competence is None:
            raise FieldErrors({"competence_id": gettext("Ukjent kompetanse.")})
        enrolment = training.enrol(session, current_user, person, competence, data["category"], data["documented"])
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.detail", person_id=person.id))
    flash(gettext("%(name)s er påmeldt.", name=person.name), "success")
    return redirect(url_for("persons.enrolment", enrolment_id=enrolment.id))


@bp.get("/enrolments/<int:enrolment_id>")
@staff_required
def enrolment(enrolment_id: int):
    session = current_session()
    row = or_404(training.get_enrolment, enrolment_id)
    _version, settings = catalogue.current(session, row.scheme_id)
    courses = session.scalars(select(Course).where(Course.competence_id == row.competence_id,
                                                   Course.completed_on.is_(None)).order_by(Course.starts_on)).all()
    return page(
        "enrolment.html", enrolment_id=row.id, person=dict(id=row.person.id, name=row.person.name),
        competence=dict(code=row.competence.code, name=row.competence.name), progress=presenters.progress_data(session, row),
        practice=[dict(day=p.day, phase=p.phase, hours=p.hours, km=p.km, supervisor=p.supervisor)
                  for p in training.practice_of(session, row)],
        tests=[dict(taken_on=t.taken_on, kind=t.kind, passed=t.passed, checklist=t.checklist)
               for t in training.tests_of(session, row)], done=row.done,
        documented=row.documented, examiners=training.examiners(session), checklist=settings.checklist,
        activities=ACTIVITIES, open_courses=[dict(id=c.id, title=c.title, starts_on=c.starts_on) for c in courses],
        today=today_in_oslo(), state=row.state, decision_note=row.decision_note,
    )


def _enrolment_action(enrolment_id: int, schema, action, message: str):
    row = or_404(training.get_enrolment, enrolment_id)
    return form_action(row, schema, action, message, "persons.enrolment", enrolment_id=row.id)


@bp.post("/enrolments/<int:enrolment_id>/practice")
@staff_required
def practice(enrolment_id: int):
    return _enrolment_action(enrolment_id, PersonPracticeSchema(),
                             lambda s, e, d: training.log_practice(s, current_user, e, d), gettext("Kjøringen er logget."))


@bp.post("/enrolments/<int:enrolment_id>/tests")
@staff_required
def test(enrolment_id: int):
    def action(session, enrolment, data):
        items = request.form.getlist("checklist_item")
        data["checklist"] = [{"item": item, "ok": request.form.get(f"checklist_ok_{i}") == "1"}
                             for i, item in enumerate(items) if item.strip()]
        training.record_test(session, current_user, enrolment, data)

    return _enrolment_action(enrolment_id, PersonTestSchema(), action, gettext("Prøven er registrert."))


@bp.post("/enrolments/<int:enrolment_id>/done")
@staff_required
def activity_done(enrolment_id: int):
    return _enrolment_action(enrolment_id, PersonActivitySchema(),
                             lambda s, e, d: training.mark_done(s, current_user, e, d["activity"]),
                             gettext("Aktiviteten er registrert som gjennomført."))


@bp.post("/enrolments/<int:enrolment_id>/course")
@staff_required
def join_course(enrolment_id: int):
    session = current_session()
    row = or_404(training.get_enrolment, enrolment_id)
    course = session.get(Course, int(request.form.get("course_id") or 0) if (request.form.get("course_id") or "").isdigit() else 0)
    if course is None:
        abort(404)
    try:
        training.add_participant(session, current_user, course, row)
        flash(gettext("Kandidaten er meldt på kurset."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.enrolment", enrolment_id=row.id))


@bp.post("/enrolments/<int:enrolment_id>/approve")
@staff_required
def approve(enrolment_id: int):
    session = current_session()
    row = or_404(training.get_enrolment, enrolment_id)
    try:
        register.approve(session, current_user, row, today_in_oslo())
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.enrolment", enrolment_id=row.id))
    flash(gettext("Godkjent og registrert i registeret. Utsted kompetansebeviset."), "success")
    return redirect(url_for("persons.detail", person_id=row.person_id))


@bp.post("/enrolments/<int:enrolment_id>/refuse")
@staff_required
def refuse(enrolment_id: int):
    return _enrolment_action(enrolment_id, PersonDecisionNoteSchema(),
                             lambda s, e, d: register.refuse(s, current_user, e, today_in_oslo(), d["note"]),
                             gettext("Avslaget er registrert."))


# -- courses ---------------------------------------------------------------------------------------

@bp.get("/courses")
@staff_required
def courses():
    session = current_session()
    rows = training.courses(session, limit=200)
    competences = [dict(id=c.id, label=f"{c.code} {c.name}") for c in catalogue.competences(session)]
    instructors = [dict(id=p.id, name=p.name) for p in session.scalars(
        select(Person).where(Person.approved_instructor.is_(True), Person.archived_at.is_(None)).order_by(Person.name))]
    return page("courses.html", courses=[dict(id=c.id, title=c.title, activity=c.activity, starts_on=c.starts_on,
                                              ends_on=c.ends_on, hours=c.hours, instructor=c.instructor.name,
                                              competence=c.competence.code, completed_on=c.completed_on,
                                              participants=len(c.participants)) for c in rows],
                competences=competences, instructors=instructors, activities=ACTIVITIES + ("repetition", "periodic_training"),
                values=dict(request.args), errors={})


@bp.post("/courses")
@staff_required
def course_create():
    session = current_session()
    try:
        data = load_form(PersonCourseSchema(), request.form)
        competence = session.get(PersonCompetence, data["competence_id"])
        if competence is None:
            raise FieldErrors({"competence_id": gettext("Ukjent kompetanse.")})
        course = training.create_course(session, current_user, competence, data)
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.courses"))
    flash(gettext("Kurset er opprettet."), "success")
    return redirect(url_for("persons.course", course_id=course.id))


@bp.get("/courses/<int:course_id>")
@staff_required
def course(course_id: int):
    session = current_session()
    row = or_404(training.get_course, course_id)
    participants = training.participants_of(session, row)
    taken = {p.enrolment_id for p in participants}
    return page("course.html", course=dict(id=row.id, title=row.title, activity=row.activity, hours=row.hours,
                                           starts_on=row.starts_on, ends_on=row.ends_on, completed_on=row.completed_on,
                                           instructor=row.instructor.name,
                                           competence=f"{row.competence.code} {row.competence.name}"),
                participants=[dict(enrolment_id=p.enrolment_id, name=p.enrolment.person.name) for p in participants],
                candidates=[dict(id=e.id, name=e.person.name) for e in training.candidates_for(session, row)
                            if e.id not in taken],
                today=today_in_oslo())


@bp.post("/courses/<int:course_id>/participants")
@staff_required
def course_participant(course_id: int):
    session = current_session()
    row = or_404(training.get_course, course_id)
    try:
        data = load_form(PersonCourseParticipantSchema(), request.form)
        enrolment = or_404(training.get_enrolment, data["enrolment_id"])
        training.add_participant(session, current_user, row, enrolment)
        flash(gettext("Deltakeren er lagt til."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.course", course_id=row.id))


@bp.post("/courses/<int:course_id>/complete")
@staff_required
def course_complete(course_id: int):
    row = or_404(training.get_course, course_id)
    training.complete_course(current_session(), current_user, row, today_in_oslo())
    flash(gettext("Kurset er registrert som gjennomført."), "success")
    return redirect(url_for("persons.course", course_id=row.id))
