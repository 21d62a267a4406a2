"""The register: documented competences, periodic tests and use, cards, settings and exports, and the
employer's matrix."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas import storage
from saas.auth import admin_required, staff_required
from saas.clients.services import NotFound as CompanyNotFound, get_company
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons import presenters
from saas.persons.models import PersonCompetence, Holding
from saas.persons.schemas import (
    PersonCardIssueSchema, PersonCardWithdrawSchema, PersonDocumentedHoldingSchema, PersonPeriodicTestSchema, PersonRegisterSettingsSchema,
    PersonUseSchema, TrainingPlanCompleteSchema, TrainingPlanItemSchema,
)
from saas.persons.services import card_changes, catalogue, employer, register, training_plan
from saas.persons.views.common import bp, int_arg, or_404, page, person_or_404

MATRIX_PAGE = 100
from saas.persons.views.common import flash_errors, form_action
from saas.schemas import FieldErrors, load_form


@bp.post("/<int:person_id>/holdings")
@staff_required
def holding_documented(person_id: int):
    session = current_session()
    person = person_or_404(person_id)
    try:
        data = load_form(PersonDocumentedHoldingSchema(), request.form)
        competence = session.get(PersonCompetence, data["competence_id"])
        if competence is None:
            raise FieldErrors({"competence_id": gettext("Ukjent kompetanse.")})
        register.register_documented(session, current_user, person, competence, data["tested_on"], today_in_oslo(),
                                     data["note"], data["training_company"])
        flash(gettext("Kompetansen er registrert."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.detail", person_id=person.id))


def _holding(holding_id: int) -> Holding:
    row = current_session().get(Holding, holding_id)
    if row is None:
        abort(404)
    person_or_404(row.person_id)
    return row


@bp.post("/holdings/<int:holding_id>/periodic-test")
@staff_required
def holding_periodic_test(holding_id: int):
    row = _holding(holding_id)
    try:
        data = load_form(PersonPeriodicTestSchema(), request.form)
        register.record_periodic_test(current_session(), current_user, row, data["passed_on"])
        flash(gettext("Periodisk prøve er registrert."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.detail", person_id=row.person_id))


@bp.post("/holdings/<int:holding_id>/use")
@staff_required
def holding_use(holding_id: int):
    row = _holding(holding_id)
    try:
        data = load_form(PersonUseSchema(), request.form)
        register.record_use(current_session(), current_user, row, data["used_on"], data["absent_since"])
        flash(gettext("Bruk og fravær er registrert."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.detail", person_id=row.person_id))


@bp.post("/holdings/<int:holding_id>/plan")
@staff_required
def plan_add(holding_id: int):
    row = _holding(holding_id)
    return form_action(row, TrainingPlanItemSchema(),
                       lambda s, h, d: training_plan.add_item(s, current_user, h, d["title"], d["due_on"], today_in_oslo()),
                       gettext("Punktet er lagt til i opplæringsplanen."), "persons.detail", person_id=row.person_id,
                       _anchor=f"plan-{row.id}")


@bp.post("/holdings/<int:holding_id>/plan/send")
@staff_required
def plan_send(holding_id: int):
    row = _holding(holding_id)
    try:
        sent = training_plan.send_plan(current_session(), current_user, row, today_in_oslo())
        flash(gettext("Planen er sendt til %(n)s mottakere.", n=sent), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.detail", person_id=row.person_id, _anchor=f"plan-{row.id}"))


def _plan_item(item_id: int):
    item = or_404(training_plan.get_item, item_id)
    return item, _holding(item.holding_id)


@bp.post("/plan-items/<int:plan_item_id>/complete")
@staff_required
def plan_complete(plan_item_id: int):
    item, holding = _plan_item(plan_item_id)
    return form_action(item, TrainingPlanCompleteSchema(),
                       lambda s, i, d: training_plan.complete_item(s, current_user, i, d["completed_on"], today_in_oslo(),
                                                                   d["note"]),
                       gettext("Punktet er fullført."), "persons.detail", person_id=holding.person_id,
                       _anchor=f"plan-{holding.id}")


@bp.post("/plan-items/<int:plan_item_id>/delete")
@staff_required
def plan_remove(plan_item_id: int):
    item, holding = _plan_item(plan_item_id)
    try:
        training_plan.remove_item(current_session(), current_user, item)
        flash(gettext("Punktet er fjernet."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.detail", person_id=holding.person_id, _anchor=f"plan-{holding.id}"))


@bp.post("/<int:person_id>/cards")
@staff_required
def card_issue(person_id: int):
    person = person_or_404(person_id)
    try:
        data = load_form(PersonCardIssueSchema(), request.form)
        card = register.issue_card(current_session(), current_user, person, data["scheme_id"], today_in_oslo())
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.detail", person_id=person.id))
    flash(gettext("Kompetansebevis %(number)s er utstedt.", number=card.number), "success")
    return redirect(url_for("persons.card", card_id=card.id))


def _card(card_id: int):
    card = or_404(register.get_card, card_id)
    person_or_404(card.person_id)  # client contacts: their own employees' cards only
    return card


@bp.get("/cards/<int:card_id>")
def card(card_id: int):
    row = _card(card_id)
    return page("card.html", card=presenters.card_data(row), person_name=row.person.name)


@bp.get("/cards/<int:card_id>/card.pdf")
def card_pdf(card_id: int):
    row = _card(card_id)
    if not row.card_pdf_key or not storage.exists(row.card_pdf_key):
        abort(404)
    return storage.download_response(row.card_pdf_key, f"kompetansebevis-{row.number}.pdf", "application/pdf")


@bp.get("/cards/<int:card_id>/certificate.pdf")
def certificate_pdf(card_id: int):
    row = _card(card_id)
    if not row.certificate_pdf_key or not storage.exists(row.certificate_pdf_key):
        abort(404)
    return storage.download_response(row.certificate_pdf_key, f"sertifikat-{row.number}.pdf", "application/pdf")


@bp.post("/cards/<int:card_id>/received")
def card_received(card_id: int):
    row = _card(card_id)
    register.confirm_receipt(current_session(), current_user, row)
    flash(gettext("Mottak er bekreftet."), "success")
    return redirect(url_for("persons.card", card_id=row.id))


@bp.post("/cards/<int:card_id>/withdraw")
@staff_required
def card_withdraw(card_id: int):
    """Withdraw the card with a reason; with ``replace`` a new card supersedes it."""
    row = _card(card_id)
    try:
        data = load_form(PersonCardWithdrawSchema(), request.form)
        if data["replace"]:
            new = card_changes.replace_card(current_session(), current_user, row, data["reason"], data["note"],
                                            today_in_oslo())
            flash(gettext("Kortet er trukket tilbake, og nytt kort %(number)s er utstedt.", number=new.number),
                  "success")
            return redirect(url_for("persons.card", card_id=new.id))
        card_changes.withdraw_card(current_session(), current_user, row, data["reason"], data["note"])
        flash(gettext("Kortet er trukket tilbake."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.card", card_id=row.id))


# -- register settings and exports -----------------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@staff_required
def register_page():
    session = current_session()
    settings = catalogue.register_settings(session)
    errors = {}
    if request.method == "POST":
        if not current_user.has_role(*register.APPROVER_ROLES[:1]):
            abort(403)
        try:
            data = load_form(PersonRegisterSettingsSchema(), request.form)
            catalogue.update_register_settings(session, current_user, data)
            flash(gettext("Registerinnstillingene er lagret."), "success")
            return redirect(url_for("persons.register_page"))
        except FieldErrors as error:
            errors = error.errors
    values = dict(mode=settings.mode, outside_register=settings.outside_register, card_prefix=settings.card_prefix,
                  issuer_name=settings.issuer_name)
    if request.method == "POST":
        values.update(request.form.to_dict())
    rows = register.register_rows(session, today_in_oslo())
    return page("register.html", 422 if errors else 200, values=values, errors=errors, rows=rows[:500],
                total=len(rows), closed_at=settings.closed_at)


@bp.post("/register/close")
@admin_required
def register_close():
    catalogue.close_register(current_session(), current_user)
    flash(gettext("Registeret er avsluttet. Last ned hele registeret for overføring."), "success")
    return redirect(url_for("persons.register_page"))


@bp.get("/register/export.<fmt>")
@staff_required
def register_export(fmt: str):
    rows = register.register_rows(current_session(), today_in_oslo())
    if fmt == "csv":
        return Response(register.export_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=kompetanseregister.csv"})
    if fmt == "json":
        return Response(json.dumps({"entries": rows}, ensure_ascii=False, indent=1), mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=kompetanseregister.json"})
    abort(404)


@bp.get("/register/transfer.json")
@admin_required
def register_transfer():
    data = register.transfer_export(current_session(), today_in_oslo())
    return Response(json.dumps(data, ensure_ascii=False, indent=1, default=str), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=register-overforing.json"})


# -- the employer's view -----------------------------------------------------------------------------

@bp.get("/employer/<int:company_id>")
def employer_matrix(company_id: int):
    session = current_session()
    try:
        company = get_company(session, current_user, company_id)
    except CompanyNotFound:
        abort(404)
    data = employer.matrix(session, company.id, today_in_oslo())
    total = len(data["people"])
    pages = max(1, -(-total // MATRIX_PAGE))
    number = min(max(int_arg("page") or 1, 1), pages)
    data["people"] = data["people"][(number - 1) * MATRIX_PAGE: number * MATRIX_PAGE]
    return page("employer.html", company=dict(id=company.id, name=company.name), matrix=data, page_number=number,
                pages=pages, total=total)
