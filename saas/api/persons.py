"""/api/v1/t/<slug>/persons …: person certification over JSON (people, enrolments, practice, tests,
approval, the register, cards, revocation cases, the employer's matrix, exports)."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented
from saas.auth import admin_required, staff_required
from saas.clients.services import NotFound as CompanyNotFound, get_company
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons import presenters
from saas.persons.models import Holding, PersonCompetence
from saas.persons.schemas import (
    CompetenceMatrixSchema, EnrolmentProgressSchema, MatrixDraftSchema, TrainingPlanCompleteSchema,
    TrainingPlanItemSchema, TrainingPlanSchema, PersonCardIssueSchema, PersonCardSchema, PersonCardWithdrawSchema,
    PersonCompetenceSchema, PersonDocumentedHoldingSchema, PersonEnrolSchema, PersonHoldingSchema,
    PersonPracticeSchema, PersonSchema, PersonTestSchema, RevocationAppealDecisionSchema, RevocationAppealSchema,
    RevocationCaseSchema, RevocationDecisionSchema, RevocationHearingSchema, RevocationOpenSchema,
)
from saas.persons.services import NotFound, card_changes, catalogue, matrix_editor, training_plan, employer, people, register, revocation, training
from saas.schemas import FieldErrors

TAG = "persons"


def _load(loader, *args):
    try:
        return loader(current_session(), *args)
    except NotFound:
        abort(404)


def _person(person_id: int):
    try:
        return people.get_person(current_session(), current_user, person_id)
    except NotFound:
        abort(404)


def _competence(competence_id: int) -> PersonCompetence:
    competence = current_session().get(PersonCompetence, competence_id)
    if competence is None:
        raise FieldErrors({"competence_id": ["Ukjent kompetanse."]})
    return competence


@tenant_api.get("/persons")
@documented("/persons", "get", "List people (staff: all; a client contact: own employees); q searches names",
            response=PersonSchema, many=True, tag=TAG)
def api_list_persons():
    page, per_page = pagination()
    rows = people.list_persons(current_session(), current_user, q=request.args.get("q", "")[:100], limit=10_000)
    return page_body(PersonSchema(many=True).dump(rows[(page - 1) * per_page: page * per_page]), len(rows), page, per_page)


@tenant_api.post("/persons")
@documented("/persons", "post", "Register a candidate or holder", request=PersonSchema, response=PersonSchema,
            status=201, tag=TAG)
def api_create_person():
    person = people.create_person(current_session(), current_user, json_body(PersonSchema()))
    return PersonSchema().dump(person), 201


@tenant_api.get("/persons/<int:person_id>")
@documented("/persons/{person_id}", "get", "One person", response=PersonSchema, params=("person_id",), tag=TAG)
def api_get_person(person_id: int):
    return PersonSchema().dump(_person(person_id))


@tenant_api.patch("/persons/<int:person_id>")
@documented("/persons/{person_id}", "patch", "Update a person", request=PersonSchema, response=PersonSchema,
            params=("person_id",), tag=TAG)
def api_update_person(person_id: int):
    person = _person(person_id)
    changes = json_body(PersonSchema(), partial=True)
    people.update_person(current_session(), current_user, person,
                         {**{"employer_id": person.employer_id}, **changes})
    return PersonSchema().dump(person)


@tenant_api.get("/persons/<int:person_id>/competences")
@documented("/persons/{person_id}/competences", "get", "The person's register entries with their live state",
            response=PersonHoldingSchema, many=True, params=("person_id",), tag=TAG)
def api_person_competences(person_id: int):
    person = _person(person_id)
    rows = presenters.holding_rows(current_session(), person.id, today_in_oslo())
    return page_body(PersonHoldingSchema(many=True).dump(rows), len(rows), 1, max(len(rows), 1))


@tenant_api.post("/persons/<int:person_id>/competences")
@staff_required
@documented("/persons/{person_id}/competences", "post", "Register a competence documented from elsewhere",
            request=PersonDocumentedHoldingSchema, response=PersonHoldingSchema, status=201, params=("person_id",), tag=TAG)
def api_register_documented(person_id: int):
    person = _person(person_id)
    data = json_body(PersonDocumentedHoldingSchema())
    holding = register.register_documented(current_session(), current_user, person, _competence(data["competence_id"]),
                                           data["tested_on"], today_in_oslo(), data["note"], data["training_company"])
    row = next(r for r in presenters.holding_rows(current_session(), person.id, today_in_oslo()) if r["id"] == holding.id)
    return PersonHoldingSchema().dump(row), 201


@tenant_api.get("/person-competences")
@staff_required
@documented("/person-competences", "get", "The competence catalogue of every person scheme",
            response=PersonCompetenceSchema, many=True, tag=TAG)
def api_competences():
    rows = catalogue.competences(current_session())
    return page_body(PersonCompetenceSchema(many=True).dump(rows), len(rows), 1, max(len(rows), 1))


@tenant_api.post("/persons/<int:person_id>/enrolments")
@staff_required
@documented("/persons/{person_id}/enrolments", "post", "Enrol a person for a competence in a candidate category",
            request=PersonEnrolSchema, response=EnrolmentProgressSchema, status=201, params=("person_id",), tag=TAG)
def api_enrol(person_id: int):
    person = _person(person_id)
    data = json_body(PersonEnrolSchema())
    enrolment = training.enrol(current_session(), current_user, person, _competence(data["competence_id"]),
                               data["category"], data["documented"])
    return EnrolmentProgressSchema().dump(presenters.progress_data(current_session(), enrolment)), 201


@tenant_api.get("/enrolments/<int:enrolment_id>")
@staff_required
@documented("/enrolments/{enrolment_id}", "get", "A candidate's progress against the matrix and minimums",
            response=EnrolmentProgressSchema, params=("enrolment_id",), tag=TAG)
def api_enrolment(enrolment_id: int):
    return EnrolmentProgressSchema().dump(presenters.progress_data(current_session(), _load(training.get_enrolment, enrolment_id)))


@tenant_api.post("/enrolments/<int:enrolment_id>/practice")
@staff_required
@documented("/enrolments/{enrolment_id}/practice", "post", "Log a day of driving practice (the daily cap is applied "
            "when counting)", request=PersonPracticeSchema, response=EnrolmentProgressSchema, status=201, params=("enrolment_id",), tag=TAG)
def api_practice(enrolment_id: int):
    enrolment = _load(training.get_enrolment, enrolment_id)
    training.log_practice(current_session(), current_user, enrolment, json_body(PersonPracticeSchema()))
    return EnrolmentProgressSchema().dump(presenters.progress_data(current_session(), enrolment)), 201


@tenant_api.post("/enrolments/<int:enrolment_id>/tests")
@staff_required
@documented("/enrolments/{enrolment_id}/tests", "post", "Record a theory or practical test with its examiner and "
            "checklist", request=PersonTestSchema, response=EnrolmentProgressSchema, status=201, params=("enrolment_id",), tag=TAG)
def api_test(enrolment_id: int):
    enrolment = _load(training.get_enrolment, enrolment_id)
    training.record_test(current_session(), current_user, enrolment, json_body(PersonTestSchema()))
    return EnrolmentProgressSchema().dump(presenters.progress_data(current_session(), enrolment)), 201


@tenant_api.post("/enrolments/<int:enrolment_id>/approve")
@staff_required
@documented("/enrolments/{enrolment_id}/approve", "post", "Approve (not by an examiner of the candidate) and "
            "register the competence", response=PersonHoldingSchema, status=201, params=("enrolment_id",), tag=TAG)
def api_approve(enrolment_id: int):
    enrolment = _load(training.get_enrolment, enrolment_id)
    holding = register.approve(current_session(), current_user, enrolment, today_in_oslo())
    row = next(r for r in presenters.holding_rows(current_session(), holding.person_id, today_in_oslo())
               if r["id"] == holding.id)
    return PersonHoldingSchema().dump(row), 201


@tenant_api.post("/persons/<int:person_id>/cards")
@staff_required
@documented("/persons/{person_id}/cards", "post", "Issue a kompetansebevis (signed QR payload; PDFs rendered in "
            "the background)", request=PersonCardIssueSchema, response=PersonCardSchema, status=201, params=("person_id",), tag=TAG)
def api_issue_card(person_id: int):
    person = _person(person_id)
    data = json_body(PersonCardIssueSchema())
    card = register.issue_card(current_session(), current_user, person, data["scheme_id"], today_in_oslo())
    return PersonCardSchema().dump(presenters.card_data(card)), 201


@tenant_api.get("/cards/<int:card_id>")
@documented("/cards/{card_id}", "get", "One card", response=PersonCardSchema, params=("card_id",), tag=TAG)
def api_card(card_id: int):
    card = _load(register.get_card, card_id)
    _person(card.person_id)
    return PersonCardSchema().dump(presenters.card_data(card))


@tenant_api.post("/cards/<int:card_id>/withdraw")
@staff_required
@documented("/cards/{card_id}/withdraw", "post", "Withdraw a card with a reason (reviewer or admin); with "
            "replace=true a new card supersedes it and is returned (201), else the withdrawn card (200)",
            request=PersonCardWithdrawSchema, response=PersonCardSchema, params=("card_id",), tag=TAG,
            responses={201: ("The replacement card", PersonCardSchema)})
def api_withdraw_card(card_id: int):
    card = _load(register.get_card, card_id)
    _person(card.person_id)
    data = json_body(PersonCardWithdrawSchema())
    if data["replace"]:
        new = card_changes.replace_card(current_session(), current_user, card, data["reason"], data["note"],
                                        today_in_oslo())
        return PersonCardSchema().dump(presenters.card_data(new)), 201
    card_changes.withdraw_card(current_session(), current_user, card, data["reason"], data["note"])
    return PersonCardSchema().dump(presenters.card_data(card))


@tenant_api.post("/persons/<int:person_id>/revocations")
@staff_required
@documented("/persons/{person_id}/revocations", "post", "Open a revocation case", request=RevocationOpenSchema,
            response=RevocationCaseSchema, status=201, params=("person_id",), tag=TAG)
def api_open_case(person_id: int):
    person = _person(person_id)
    case = revocation.open_case(current_session(), current_user, person, json_body(RevocationOpenSchema()), today_in_oslo())
    return RevocationCaseSchema().dump(presenters.case_data(current_session(), case, today_in_oslo())), 201


@tenant_api.get("/revocations/<int:revocation_id>")
@staff_required
@documented("/revocations/{revocation_id}", "get", "A revocation case with its factors and clocks",
            response=RevocationCaseSchema, params=("revocation_id",), tag=TAG)
def api_case(revocation_id: int):
    case = _load(revocation.get_case, revocation_id)
    return RevocationCaseSchema().dump(presenters.case_data(current_session(), case, today_in_oslo()))


def _case_step(revocation_id: int, schema, action):
    case = _load(revocation.get_case, revocation_id)
    action(current_session(), case, json_body(schema))
    return RevocationCaseSchema().dump(presenters.case_data(current_session(), case, today_in_oslo()))


@tenant_api.post("/revocations/<int:revocation_id>/hearing")
@staff_required
@documented("/revocations/{revocation_id}/hearing", "post", "Record the hearing (manager present)",
            request=RevocationHearingSchema, response=RevocationCaseSchema, params=("revocation_id",), tag=TAG)
def api_case_hearing(revocation_id: int):
    return _case_step(revocation_id, RevocationHearingSchema(), lambda s, c, d: revocation.record_hearing(s, current_user, c, d))


@tenant_api.post("/revocations/<int:revocation_id>/decision")
@staff_required
@documented("/revocations/{revocation_id}/decision", "post", "Decide: warning, temporary or permanent revocation",
            request=RevocationDecisionSchema, response=RevocationCaseSchema, params=("revocation_id",), tag=TAG)
def api_case_decision(revocation_id: int):
    return _case_step(revocation_id, RevocationDecisionSchema(),
                      lambda s, c, d: revocation.decide(s, current_user, c, d, today_in_oslo()))


@tenant_api.post("/revocations/<int:revocation_id>/appeal")
@staff_required
@documented("/revocations/{revocation_id}/appeal", "post", "Register an appeal (within the appeal window)",
            request=RevocationAppealSchema, response=RevocationCaseSchema, params=("revocation_id",), tag=TAG)
def api_case_appeal(revocation_id: int):
    return _case_step(revocation_id, RevocationAppealSchema(), lambda s, c, d: revocation.receive_appeal(s, current_user, c, d))


@tenant_api.post("/revocations/<int:revocation_id>/appeal-decision")
@staff_required
@documented("/revocations/{revocation_id}/appeal-decision", "post", "The committee's decision on the appeal",
            request=RevocationAppealDecisionSchema, response=RevocationCaseSchema, params=("revocation_id",), tag=TAG)
def api_case_appeal_decision(revocation_id: int):
    return _case_step(revocation_id, RevocationAppealDecisionSchema(),
                      lambda s, c, d: revocation.decide_appeal(s, current_user, c, d, today_in_oslo()))


@tenant_api.get("/companies/<int:company_id>/competence-matrix")
@documented("/companies/{company_id}/competence-matrix", "get", "The employer's people × competences matrix",
            response=CompetenceMatrixSchema, params=("company_id",), tag=TAG)
def api_matrix(company_id: int):
    try:
        company = get_company(current_session(), current_user, company_id)
    except CompanyNotFound:
        abort(404)
    return CompetenceMatrixSchema().dump(employer.matrix(current_session(), company.id, today_in_oslo()))


@tenant_api.get("/person-register")
@staff_required
@documented("/person-register", "get", "Every register entry with its live state (for the outside register)",
            tag=TAG)
def api_register():
    rows = register.register_rows(current_session(), today_in_oslo())
    return {"entries": rows, "total": len(rows)}


# -- the requirement matrix on a draft version ---------------------------------------------------------

def _scheme(scheme_id: int):
    return _load(catalogue.get_person_scheme, scheme_id)


@tenant_api.get("/person-schemes/<int:scheme_id>/matrix-draft")
@staff_required
@documented("/person-schemes/{scheme_id}/matrix-draft", "get", "The draft requirement matrix and practice "
            "minimums, or the published ones when no draft is open (published=true)", response=MatrixDraftSchema,
            params=("scheme_id",), tag=TAG)
def api_matrix_draft(scheme_id: int):
    scheme = _scheme(scheme_id)
    version = matrix_editor.draft_of(current_session(), scheme) or catalogue.current(current_session(), scheme)[0]
    return MatrixDraftSchema().dump(matrix_editor.draft_data(version))


@tenant_api.put("/person-schemes/<int:scheme_id>/matrix-draft")
@admin_required
@documented("/person-schemes/{scheme_id}/matrix-draft", "put", "Save the requirement matrix and practice minimums "
            "in the scheme's draft version (started when none is open); errors name matrix.<row>.<field>",
            request=MatrixDraftSchema, response=MatrixDraftSchema, params=("scheme_id",), tag=TAG)
def api_matrix_draft_save(scheme_id: int):
    scheme = _scheme(scheme_id)
    data = json_body(MatrixDraftSchema())
    draft = matrix_editor.update_draft(current_session(), current_user, scheme, data["matrix"], data["practice"])
    return MatrixDraftSchema().dump(matrix_editor.draft_data(draft))


@tenant_api.post("/person-schemes/<int:scheme_id>/matrix-draft/publish")
@admin_required
@documented("/person-schemes/{scheme_id}/matrix-draft/publish", "post", "Publish the draft as the scheme's new "
            "version (what was issued keeps its version)", response=MatrixDraftSchema, params=("scheme_id",), tag=TAG)
def api_matrix_draft_publish(scheme_id: int):
    version = matrix_editor.publish_draft(current_session(), current_user, _scheme(scheme_id))
    return MatrixDraftSchema().dump(matrix_editor.draft_data(version))


@tenant_api.delete("/person-schemes/<int:scheme_id>/matrix-draft")
@admin_required
@documented("/person-schemes/{scheme_id}/matrix-draft", "delete", "Discard the draft", params=("scheme_id",),
            status=204, tag=TAG)
def api_matrix_draft_discard(scheme_id: int):
    matrix_editor.discard_draft(current_session(), current_user, _scheme(scheme_id))
    return "", 204


# -- individual training plans (absent over 4 months) ----------------------------------------------------

def _holding(holding_id: int) -> Holding:
    holding = current_session().get(Holding, holding_id)
    if holding is None:
        abort(404)
    _person(holding.person_id)  # client contacts: their own employees only
    return holding


def _plan(holding: Holding) -> dict:
    items = training_plan.items_of(current_session(), [holding.id])[holding.id]
    return TrainingPlanSchema().dump(training_plan.plan_data(items, today_in_oslo()))


@tenant_api.get("/holdings/<int:holding_id>/plan")
@documented("/holdings/{holding_id}/plan", "get", "The individual training plan of a register entry",
            response=TrainingPlanSchema, params=("holding_id",), tag=TAG)
def api_plan(holding_id: int):
    return _plan(_holding(holding_id))


@tenant_api.post("/holdings/<int:holding_id>/plan")
@staff_required
@documented("/holdings/{holding_id}/plan", "post", "Add an item (what, by when) to the individual training plan "
            "of a holder whose absence is recorded", request=TrainingPlanItemSchema, response=TrainingPlanSchema,
            status=201, params=("holding_id",), tag=TAG)
def api_plan_add(holding_id: int):
    holding = _holding(holding_id)
    data = json_body(TrainingPlanItemSchema())
    training_plan.add_item(current_session(), current_user, holding, data["title"], data["due_on"], today_in_oslo())
    return _plan(holding), 201


@tenant_api.post("/plan-items/<int:plan_item_id>/complete")
@staff_required
@documented("/plan-items/{plan_item_id}/complete", "post", "Complete a plan item; the last one clears the absence",
            request=TrainingPlanCompleteSchema, response=TrainingPlanSchema, params=("plan_item_id",), tag=TAG)
def api_plan_complete(plan_item_id: int):
    item = _load(training_plan.get_item, plan_item_id)
    holding = _holding(item.holding_id)
    data = json_body(TrainingPlanCompleteSchema())
    training_plan.complete_item(current_session(), current_user, item, data["completed_on"], today_in_oslo(), data["note"])
    return _plan(holding)



@tenant_api.post("/holdings/<int:holding_id>/plan/send")
@staff_required
@documented("/holdings/{holding_id}/plan/send", "post", "E-mail the individual training plan to the holder and the "
            "employer's contacts; answers how many messages were queued", params=("holding_id",), tag=TAG)
def api_plan_send(holding_id: int):
    sent = training_plan.send_plan(current_session(), current_user, _holding(holding_id), today_in_oslo())
    return {"sent": sent}
