"""Risk pages: the tenant's matrix (admins edit it as a grid), a year's assessments with the company's
heat map, one assessment with its hazards, and turning a hazard's measures into an action item."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.hms import risk
from saas.hms.schemas_risks import RiskAssessmentSchema, HazardActionSchema, HazardSchema, matrix_from_form
from saas.hms.services import risks as services
from saas.hms.svg import heatmap_svg
from saas.hms.views import risks_bp as bp
from saas.hms.views.actions import year_header, year_or_404
from saas.schemas import FieldErrors, load_form


def _assessment_or_404(assessment_id: int):
    try:
        assessment = services.get_assessment(current_session(), assessment_id)
    except services.NotFound:
        abort(404)
    year_or_404(assessment.year_id)
    return assessment


def _hazard_or_404(hazard_id: int):
    try:
        hazard = services.get_hazard(current_session(), hazard_id)
    except services.NotFound:
        abort(404)
    year_or_404(hazard.assessment.year_id)
    return hazard


def _svg(heatmap: dict, labels: dict, title: str) -> str:
    words = {"probability": gettext("Sannsynlighet"), "consequence": gettext("Konsekvens"), "hazards": gettext("farer"),
             "green": gettext("grønn"), "yellow": gettext("gul"), "red": gettext("rød")}
    return heatmap_svg(heatmap, labels["probability_labels"], labels["consequence_labels"], title, words=words)


# -- the matrix --------------------------------------------------------------------------------------------

@bp.get("/matrix")
@staff_required
def matrix():
    session = current_session()
    current = services.current_matrix(session)
    return render_template("hms/risks/matrix.html", matrix=current.data, version=current.version,
                           versions=services.matrix_versions(session), colour_names=risk.COLOUR_NAMES_NB)


def _grid_start(current: dict) -> dict:
    """What the edit grid starts from: a preset, a new size, or the current matrix."""
    preset = request.args.get("preset")
    if preset == "simple":
        return risk.simple_matrix().to_dict()
    if preset == "default":
        return risk.default_matrix().to_dict()
    sizes = [request.args.get(k, "") for k in ("n_probability", "n_consequence")]
    if all(s.isdigit() and risk.MIN_LEVELS <= int(s) <= risk.MAX_LEVELS for s in sizes):
        n_p, n_c = map(int, sizes)
        if (n_p, n_c) != (len(current["probability_labels"]), len(current["consequence_labels"])):
            return risk.generate_matrix(n_p, n_c).to_dict()
    return current


def _edit_page(grid: dict, errors: dict, status: int = 200):
    return render_template("hms/risks/matrix_edit.html", grid=grid, errors=errors, colour_names=risk.COLOUR_NAMES_NB,
                           sizes=range(risk.MIN_LEVELS, risk.MAX_LEVELS + 1)), status


@bp.route("/matrix/edit", methods=["GET", "POST"])
@admin_required
def matrix_edit():
    session = current_session()
    if request.method == "GET":
        return _edit_page(_grid_start(services.current_matrix(session).data), {})
    grid = matrix_from_form(request.form)
    try:
        version = services.save_matrix(session, current_user, grid)
    except FieldErrors as error:
        return _edit_page(grid, error.errors, 422)
    flash(gettext("Risikomatrisen er lagret som versjon %(version)s.", version=version.version) if version
          else gettext("Ingen endringer å lagre."), "success")
    return redirect(url_for("risks.matrix"))


# -- a year's assessments -----------------------------------------------------------------------------------

def _year_page(year, values: dict, errors: dict, status: int = 200):
    summary = services.year_summary(current_session(), year.id)
    heatmap = summary["heatmap"]
    return render_template("hms/risks/year.html", year=year_header(year), summary=summary, values=values, errors=errors,
                           svg_before=_svg(heatmap, heatmap, gettext("Risiko før tiltak")),
                           svg_after=_svg(heatmap["after"], heatmap, gettext("Risiko etter tiltak"))), status


@bp.get("/years/<int:year_id>")
@staff_required
def year(year_id: int):
    return _year_page(year_or_404(year_id), {}, {})


@bp.post("/years/<int:year_id>")
@staff_required
def create(year_id: int):
    year = year_or_404(year_id)
    try:
        assessment = services.create_assessment(current_session(), current_user, year, load_form(RiskAssessmentSchema(), request.form))
    except FieldErrors as error:
        return _year_page(year, dict(request.form), error.errors, 422)
    flash(gettext("Risikovurderingen er opprettet."), "success")
    return redirect(url_for("risks.assessment", assessment_id=assessment.id))


# -- one assessment ------------------------------------------------------------------------------------------

def _assessment_page(assessment, values: dict, errors: dict, status: int = 200):
    session = current_session()
    view = services.assessment_view(session, assessment)
    year = year_or_404(assessment.year_id)
    return render_template("hms/risks/assessment.html", a=view, year=year_header(year), values=values, errors=errors,
                           svg_before=_svg(view["heatmap"], view["matrix"], gettext("Risiko før tiltak")),
                           svg_after=_svg(view["heatmap_after"], view["matrix"], gettext("Risiko etter tiltak"))), status


@bp.get("/<int:assessment_id>")
@staff_required
def assessment(assessment_id: int):
    return _assessment_page(_assessment_or_404(assessment_id), {"area": "physical"}, {})


@bp.route("/<int:assessment_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(assessment_id: int):
    assessment = _assessment_or_404(assessment_id)
    if request.method == "GET":
        values = {k: getattr(assessment, k) for k in services.ASSESSMENT_FIELDS}
        return render_template("hms/risks/assessment_form.html", values=values, errors={}, assessment_id=assessment.id)
    try:
        services.update_assessment(current_session(), current_user, assessment, load_form(RiskAssessmentSchema(), request.form))
    except FieldErrors as error:
        return render_template("hms/risks/assessment_form.html", values=dict(request.form), errors=error.errors,
                               assessment_id=assessment.id), 422
    flash(gettext("Endringene er lagret."), "success")
    return redirect(url_for("risks.assessment", assessment_id=assessment.id))


@bp.post("/<int:assessment_id>/complete")
@staff_required
def complete(assessment_id: int):
    """One click to mark the assessment carried out (its hazards, or the "no significant hazards" conclusion)."""
    assessment = _assessment_or_404(assessment_id)
    try:
        services.update_assessment(current_session(), current_user, assessment, {"status": "completed"})
    except FieldErrors as error:
        return _assessment_page(assessment, {"area": "physical"}, error.errors, 422)
    flash(gettext("Risikovurderingen er fullført."), "success")
    return redirect(url_for("risks.assessment", assessment_id=assessment.id))


@bp.post("/<int:assessment_id>/hazards")
@staff_required
def add_hazard(assessment_id: int):
    assessment = _assessment_or_404(assessment_id)
    try:
        services.add_hazard(current_session(), current_user, assessment, load_form(HazardSchema(), request.form))
    except FieldErrors as error:
        return _assessment_page(assessment, dict(request.form), error.errors, 422)
    flash(gettext("Faren er lagt til."), "success")
    return redirect(url_for("risks.assessment", assessment_id=assessment.id) + "#farer")


# -- hazards -------------------------------------------------------------------------------------------------

def _hazard_form(hazard, values: dict, errors: dict, status: int = 200):
    view = services.assessment_view(current_session(), hazard.assessment)
    return render_template("hms/risks/hazard_form.html", hazard_id=hazard.id, a=view, values=values, errors=errors), status


@bp.route("/hazards/<int:hazard_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_hazard(hazard_id: int):
    hazard = _hazard_or_404(hazard_id)
    if request.method == "GET":
        return _hazard_form(hazard, {k: getattr(hazard, k) for k in services.HAZARD_FIELDS}, {})
    try:
        services.update_hazard(current_session(), current_user, hazard, load_form(HazardSchema(), request.form))
    except FieldErrors as error:
        return _hazard_form(hazard, dict(request.form), error.errors, 422)
    flash(gettext("Faren er oppdatert."), "success")
    return redirect(url_for("risks.assessment", assessment_id=hazard.assessment_id) + "#farer")


@bp.post("/hazards/<int:hazard_id>/delete")
@staff_required
def delete_hazard(hazard_id: int):
    hazard = _hazard_or_404(hazard_id)
    assessment_id = hazard.assessment_id
    services.delete_hazard(current_session(), current_user, hazard)
    flash(gettext("Faren er fjernet."), "success")
    return redirect(url_for("risks.assessment", assessment_id=assessment_id) + "#farer")


@bp.post("/hazards/<int:hazard_id>/action")
@staff_required
def hazard_action(hazard_id: int):
    """The hazard's measures as an action item, created in this request's transaction."""
    hazard = _hazard_or_404(hazard_id)
    try:
        data = load_form(HazardActionSchema(), request.form)
        item = services.hazard_to_action(current_session(), current_user, hazard, data["deadline"])
    except FieldErrors as error:
        return _assessment_page(hazard.assessment, {"area": "physical"}, {f"hazard_{hazard.id}": sum(error.errors.values(), [])}, 422)
    flash(gettext("Tiltakene er lagt i handlingsplanen."), "success")
    return redirect(url_for("actions.detail", action_id=item.id))
