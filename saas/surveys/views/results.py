"""Results of a closed survey: the page, the aggregate CSV export, the PDF report, and turning results
into HMS work.  Everything here reads the stored k-suppressed report only."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas import storage
from saas.auth import staff_required
from saas.db import current_session
from saas.schemas import FieldErrors
from saas.surveys.services import results, surveys, work
from saas.surveys.views import bp, member_required
from saas.surveys.views.manage import survey_or_404


@bp.get("/<int:survey_id>/results")
@member_required
def show(survey_id: int):
    survey = survey_or_404(survey_id)
    return render_template("surveys/results.html", survey=surveys.summary(current_session(), g.tenant, survey),
                           results=results.results_view(survey))


@bp.get("/<int:survey_id>/export.csv")
@member_required
def export(survey_id: int):
    view = results.results_view(survey_or_404(survey_id), with_charts=False)
    if view is None:
        abort(404)
    response = Response(results.export_csv(view), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="undersokelse-{survey_id}-resultater.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:survey_id>/report.pdf")
@member_required
def report_pdf(survey_id: int):
    survey = survey_or_404(survey_id)
    if survey.pdf_key is None or not storage.exists(survey.pdf_key):
        abort(404)
    return storage.download_response(survey.pdf_key, f"sporreundersokelse-{survey.year.year}-{survey.id}.pdf", "application/pdf")


@bp.post("/<int:survey_id>/actions")
@staff_required
def to_work(survey_id: int):
    survey = survey_or_404(survey_id)
    session = current_session()
    try:
        item, _hazard = work.dimension_to_work(session, current_user, survey, request.form.get("dimension", ""),
                                               request.form.get("group") or None)
    except FieldErrors as error:
        session.rollback()  # the redirect commits; nothing half-done may go with it
        flash(" ".join(sum(error.errors.values(), [])), "error")
        return redirect(url_for("surveys.show", survey_id=survey.id))
    flash(gettext("«%(title)s» er lagt i handlingsplanen og som psykososial fare i årets risikovurdering.", title=item.title),
          "success")
    return redirect(url_for("surveys.show", survey_id=survey.id))


@bp.post("/<int:survey_id>/mapping")
@staff_required
def link_mapping(survey_id: int):
    session = current_session()
    survey = survey_or_404(survey_id)
    raw = request.form.get("mapping_id", "")
    try:
        work.link_mapping(session, current_user, survey, int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None)
    except FieldErrors as error:
        session.rollback()  # the redirect commits; nothing half-done may go with it
        flash(" ".join(sum(error.errors.values(), [])), "error")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    flash(gettext("Undersøkelsen er registrert som grunnlag for den psykososiale kartleggingen."), "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id))
