"""People: list, create, edit, detail (register entries, enrolments, cards, cases, documents), photo."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas import storage
from saas.auth import staff_required
from saas.clients.services import visible_companies
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons import presenters
from saas.persons.models import PersonDocument
from saas.persons.requirements import ACTIVITIES
from saas.persons.revocation import Trigger
from saas.persons.schemas import PersonSchema
from saas.persons.services import catalogue, people, register, revocation, training
from saas.persons.views.common import bp, int_arg, page, person_or_404
from saas.schemas import FieldErrors, load_form

MAX_PHOTO = 5 * 1024 * 1024


def _companies():
    from saas.clients.models import ClientCompany

    query = visible_companies(current_user).where(ClientCompany.archived_at.is_(None)).order_by(ClientCompany.name)
    return [dict(id=c.id, name=c.name) for c in current_session().scalars(query)]


def _form(values: dict, errors: dict, person=None, status: int = 200):
    session = current_session()
    currents = catalogue.currents(session, [s.id for s in catalogue.person_schemes(session)])
    categories = sorted({c for _version, settings in currents.values() for c in settings.categories})
    return page("form.html", status, values=values, errors=errors, person=person, companies=_companies(),
                categories=categories)


@bp.get("/")
def index():
    session = current_session()
    q = request.args.get("q", "")[:100]
    persons = people.list_persons(session, current_user, q=q, employer_id=int_arg("employer"))
    employers = {c["id"]: c["name"] for c in _companies()}
    return page("index.html", persons=persons, q=q, employers=employers,
                schemes=[dict(id=s.id, name=s.name) for s in catalogue.person_schemes(session)])


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _form({}, {})
    try:
        data = load_form(PersonSchema(), request.form)
        person = people.create_person(current_session(), current_user, data)
    except FieldErrors as error:
        return _form(dict(request.form), error.errors, status=422)
    flash(gettext("%(name)s er registrert.", name=person.name), "success")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
def edit(person_id: int):
    person = person_or_404(person_id)
    if request.method == "GET":
        return _form(PersonSchema().dump(person), {}, person)
    try:
        data = load_form(PersonSchema(), request.form)
        people.update_person(current_session(), current_user, person, data)
    except FieldErrors as error:
        return _form(dict(request.form), error.errors, person, status=422)
    flash(gettext("Endringene er lagret."), "success")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.get("/<int:person_id>")
def detail(person_id: int):
    session = current_session()
    person = person_or_404(person_id)
    today = today_in_oslo()
    schemes = catalogue.person_schemes(session)
    settings = {i: s for i, (_v, s) in catalogue.currents(session, [s.id for s in schemes]).items()}
    categories = list(dict.fromkeys(c for s in schemes for c in settings[s.id].categories))
    competences = catalogue.competences_by_scheme(session, [s.id for s in schemes])
    enrolments = []
    if current_user.is_staff:
        rows = training.enrolments_of(session, person)
        progress = training.progress_of(session, rows)
        enrolments = [dict(id=e.id, competence=f"{e.competence.code} {e.competence.name}", category=e.category,
                           state=e.state, ready=progress[e.id].ready) for e in rows]
    return page(
        "detail.html", person=dict(name=person.name, birth_date=person.birth_date, email=person.email,
                                   phone=person.phone, category=person.category,
                                   public_details_consent=person.public_details_consent), person_id=person.id,
        employer=person.employer.name if person.employer else "", photo=bool(person.photo_key),
        photo_consent_note=person.photo_consent_note, holdings=presenters.holding_rows(session, person.id, today),
        enrolments=enrolments, cards=[presenters.card_data(c) for c in register.cards_of(session, person)],
        cases=[dict(id=c.id, trigger=c.trigger, state=c.state, opened_on=c.opened_on, outcome=c.outcome)
               for c in revocation.cases_of(session, person)] if current_user.is_staff else [],
        documents=[dict(id=d.id, title=d.title, kind=d.kind, created_at=d.created_at)
                   for d in people.documents_of(session, person)],
        categories=categories,
        schemes=[dict(id=s.id, name=s.name, categories=settings[s.id].categories,
                      competences=[dict(id=c.id, code=c.code, name=c.name) for c in competences[s.id]])
                 for s in schemes],
        activities=ACTIVITIES, triggers=[t.value for t in Trigger], today=today,
    )


@bp.post("/<int:person_id>/photo")
def photo_upload(person_id: int):
    person = person_or_404(person_id)
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise FieldErrors({"photo": gettext("Velg et bilde.")})
        people.set_photo(current_session(), current_user, person, upload.read(MAX_PHOTO + 1), upload.filename,
                         request.form.get("consent", ""))
        flash(gettext("Bildet er lagret."), "success")
    except FieldErrors as error:
        for messages in error.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.post("/<int:person_id>/photo/remove")
def photo_remove(person_id: int):
    person = person_or_404(person_id)
    people.remove_photo(current_session(), current_user, person)
    flash(gettext("Bildet er slettet."), "success")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.get("/<int:person_id>/photo")
def photo(person_id: int):
    person = person_or_404(person_id)
    if not person.photo_key:
        abort(404)
    kind = "image/png" if person.photo_key.endswith(".png") else "image/jpeg"
    return storage.download_response(person.photo_key, f"foto.{person.photo_key.rsplit('.', 1)[-1]}", kind, inline=True)


@bp.post("/<int:person_id>/documents")
@staff_required
def document_upload(person_id: int):
    person = person_or_404(person_id)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise FieldErrors({"file": gettext("Velg en fil.")})
        people.add_document(current_session(), current_user, person, request.form.get("kind", "other"),
                            request.form.get("title", ""), upload.read(), upload.filename)
        flash(gettext("Dokumentet er lagret."), "success")
    except FieldErrors as error:
        for messages in error.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("persons.detail", person_id=person.id))


@bp.get("/documents/<int:person_document_id>")
def document(person_document_id: int):
    session = current_session()
    row = session.get(PersonDocument, person_document_id)
    if row is None:
        abort(404)
    person_or_404(row.person_id)
    return storage.download_response(row.file_key, row.original_name, row.content_type)
