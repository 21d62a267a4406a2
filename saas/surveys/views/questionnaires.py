"""Questionnaire pages (staff): the built-in one, the tenant's own, import in the JSON format, versions."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import staff_required
from saas.clients.services import NotFound
from saas.db import current_session
from saas.schemas import FieldErrors, load_form
from saas.surveys.questionnaire_format import FORMAT_DOC
from saas.surveys.schemas import QuestionnaireContentSchema
from saas.surveys.services import questionnaires
from saas.surveys.views import bp

MAX_UPLOAD = questionnaires.MAX_JSON_BYTES


def _questionnaire_or_404(questionnaire_id: int):
    try:
        return questionnaires.get_questionnaire(current_session(), questionnaire_id)
    except NotFound:
        abort(404)


@bp.get("/questionnaires")
@staff_required
def questionnaire_list():
    return render_template("surveys/questionnaires.html", questionnaires=questionnaires.list_questionnaires(current_session()))


@bp.get("/questionnaires/<int:questionnaire_id>")
@staff_required
def questionnaire_detail(questionnaire_id: int):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    return render_template("surveys/questionnaire.html",
                           questionnaire=questionnaires.questionnaire_detail(current_session(), questionnaire))


def _editor(values: dict, errors: dict, questionnaire=None, status: int = 200):
    return render_template("surveys/questionnaire_form.html", values=values, errors=errors, questionnaire=questionnaire,
                           format_doc=FORMAT_DOC), status


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        flash(warning, "info")


@bp.route("/questionnaires/new", methods=["GET", "POST"])
@staff_required
def questionnaire_new():
    session = current_session()
    if request.method == "GET":
        raw = request.args.get("from", "")
        source = (_questionnaire_or_404(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10
                  else questionnaires.ensure_builtin(session))
        start = questionnaires.copy_of(session, source)
        return _editor({"content": json.dumps(start, ensure_ascii=False, indent=2)}, {})
    try:
        data = load_form(QuestionnaireContentSchema(), request.form)
        questionnaire, warnings = questionnaires.create_questionnaire(session, current_user, questionnaires.parse_json(data["content"]))
    except FieldErrors as error:
        return _editor(dict(request.form), error.errors, status=422)
    flash(gettext("Spørreskjemaet «%(title)s» er lagret.", title=questionnaire.title), "success")
    _warn(warnings)
    return redirect(url_for("surveys.questionnaire_detail", questionnaire_id=questionnaire.id))


@bp.post("/questionnaires/import")
@staff_required
def questionnaire_import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _editor({}, {"file": [gettext("Velg en JSON-fil å laste opp.")]}, status=422)
    raw = upload.stream.read(MAX_UPLOAD + 1)
    try:
        questionnaire, warnings = questionnaires.create_questionnaire(current_session(), current_user, questionnaires.parse_json(raw))
    except FieldErrors as error:
        shown = raw[:MAX_UPLOAD].decode("utf-8", "replace")
        return _editor({"content": shown}, {"file": error.errors.get("content", [])}, status=422)
    flash(gettext("Spørreskjemaet «%(title)s» er importert.", title=questionnaire.title), "success")
    _warn(warnings)
    return redirect(url_for("surveys.questionnaire_detail", questionnaire_id=questionnaire.id))


@bp.route("/questionnaires/<int:questionnaire_id>/edit", methods=["GET", "POST"])
@staff_required
def questionnaire_edit(questionnaire_id: int):
    session = current_session()
    questionnaire = _questionnaire_or_404(questionnaire_id)
    if questionnaire.is_builtin:
        abort(404)
    if request.method == "GET":
        return _editor({"content": questionnaires.export_json(session, questionnaire)}, {}, questionnaire=questionnaire)
    try:
        data = load_form(QuestionnaireContentSchema(), request.form)
        version, warnings = questionnaires.new_version(session, current_user, questionnaire, questionnaires.parse_json(data["content"]))
    except FieldErrors as error:
        return _editor(dict(request.form), error.errors, questionnaire=questionnaire, status=422)
    flash(gettext("Versjon %(number)s er lagret. Undersøkelser som alt er sendt, beholder sin versjon.", number=version.number),
          "success")
    _warn(warnings)
    return redirect(url_for("surveys.questionnaire_detail", questionnaire_id=questionnaire.id))


@bp.get("/questionnaires/<int:questionnaire_id>/export.json")
@staff_required
def questionnaire_export(questionnaire_id: int):
    questionnaire = _questionnaire_or_404(questionnaire_id)
    response = Response(questionnaires.export_json(current_session(), questionnaire), content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{questionnaire.key}.json"'
    return response
