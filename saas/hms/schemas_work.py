"""Schemas of the year's work: certification years, mappings, checklists, safety rounds, compliance checks.

One schema validates both a web form and the JSON API.  Dump-only fields describe what the API returns.
"""
from __future__ import annotations

from marshmallow import fields, validate, validates_schema, ValidationError

from saas.hms.services.checklists import ANSWERS, EDITS, GRADES
from saas.schemas import BaseSchema, PastDate, length, one_of
from saas.hms.schemas_risks import RiskYearSummarySchema

METHODS = ("provider", "self", "third_party")
COMPLIANCE_STATES = ("pending", "verified", "not_ok")
YEAR_RANGE = validate.Range(min=2000, max=2100, error="Velg et år mellom 2000 og 2100.")


class YearOpenSchema(BaseSchema):
    year = fields.Integer(required=True, validate=YEAR_RANGE)
    start_from_previous = fields.Boolean(load_default=False)
    self_mapping = fields.Boolean(load_default=False)


class YearSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    company_id = fields.Integer(dump_only=True)
    year = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    consultant_id = fields.Integer(dump_only=True, allow_none=True)
    previous_year_id = fields.Integer(dump_only=True, allow_none=True)
    self_mapping = fields.Boolean(dump_only=True)
    opened_at = fields.DateTime(dump_only=True)
    consultant_name = fields.String(dump_only=True)


class PhysicalMappingSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    year_id = fields.Integer(dump_only=True)
    template_id = fields.Integer(load_only=True, load_default=None, allow_none=True)
    performed_on = PastDate(load_default=None, allow_none=True)
    planned_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "When it is planned (calendar)"})
    method = fields.String(load_default="provider", validate=one_of(METHODS))
    performed_by = fields.String(load_default="", validate=length(200))
    participants = fields.String(load_default="", validate=length(2000))
    summary = fields.String(load_default="", validate=length(10000))
    reviewed_with_management_on = PastDate(load_default=None, allow_none=True)
    status = fields.String(dump_only=True)
    completed_on = fields.Date(dump_only=True, allow_none=True)
    report_evidence_id = fields.Integer(dump_only=True, allow_none=True)
    verified_by = fields.Integer(dump_only=True, allow_none=True)
    verified_at = fields.DateTime(dump_only=True, allow_none=True)
    run_id = fields.Integer(dump_only=True)

    @validates_schema
    def _third_party_named(self, data, **kwargs):
        if data.get("method") == "third_party" and not (data.get("performed_by") or "").strip():
            raise ValidationError("Skriv hvem som utførte kartleggingen.", "performed_by")


class AnswerInputSchema(BaseSchema):
    id = fields.Integer(required=True)
    answer = fields.String(allow_none=True, validate=one_of(ANSWERS))
    comment = fields.String(allow_none=True, validate=length(2000))
    measured_value = fields.Decimal(allow_none=True, places=3,
                                    validate=validate.Range(min=-999_999_999, max=999_999_999, error="Verdien er utenfor gyldig område."))
    unit = fields.String(allow_none=True, validate=length(20))
    finding_grade = fields.String(allow_none=True, validate=one_of(GRADES))


class AnswersSchema(BaseSchema):
    answers = fields.List(fields.Nested(AnswerInputSchema), required=True)
    fill_unanswered_ok = fields.Boolean(load_default=False)


class AnswerSchema(BaseSchema):
    id = fields.Integer()
    section_key = fields.String()
    item_key = fields.String()
    item_text = fields.String()
    answer = fields.String(allow_none=True)
    comment = fields.String()
    measured_value = fields.Float(allow_none=True)
    unit = fields.String()
    finding_grade = fields.String(allow_none=True)
    action_item_id = fields.Integer(allow_none=True)
    change_flag = fields.String(allow_none=True)
    previous_answer = fields.String(allow_none=True)
    previous_comment = fields.String()


class RunSectionSchema(BaseSchema):
    key = fields.String()
    title = fields.String()
    phase = fields.String(allow_none=True)
    answers = fields.List(fields.Nested(AnswerSchema))


class ChecklistRunSchema(BaseSchema):
    template_name = fields.String()
    template_version = fields.Integer()
    total = fields.Integer()
    answered = fields.Integer()
    findings = fields.Integer()
    sections = fields.List(fields.Nested(RunSectionSchema))
    removed = fields.List(fields.Nested(AnswerSchema))


class PhysicalMappingDetailSchema(PhysicalMappingSchema):
    checklist = fields.Nested(ChecklistRunSchema, dump_only=True)


class PsychosocialMappingSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    year_id = fields.Integer(dump_only=True)
    method_interviews = fields.Boolean(load_default=True)
    method_survey = fields.Boolean(load_default=False)
    done_by_provider = fields.Boolean(load_default=True)
    interviews_from = PastDate(load_default=None, allow_none=True)
    completed_on = PastDate(load_default=None, allow_none=True)
    conversation_count = fields.Integer(load_default=None, allow_none=True,
                                        validate=validate.Range(min=0, max=100_000, error="Må være mellom 0 og 100 000."))
    themes = fields.String(load_default="", validate=length(5000))
    findings = fields.String(load_default="", validate=length(20000))
    no_significant_conditions = fields.Boolean(load_default=False)
    reviewed_with_management_on = PastDate(load_default=None, allow_none=True)
    survey_id = fields.Integer(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True)
    report_evidence_id = fields.Integer(dump_only=True, allow_none=True)

    @validates_schema
    def _a_method(self, data, **kwargs):
        if not data.get("method_interviews", True) and not data.get("method_survey", False):
            raise ValidationError("Velg intervjuer, spørreundersøkelse eller begge.", "method_interviews")
        if data.get("interviews_from") and data.get("completed_on") and data["completed_on"] < data["interviews_from"]:
            raise ValidationError("Kan ikke være før første samtale.", "completed_on")


class PsychosocialFindingSchema(BaseSchema):
    title = fields.String(required=True, validate=length(300, 1))
    description = fields.String(load_default="", validate=length(5000))
    grade = fields.String(load_default=None, allow_none=True, validate=one_of(GRADES))
    responsible_name = fields.String(load_default="", validate=length(200))
    deadline = fields.Date(load_default=None, allow_none=True)


class SafetyRoundSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    year_id = fields.Integer(dump_only=True)
    template_id = fields.Integer(load_only=True, load_default=None, allow_none=True)
    held_on = PastDate(load_default=None, allow_none=True)
    planned_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "When it is planned (calendar)"})
    location = fields.String(load_default="", validate=length(300))
    participants = fields.String(load_default="", validate=length(2000))
    notes = fields.String(load_default="", validate=length(10000))
    status = fields.String(dump_only=True)
    completed_on = fields.Date(dump_only=True, allow_none=True)
    run_id = fields.Integer(dump_only=True)


class SafetyRoundDetailSchema(SafetyRoundSchema):
    checklist = fields.Nested(ChecklistRunSchema, dump_only=True)


class ComplianceCheckSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    year_id = fields.Integer(dump_only=True)
    key = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    status = fields.String(required=True, validate=one_of(COMPLIANCE_STATES))
    note = fields.String(load_default="", validate=length(5000))
    verified_by = fields.Integer(dump_only=True, allow_none=True)
    verified_at = fields.DateTime(dump_only=True, allow_none=True)


class TemplateEditSchema(BaseSchema):
    """One edit of a checklist template (a form post or an API call); see services.checklists.EDITS."""

    operation = fields.String(required=True, validate=one_of(EDITS))
    section_key = fields.String(load_default="", validate=length(40))
    item_key = fields.String(load_default="", validate=length(40))
    title_nb = fields.String(load_default="", validate=length(200))
    title_en = fields.String(load_default="", validate=length(200))
    text_nb = fields.String(load_default="", validate=length(1000))
    text_en = fields.String(load_default="", validate=length(1000))
    guidance_nb = fields.String(load_default="", validate=length(2000))
    unit = fields.String(load_default="", validate=length(20))
    step = fields.Integer(load_default=1, validate=validate.OneOf((-1, 1), error="Ugyldig valg."))


class TemplateItemSchema(BaseSchema):
    key = fields.String()
    text_nb = fields.String()
    text_en = fields.String()
    guidance_nb = fields.String()
    unit = fields.String()


class TemplateSectionSchema(BaseSchema):
    key = fields.String()
    title_nb = fields.String()
    title_en = fields.String()
    items = fields.List(fields.Nested(TemplateItemSchema))


class ChecklistTemplateSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    is_default = fields.Boolean()
    version = fields.Integer()
    sections = fields.List(fields.Nested(TemplateSectionSchema))


# -- what the API returns for a year (the year page's data) ------------------------------------------------

class RunStatsSchema(BaseSchema):
    total = fields.Integer()
    answered = fields.Integer()
    findings = fields.Integer()
    new = fields.Integer()
    changed = fields.Integer()
    removed = fields.Integer()


class PhysicalMappingRowSchema(PhysicalMappingSchema, RunStatsSchema):
    method_label = fields.String(dump_only=True)
    report_pending = fields.Boolean(dump_only=True)
    needs_verification = fields.Boolean(dump_only=True)


class SafetyRoundRowSchema(SafetyRoundSchema, RunStatsSchema):
    pass


class PsychosocialRowSchema(PsychosocialMappingSchema):
    report_pending = fields.Boolean(dump_only=True)


class YearHistorySchema(BaseSchema):
    id = fields.Integer()
    year = fields.Integer()
    status = fields.String()
    consultant_name = fields.String()
    carried_over = fields.Boolean()


class ComplianceSummarySchema(BaseSchema):
    checks = fields.List(fields.Nested(ComplianceCheckSchema))
    missing = fields.List(fields.Dict())
    pending = fields.Integer()
    verified = fields.Integer()
    not_ok = fields.Integer()


class ActionPreviewSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    area = fields.String()
    status = fields.String()
    deadline = fields.Date(allow_none=True)
    grade = fields.String(allow_none=True)
    responsible = fields.String()
    overdue = fields.Boolean()


class ActionSummarySchema(BaseSchema):
    open = fields.Integer()
    in_progress = fields.Integer()
    done = fields.Integer()
    overdue = fields.Integer()
    total = fields.Integer()
    items_preview = fields.List(fields.Nested(ActionPreviewSchema))


class YearOverviewSchema(BaseSchema):
    """A year at a glance: the year page's content."""

    year = fields.Nested(YearSchema)
    company = fields.Dict()
    history = fields.List(fields.Nested(YearHistorySchema))
    can_start_from_previous = fields.Boolean()
    physical_mappings = fields.List(fields.Nested(PhysicalMappingRowSchema))
    psychosocial_mappings = fields.List(fields.Nested(PsychosocialRowSchema))
    safety_rounds = fields.List(fields.Nested(SafetyRoundRowSchema))
    show_safety_rounds = fields.Boolean()
    compliance = fields.Nested(ComplianceSummarySchema)
    risks = fields.Nested(RiskYearSummarySchema)
    actions = fields.Nested(ActionSummarySchema)
    evidence = fields.Dict()


class CarryOverSchema(BaseSchema):
    actions = fields.Integer()
    mappings = fields.Integer()
    rounds = fields.Integer()
    assessments = fields.Integer()
    hazards = fields.Integer()


class ActionCreatedSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    area = fields.String()
    grade = fields.String(allow_none=True)
    status = fields.String()


class ReportRequestedSchema(BaseSchema):
    report_version = fields.Integer()
