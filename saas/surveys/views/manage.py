"""Survey pages for staff and client contacts: list, create, edit, publish, close, distribute."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from saas.clients.models import ClientCompany
from saas.clients.services import NotFound, visible_companies
from saas.auth import staff_required
from saas.db import current_session
from saas.schemas import FieldErrors, load_form
from saas.surveys.schemas import CodeSheetSchema, InvitationSchema, SurveyFormSchema, SurveyUpdateFormSchema
from saas.surveys.services import distribution, oslo_today, overview, surveys
from saas.surveys.views import bp, member_required


def survey_or_404(survey_id: int):
    try:
        return surveys.get_survey(current_session(), current_user, survey_id)
    except NotFound:
        abort(404)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@bp.get("/")
@member_required
def index():
    page = surveys.list_surveys(current_session(), current_user, company_id=_int_arg("company_id"), page=_int_arg("page") or 1)
    return render_template("surveys/index.html", page=page, args={k: v for k, v in request.args.items() if k != "page"})


def _companies() -> list[dict]:
    rows = current_session().execute(visible_companies(current_user).where(ClientCompany.archived_at.is_(None))
                                     .with_only_columns(ClientCompany.id, ClientCompany.name).order_by(ClientCompany.name)).all()
    return [dict(id=r.id, name=r.name) for r in rows]


def _form(values: dict, errors: dict, survey=None, status: int = 200):
    session = current_session()
    return render_template("surveys/form.html", values=values, errors=errors, survey=survey, companies=_companies(),
                           questionnaires=surveys.questionnaire_choices(session), tenant_k=surveys.tenant_k(g.tenant)), status


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    if request.method == "GET":
        today = oslo_today()
        return _form(dict(company_id=_int_arg("company_id"), year=today.year, opens_on=today.isoformat(),
                          closes_on=(today + timedelta(days=14)).isoformat(), shared_link=True,
                          title=f"Psykososial spørreundersøkelse {today.year}"), {})
    try:
        data = load_form(SurveyFormSchema(), request.form)
        survey = surveys.create_survey(current_session(), current_user, g.tenant, data)
    except FieldErrors as error:
        return _form(dict(request.form), error.errors, status=422)
    except NotFound:
        return _form(dict(request.form), {"company_id": [gettext("Velg en kunde.")]}, status=422)
    flash(gettext("Undersøkelsen er opprettet som utkast. Publiser den når alt er klart."), "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id))


@bp.get("/<int:survey_id>")
@member_required
def detail(survey_id: int):
    survey = survey_or_404(survey_id)
    return render_template("surveys/detail.html", errors={}, values={},
                           **overview.survey_page(current_session(), g.tenant, current_user, survey, oslo_today()))


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(survey_id: int):
    survey = survey_or_404(survey_id)
    if survey.status == "closed":
        abort(404)
    if request.method == "GET":
        return _form(overview.edit_values(survey), {}, survey=survey)
    try:
        data = load_form(SurveyUpdateFormSchema(), request.form)
        surveys.update_survey(current_session(), current_user, g.tenant, survey, data, oslo_today())
    except FieldErrors as error:
        return _form(dict(request.form), error.errors, survey=survey, status=422)
    flash(gettext("Endringene er lagret."), "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id))


def _action(survey_id: int, fn, message: str):
    survey = survey_or_404(survey_id)
    try:
        fn(survey)
    except FieldErrors as error:
        flash(" ".join(sum(error.errors.values(), [])), "error")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    flash(message, "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/open")
@staff_required
def publish(survey_id: int):
    return _action(survey_id, lambda s: surveys.open_survey(current_session(), current_user, g.tenant, s, oslo_today()),
                   gettext("Undersøkelsen er publisert. Lenkene virker fra startdatoen."))


@bp.post("/<int:survey_id>/close")
@staff_required
def close(survey_id: int):
    return _action(survey_id, lambda s: surveys.close_survey(current_session(), current_user, g.tenant, s, oslo_today()),
                   gettext("Undersøkelsen er avsluttet. Resultatene er klare."))


@bp.post("/<int:survey_id>/delete")
@staff_required
def delete(survey_id: int):
    survey = survey_or_404(survey_id)
    company_id = survey.year.company_id
    try:
        surveys.delete_survey(current_session(), current_user, survey)
    except FieldErrors as error:
        flash(" ".join(sum(error.errors.values(), [])), "error")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    flash(gettext("Utkastet er slettet."), "success")
    return redirect(url_for("surveys.index", company_id=company_id))


@bp.post("/<int:survey_id>/invitations")
@member_required
def invite(survey_id: int):
    session = current_session()
    survey = survey_or_404(survey_id)
    try:
        data = load_form(InvitationSchema(), request.form)
        result = distribution.invite(session, current_user, g.tenant, survey, distribution.parse_emails(data["emails"]), oslo_today(),
                                     group_id=data.get("group_id"))
    except FieldErrors as error:
        return render_template("surveys/detail.html", errors=error.errors, values=dict(request.form),
                               **overview.survey_page(session, g.tenant, current_user, survey, oslo_today())), 422
    message = ngettext("Personlig lenke er sendt til %(num)d adresse.", "Personlige lenker er sendt til %(num)d adresser.",
                       result["sent"])
    if result["skipped"]:
        message += " " + ngettext("%(num)d hadde fått lenke fra før.", "%(num)d hadde fått lenke fra før.", result["skipped"])
    flash(message, "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id) + "#distribusjon")


@bp.route("/<int:survey_id>/codes", methods=["GET", "POST"])
@member_required
def codes(survey_id: int):
    """POST makes a sheet of one-time codes for the shared link; GET ?batch=N prints sheet N again."""
    session = current_session()
    survey = survey_or_404(survey_id)
    if request.method == "POST":
        try:
            data = load_form(CodeSheetSchema(), request.form)
            batch = distribution.issue_codes(session, current_user, survey, data["count"], oslo_today(), group_id=data.get("group_id"))
        except FieldErrors as error:
            return render_template("surveys/detail.html", errors=error.errors, values=dict(request.form),
                                   **overview.survey_page(session, g.tenant, current_user, survey, oslo_today())), 422
        return redirect(url_for("surveys.codes", survey_id=survey.id, batch=batch))
    batch = _int_arg("batch")
    sheet = distribution.code_sheet(session, survey, batch) if batch and survey.status != "closed" else None
    if sheet is None:
        abort(404)
    return render_template("surveys/code_sheet.html", survey=surveys.summary(session, g.tenant, survey), sheet=sheet)


@bp.post("/<int:survey_id>/reminders")
@member_required
def remind(survey_id: int):
    # The number reminded is not shown: invited minus reminded would count the respondents below k.
    return _action(survey_id, lambda s: distribution.remind(current_session(), current_user, g.tenant, s, oslo_today()),
                   gettext("Påminnelse er sendt til alle som ikke har svart (høyst én gang per dag)."))


def _shared(survey_id: int):
    survey = survey_or_404(survey_id)
    if not survey.shared_link or survey.status == "closed":
        abort(404)
    return survey


@bp.get("/<int:survey_id>/qr.svg")
@member_required
def qr_svg(survey_id: int):
    response = Response(distribution.qr_svg(_shared(survey_id)), content_type="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="qr-undersokelse-{survey_id}.svg"'
    return response


@bp.get("/<int:survey_id>/qr.png")
@member_required
def qr_png(survey_id: int):
    response = Response(distribution.qr_png(_shared(survey_id)), content_type="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="qr-undersokelse-{survey_id}.png"'
    return response


@bp.get("/<int:survey_id>/poster")
@member_required
def poster(survey_id: int):
    survey = _shared(survey_id)
    return render_template("surveys/poster.html", survey=surveys.summary(current_session(), g.tenant, survey),
                           qr=distribution.qr_svg(survey))
