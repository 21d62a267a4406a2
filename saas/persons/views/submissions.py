"""Submissions between a training company and an independent register keeper (§ 8-2): batches, their
export, the keeper's queue and verdicts, and the keeper's response file."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from saas.auth import staff_required
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons.models import Holding, Person, PersonCompetence, RegisterMode
from saas.persons.schemas import SubmissionDecisionSchema, SubmissionOutcomeSchema
from saas.persons.services import catalogue, submissions
from saas.persons.views.common import bp, flash_errors, or_404, page
from saas.schemas import FieldErrors, load_form

MAX_FILE = 5 * 1024 * 1024


def _data(batch) -> dict:
    return dict(id=batch.id, direction=batch.direction, reference=batch.reference, state=batch.state,
                training_company=batch.training_company, register_keeper=batch.register_keeper, reason=batch.reason,
                submitted_at=batch.submitted_at, decided_at=batch.decided_at, items=list(batch.items),
                count=len(batch.items))


@bp.get("/submissions")
@staff_required
def submissions_page():
    session = current_session()
    mode = catalogue.register_settings(session).mode
    keeper = mode == RegisterMode.REGISTER_KEEPER.value
    entries = []
    if not keeper:
        entries = [dict(id=h.id, person=p.name, code=c.code, name=c.name, tested_on=h.tested_on)
                   for h, p, c in session.execute(
                       select(Holding, Person, PersonCompetence).join(Person, Person.id == Holding.person_id)
                       .join(PersonCompetence, PersonCompetence.id == Holding.competence_id)
                       .where(Person.archived_at.is_(None)).order_by(Person.name, PersonCompetence.code).limit(500)).all()]
    rows = [_data(b) for b in submissions.submissions(session, submissions.INCOMING if keeper else submissions.OUTGOING)]
    return page("submissions.html", keeper=keeper, rows=rows, entries=entries)


def _redirect_back(batch=None):
    if batch is None:
        return redirect(url_for("persons.submissions_page"))
    return redirect(url_for("persons.submission", submission_id=batch.id))


@bp.post("/submissions")
@staff_required
def submission_create():
    ids = [v for v in request.form.getlist("holding_ids") if v.isascii() and v.isdigit() and len(v) < 10]
    try:
        batch = submissions.create_batch(current_session(), current_user, [int(v) for v in ids])
    except FieldErrors as error:
        flash_errors(error)
        return _redirect_back()
    flash(gettext("Utkastet til innsending er laget."), "success")
    return _redirect_back(batch)


def _read_file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise FieldErrors({"file": gettext("Velg en fil.")})
    raw = upload.stream.read(MAX_FILE + 1)
    if len(raw) > MAX_FILE:
        raise FieldErrors({"file": gettext("Filen er for stor.")})
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise FieldErrors({"file": gettext("Filen er ikke gyldig JSON.")}) from None


@bp.post("/submissions/import")
@staff_required
def submission_import():
    try:
        batch = submissions.import_batch(current_session(), current_user, _read_file())
    except FieldErrors as error:
        flash_errors(error)
        return _redirect_back()
    flash(gettext("Innsendingen %(ref)s er mottatt og ligger i køen.", ref=batch.reference), "success")
    return _redirect_back(batch)


@bp.get("/submissions/<int:submission_id>")
@staff_required
def submission(submission_id: int):
    batch = or_404(submissions.get_submission, submission_id)
    return page("submission.html", batch=_data(batch))


def _action(submission_id: int, action, message: str):
    session = current_session()
    batch = or_404(submissions.get_submission, submission_id)
    try:
        action(session, batch)
        flash(message, "success")
    except FieldErrors as error:
        session.rollback()  # nothing of a refused step is kept (a person created, a card issued ...)
        flash_errors(error)
    return redirect(url_for("persons.submission", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/submit")
@staff_required
def submission_submit(submission_id: int):
    return _action(submission_id, lambda s, b: submissions.submit(s, current_user, b),
                   gettext("Innsendingen er sendt. Last ned filen og send den til registerføreren."))


@bp.post("/submissions/<int:submission_id>/outcome")
@staff_required
def submission_outcome(submission_id: int):
    def action(session, batch):
        data = load_form(SubmissionOutcomeSchema(), request.form)
        submissions.record_outcome(session, current_user, batch, data["state"], data["reason"])

    return _action(submission_id, action, gettext("Utfallet er registrert."))


@bp.post("/submissions/<int:submission_id>/response")
@staff_required
def submission_response_import(submission_id: int):
    return _action(submission_id, lambda s, b: submissions.import_response(s, current_user, b, _read_file()),
                   gettext("Svaret fra registerføreren er lest inn."))


@bp.post("/submissions/<int:submission_id>/decide")
@staff_required
def submission_decide(submission_id: int):
    def action(session, batch):
        data = load_form(SubmissionDecisionSchema(), request.form)
        submissions.decide_item(session, current_user, batch, data["index"], data["accept"], data["reason"],
                                today_in_oslo(), issue=data["issue"])

    return _action(submission_id, action, gettext("Vurderingen er lagret."))


@bp.get("/submissions/<int:submission_id>/export.<fmt>")
@staff_required
def submission_export(submission_id: int, fmt: str):
    batch = or_404(submissions.get_submission, submission_id)
    try:
        if batch.direction == submissions.INCOMING:  # the keeper's file is its answer
            if fmt != "json":
                abort(404)
            body, name = submissions.response_document(batch), f"svar-{batch.reference}.json"
        elif fmt == "json":
            body, name = submissions.export_document(batch), f"innsending-{batch.reference}.json"
        elif fmt == "csv":
            if batch.state == "draft":
                raise FieldErrors({"state": gettext("Send innsendingen før den eksporteres.")})
            return Response(submissions.export_csv(batch), mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename=innsending-{batch.reference}.csv"})
        else:
            abort(404)
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.submission", submission_id=batch.id))
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
