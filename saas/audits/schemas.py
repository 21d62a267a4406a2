"""One schema per step's form and API body (validated the same way from both)."""
from __future__ import annotations

from marshmallow import fields

from saas.schemas import BaseSchema, length, one_of


class SubUnitScopesSchema(BaseSchema):
    sub_unit_id = fields.Integer(required=True)
    scope_ids = fields.List(fields.Integer(), load_default=list)


class ApplicationSchema(BaseSchema):
    company_id = fields.Integer(required=True)
    scheme_id = fields.Integer(required=True)
    scope_ids = fields.List(fields.Integer(), load_default=list)
    sub_units = fields.List(fields.Nested(SubUnitScopesSchema), load_default=list)
    contact_name = fields.String(load_default="", validate=length(200))
    contact_email = fields.String(load_default="", validate=length(254))
    note = fields.String(load_default="", validate=length(5000))
    contract_accepted = fields.Boolean(load_default=False)
    contract_signed_by = fields.String(load_default="", validate=length(200))


class ReasonSchema(BaseSchema):
    reason = fields.String(load_default="", validate=length(5000))


class PreEvaluationSchema(BaseSchema):
    answers = fields.String(required=True, validate=length(20000))


class DocumentsSchema(BaseSchema):
    note = fields.String(load_default="", validate=length(20000))


class EmptySchema(BaseSchema):
    pass


class ExtraordinarySchema(BaseSchema):
    """A follow-up or extraordinary audit opened from this case (optionally for one of its nonconformities)."""
    finding_id = fields.Integer(load_default=None, allow_none=True)
    reason = fields.String(required=True, validate=length(5000))
    planned_on = fields.Date(load_default=None, allow_none=True)


class MemberSchema(BaseSchema):
    user_id = fields.Integer(required=True)
    role = fields.String(required=True, validate=one_of(("lead_auditor", "auditor", "expert")))


class TeamSchema(BaseSchema):
    members = fields.List(fields.Nested(MemberSchema), required=True)
    programme = fields.String(required=True, validate=length(20000))
    audit_planned_on = fields.Date(load_default=None, allow_none=True)
    document_only = fields.Boolean(load_default=False)


class OpeningSchema(BaseSchema):
    attendance = fields.String(required=True, validate=length(5000))
    confidentiality = fields.Boolean(load_default=False)


class SampleSchema(BaseSchema):
    kind = fields.String(required=True, validate=one_of(("course", "inspection", "instructor", "inspector", "project")))
    description = fields.String(required=True, validate=length(5000, 3))
    result = fields.String(load_default="", validate=length(5000))


class FindingSchema(BaseSchema):
    grade = fields.String(required=True, validate=length(20))
    requirement_id = fields.Integer(load_default=None, allow_none=True)
    description = fields.String(required=True, validate=length(5000, 3))
    evidence = fields.String(load_default="", validate=length(5000))
    due_on = fields.Date(load_default=None, allow_none=True)


class ClosingSchema(BaseSchema):
    accepted_by = fields.String(required=True, validate=length(200))
    note = fields.String(load_default="", validate=length(5000))


class ReportSchema(BaseSchema):
    recommendation = fields.String(required=True, validate=one_of(("issue", "maintain", "follow_up", "refuse")))
    follow_up_on = fields.Date(load_default=None, allow_none=True)
    summary = fields.String(required=True, validate=length(20000))


class ReviewSchema(BaseSchema):
    note = fields.String(required=True, validate=length(5000))


class DecisionSchema(BaseSchema):
    outcome = fields.String(required=True, validate=one_of(("approve", "refuse")))
    reason = fields.String(load_default="", validate=length(5000))


class ObjectionDecisionSchema(BaseSchema):
    upheld = fields.Boolean(load_default=False)


class CorrectiveActionSchema(BaseSchema):
    root_cause = fields.String(required=True, validate=length(5000))
    correction = fields.String(required=True, validate=length(5000))
    corrective_action = fields.String(required=True, validate=length(5000))
    evidence = fields.String(load_default="", validate=length(5000))


class AnswerSchema(BaseSchema):
    accepted = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=length(5000))
    method = fields.String(load_default="", validate=length(20))


class MatrixRowSchema(BaseSchema):
    requirement_id = fields.Integer(required=True)
    assessment = fields.String(load_default="", validate=length(20))
    where_documented = fields.String(load_default="", validate=length(2000))
    note = fields.String(load_default="", validate=length(2000))


class MatrixSchema(BaseSchema):
    rows = fields.List(fields.Nested(MatrixRowSchema), required=True)


class CaseSummarySchema(BaseSchema):
    id = fields.Integer()
    company_name = fields.String()
    scheme_name = fields.String()
    kind_label = fields.String()
    step = fields.String()
    step_label = fields.String()
    party = fields.String()
    next_text = fields.String()
    audit_planned_on = fields.Date(allow_none=True)


class CaseSchema(BaseSchema):
    """A case as its page shows it (dates, team, findings with corrective actions, matrix, clocks)."""
    id = fields.Integer()
    kind = fields.String()
    company_id = fields.Integer()
    company_name = fields.String()
    scheme_id = fields.Integer()
    scheme_name = fields.String()
    scheme_version = fields.Integer()
    step = fields.String()
    party = fields.String()
    next_text = fields.String()
    steps = fields.List(fields.Dict())
    clocks = fields.List(fields.Dict())
    scopes = fields.List(fields.Dict())
    sub_units = fields.List(fields.Dict())
    team = fields.List(fields.Dict())
    findings = fields.List(fields.Dict())
    matrix = fields.List(fields.Dict())
    samples = fields.List(fields.Dict())
    accepted_on = fields.Date(allow_none=True)
    refused_on = fields.Date(allow_none=True)
    refusal_reason = fields.String()
    pre_evaluation_returned_on = fields.Date(allow_none=True)
    documents_received_on = fields.Date(allow_none=True)
    document_review_done_on = fields.Date(allow_none=True)
    team_named_on = fields.Date(allow_none=True)
    team_settled_on = fields.Date(allow_none=True)
    audit_planned_on = fields.Date(allow_none=True)
    opening_held_on = fields.Date(allow_none=True)
    closing_held_on = fields.Date(allow_none=True)
    report_sent_on = fields.Date(allow_none=True)
    recommendation = fields.String()
    follow_up_on = fields.Date(allow_none=True)
    reviewed_on = fields.Date(allow_none=True)
    decision = fields.String(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    decision_reason = fields.String()
    reason = fields.String()  # an extraordinary audit: why it is held
    origin_case_id = fields.Integer(allow_none=True)
    origin_finding_id = fields.Integer(allow_none=True)
    complaint_id = fields.Integer(allow_none=True)
    follow_ups = fields.List(fields.Dict())  # the follow-up or extraordinary audits opened from this case
