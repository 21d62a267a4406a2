"""Revocation cases: open, hearing, decision, appeal, the committee's decision, condition met."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import staff_required
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons import presenters
from saas.persons.revocation import AppealResult, Outcome, Trigger
from saas.persons.schemas import (
    RevocationAppealDecisionSchema, RevocationAppealSchema, RevocationDecisionSchema, RevocationHearingSchema,
    RevocationOpenSchema,
)
from saas.persons.services import catalogue, revocation
from saas.persons.views.common import bp, flash_errors, form_action, or_404, page, person_or_404
from saas.schemas import FieldErrors, load_form


@bp.get("/cases")
@staff_required
def cases():
    session = current_session()
    today = today_in_oslo()
    open_cases = revocation.open_cases(session)
    rows = [dict(row, person_name=c.person.name)
            for c, row in zip(open_cases, presenters.case_rows(session, open_cases, today))]
    return page("cases.html", cases=rows)


@bp.post("/<int:person_id>/cases")
@staff_required
def case_open(person_id: int):
    person = person_or_404(person_id)
    try:
        data = load_form(RevocationOpenSchema(), request.form)
        case = revocation.open_case(current_session(), current_user, person, data, today_in_oslo())
    except FieldErrors as error:
        flash_errors(error)
        return redirect(url_for("persons.detail", person_id=person.id))
    flash(gettext("Saken er opprettet."), "success")
    return redirect(url_for("persons.case", revocation_id=case.id))


@bp.get("/cases/<int:revocation_id>")
@staff_required
def case(revocation_id: int):
    session = current_session()
    row = or_404(revocation.get_case, revocation_id)
    scheme = catalogue.get_person_scheme(session, row.scheme_id)
    return page("case.html", case=presenters.case_data(session, row, today_in_oslo()),
                person=dict(id=row.person.id, name=row.person.name), scheme_name=scheme.name,
                outcomes=[o.value for o in Outcome], results=[r.value for r in AppealResult],
                triggers=[t.value for t in Trigger], today=today_in_oslo())


def _case_action(revocation_id: int, schema, action, message: str):
    row = or_404(revocation.get_case, revocation_id)
    return form_action(row, schema, action, message, "persons.case", revocation_id=row.id)


@bp.post("/cases/<int:revocation_id>/hearing")
@staff_required
def case_hearing(revocation_id: int):
    return _case_action(revocation_id, RevocationHearingSchema(),
                        lambda s, c, d: revocation.record_hearing(s, current_user, c, d), gettext("Møtet er registrert."))


@bp.post("/cases/<int:revocation_id>/decision")
@staff_required
def case_decision(revocation_id: int):
    return _case_action(revocation_id, RevocationDecisionSchema(),
                        lambda s, c, d: revocation.decide(s, current_user, c, d, today_in_oslo()),
                        gettext("Vedtaket er fattet. Registeret er oppdatert."))


@bp.post("/cases/<int:revocation_id>/appeal")
@staff_required
def case_appeal(revocation_id: int):
    return _case_action(revocation_id, RevocationAppealSchema(),
                        lambda s, c, d: revocation.receive_appeal(s, current_user, c, d), gettext("Klagen er registrert."))


@bp.post("/cases/<int:revocation_id>/appeal-decision")
@staff_required
def case_appeal_decision(revocation_id: int):
    return _case_action(revocation_id, RevocationAppealDecisionSchema(),
                        lambda s, c, d: revocation.decide_appeal(s, current_user, c, d, today_in_oslo()),
                        gettext("Klagen er avgjort. Registeret er oppdatert."))


@bp.post("/cases/<int:revocation_id>/condition-met")
@staff_required
def case_condition_met(revocation_id: int):
    session = current_session()
    row = or_404(revocation.get_case, revocation_id)
    try:
        revocation.lift_condition(session, current_user, row, today_in_oslo())
        flash(gettext("Vilkåret er oppfylt. Tilbakekallet er opphevet."), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.case", revocation_id=row.id))
