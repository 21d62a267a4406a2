"""marshmallow schemas for person certification: one schema validates a web form and the JSON API."""
from __future__ import annotations

from datetime import date

from marshmallow import ValidationError, fields, validate, validates

from saas.persons.requirements import ACTIVITIES
from saas.persons.revocation import AppealResult, Outcome, Trigger
from saas.schemas import N_, BaseSchema, length, one_of

HOURS = validate.Range(min=0, max=24, error=N_("Må være mellom 0 og 24."))


def _not_future(value: date) -> None:
    if value > date.today().replace(year=date.today().year + 1):
        raise ValidationError(N_("Datoen er for langt fram i tid."))


class PersonSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=length(200, 1))
    birth_date = fields.Date(required=True)
    email = fields.Email(load_default="", validate=length(254))
    phone = fields.String(load_default="", validate=length(40))
    address = fields.String(load_default="", validate=length(300))
    employer_id = fields.Integer(load_default=None, allow_none=True)
    category = fields.String(load_default="", validate=length(60))
    public_details_consent = fields.Boolean(load_default=False)
    approved_instructor = fields.Boolean(load_default=False)
    has_photo = fields.Method("_has_photo", dump_only=True, metadata={"type": "boolean"})
    photo_consent_at = fields.DateTime(dump_only=True, allow_none=True)

    def _has_photo(self, obj):
        return bool(obj.photo_key)

    @validates("birth_date")
    def _birth_date(self, value, **kwargs):
        if value.year < 1900 or value > date.today():
            raise ValidationError(N_("Ugyldig fødselsdato."))


class PersonCompetenceSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    scheme_id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=[length(40, 1), validate.Regexp(
        r"^[A-Za-z0-9ÆØÅæøå._-]+$", error=N_("Bruk bokstaver, tall, punktum, bindestrek."))])
    name = fields.String(required=True, validate=length(200, 1))
    kind = fields.String(load_default="equipment", validate=one_of(("equipment", "vehicle", "line", "language", "other")))
    line_category = fields.String(load_default="", validate=one_of(("", "A", "B", "C")))
    seasonal = fields.Boolean(load_default=False)


class PersonEnrolSchema(BaseSchema):
    competence_id = fields.Integer(required=True)
    category = fields.String(required=True, validate=length(60, 1))
    documented = fields.List(fields.String(validate=one_of(ACTIVITIES)), load_default=list)


class PersonCourseSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    competence_id = fields.Integer(required=True)
    activity = fields.String(required=True, validate=one_of(ACTIVITIES + ("repetition", "periodic_training")))
    title = fields.String(required=True, validate=length(200, 1))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    hours = fields.Float(required=True, validate=validate.Range(min=0, max=1000, error=N_("Må være mellom 0 og 1000.")))
    instructor_id = fields.Integer(required=True)
    location = fields.String(load_default="", validate=length(200))
    completed_on = fields.Date(dump_only=True)


class PersonCourseParticipantSchema(BaseSchema):
    enrolment_id = fields.Integer(required=True)


class PersonPracticeSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    day = fields.Date(required=True, validate=_not_future)
    hours = fields.Float(required=True, validate=HOURS)
    km = fields.Integer(load_default=0, validate=validate.Range(min=0, max=5000, error=N_("Må være mellom 0 og 5000.")))
    phase = fields.Integer(load_default=1, validate=validate.OneOf((1, 2), error=N_("Ugyldig valg.")))
    supervisor = fields.String(load_default="", validate=length(200))
    note = fields.String(load_default="", validate=length(2000))


class PersonChecklistItemSchema(BaseSchema):
    item = fields.String(required=True, validate=length(200, 1))
    ok = fields.Boolean(required=True)


class PersonTestSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=one_of(("theory", "practical", "periodic")))
    taken_on = fields.Date(required=True, validate=_not_future)
    examiner_id = fields.Integer(required=True)
    checklist = fields.List(fields.Nested(PersonChecklistItemSchema), load_default=list)
    passed = fields.Boolean(required=True)
    notes = fields.String(load_default="", validate=length(4000))


class PersonActivitySchema(BaseSchema):
    activity = fields.String(required=True, validate=one_of(ACTIVITIES))


class PersonDecisionNoteSchema(BaseSchema):
    note = fields.String(load_default="", validate=length(2000))


class PersonDocumentedHoldingSchema(BaseSchema):
    competence_id = fields.Integer(required=True)
    tested_on = fields.Date(required=True)
    note = fields.String(required=True, validate=length(500, 1))
    training_company = fields.String(load_default="", validate=length(200))


class PersonPeriodicTestSchema(BaseSchema):
    passed_on = fields.Date(required=True, validate=_not_future)


class PersonUseSchema(BaseSchema):
    used_on = fields.Date(required=True, validate=_not_future)
    absent_since = fields.Date(load_default=None, allow_none=True)


class PersonCardIssueSchema(BaseSchema):
    scheme_id = fields.Integer(required=True)


class PersonCardWithdrawSchema(BaseSchema):
    reason = fields.String(required=True, validate=one_of(("lost", "damaged", "error", "changed", "other")))
    note = fields.String(load_default="", validate=length(2000))
    replace = fields.Boolean(load_default=False)  # issue a replacement that supersedes the withdrawn card


class RevocationOpenSchema(BaseSchema):
    scheme_id = fields.Integer(required=True)
    trigger = fields.String(required=True, validate=one_of(tuple(t.value for t in Trigger)))
    facts = fields.String(load_default="", validate=length(8000))
    suspend_meanwhile = fields.Boolean(load_default=False)


class RevocationHearingSchema(BaseSchema):
    hearing_on = fields.Date(required=True)
    manager_name = fields.String(required=True, validate=length(200, 1))
    manager_present = fields.Boolean(load_default=False)
    holder_statement = fields.String(load_default="", validate=length(8000))
    damage_potential = fields.String(load_default="", validate=length(4000))
    mitigating = fields.String(load_default="", validate=length(4000))


class RevocationDecisionSchema(BaseSchema):
    outcome = fields.String(required=True, validate=one_of(tuple(o.value for o in Outcome)))
    revoked_until = fields.Date(load_default=None, allow_none=True)
    condition = fields.String(load_default="", validate=length(300))
    damage_potential = fields.String(load_default="", validate=length(4000))
    mitigating = fields.String(load_default="", validate=length(4000))
    decision_text = fields.String(required=True, validate=length(8000, 1))


class RevocationAppealSchema(BaseSchema):
    received_on = fields.Date(required=True)
    appeal_text = fields.String(load_default="", validate=length(8000))
    committee = fields.String(load_default="", validate=length(300))


class RevocationAppealDecisionSchema(BaseSchema):
    result = fields.String(required=True, validate=one_of(tuple(r.value for r in AppealResult)))
    outcome = fields.String(load_default=None, allow_none=True, validate=one_of(tuple(o.value for o in Outcome)))
    revoked_until = fields.Date(load_default=None, allow_none=True)
    condition = fields.String(load_default="", validate=length(300))
    committee = fields.String(load_default="", validate=length(300))
    committee_text = fields.String(required=True, validate=length(8000, 1))


class PersonRegisterSettingsSchema(BaseSchema):
    mode = fields.String(required=True, validate=one_of(("training_company", "register_keeper")))
    outside_register = fields.String(load_default="", validate=length(200))
    card_prefix = fields.String(load_default="KB", validate=[length(10, 1), validate.Regexp(
        r"^[A-Z0-9]+$", error=N_("Bruk store bokstaver og tall."))])
    issuer_name = fields.String(load_default="", validate=length(200))


# -- output only ---------------------------------------------------------------------------------------

class TrainingPlanItemSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=length(200, 1))
    due_on = fields.Date(required=True)
    completed_on = fields.Date(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True)
    overdue = fields.Boolean(dump_only=True)


class TrainingPlanSchema(BaseSchema):
    """An individual training plan (absent from the function over 4 months) and how far it has come."""

    items = fields.List(fields.Nested(TrainingPlanItemSchema))
    done = fields.Integer()
    total = fields.Integer()
    next_due = fields.Date(allow_none=True)
    overdue = fields.Boolean()


class TrainingPlanCompleteSchema(BaseSchema):
    completed_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=length(2000))


class PersonHoldingSchema(BaseSchema):
    id = fields.Integer()
    competence_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    first_issued_on = fields.Date()
    tested_on = fields.Date()
    last_used_on = fields.Date(allow_none=True)
    absent_since = fields.Date(allow_none=True)
    state = fields.String()
    usable = fields.Boolean()
    expires_on = fields.Date(allow_none=True)
    next_step = fields.String()
    next_deadline = fields.Date(allow_none=True)
    revoked_until = fields.Date(allow_none=True)
    revoked_condition = fields.String()
    plan = fields.Nested(TrainingPlanSchema, allow_none=True)


class PersonPracticeResultSchema(BaseSchema):
    met = fields.Boolean()
    credited_hours = fields.Float()
    shifts = fields.Integer()
    km = fields.Integer()
    hours_missing = fields.Float()
    shifts_missing = fields.Integer()


class EnrolmentProgressSchema(BaseSchema):
    enrolment_id = fields.Integer()
    person_id = fields.Integer()
    competence_id = fields.Integer()
    category = fields.String()
    state = fields.String()
    missing_activities = fields.List(fields.String())
    km = fields.Integer()
    km_missing = fields.Integer()
    practice_1 = fields.Nested(PersonPracticeResultSchema)
    practice_2 = fields.Nested(PersonPracticeResultSchema)
    practical_passed = fields.Boolean()
    ready = fields.Boolean()
    theory_passed_on = fields.Date(allow_none=True)


class PersonCardSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    state = fields.String()
    issued_on = fields.Date()
    verify_url = fields.String()
    token = fields.String()
    snapshot = fields.Dict()
    received_at = fields.DateTime(allow_none=True)
    pdf_ready = fields.Boolean()
    withdrawn_at = fields.DateTime(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)
    withdrawal_note = fields.String()
    replaced_by_id = fields.Integer(allow_none=True)


class RevocationClockSchema(BaseSchema):
    name = fields.String()
    due_on = fields.Date()
    days_left = fields.Integer()
    done_on = fields.Date(allow_none=True)
    overdue = fields.Boolean()


class RevocationCaseSchema(BaseSchema):
    id = fields.Integer()
    person_id = fields.Integer()
    scheme_id = fields.Integer()
    trigger = fields.String()
    facts = fields.String()
    state = fields.String()
    opened_on = fields.Date()
    hearing_on = fields.Date(allow_none=True)
    manager_name = fields.String()
    outcome = fields.String(allow_none=True)
    revoked_until = fields.Date(allow_none=True)
    condition = fields.String()
    decided_on = fields.Date(allow_none=True)
    decision_text = fields.String()
    appeal_notice = fields.String()
    appeal_received_on = fields.Date(allow_none=True)
    committee_result = fields.String(allow_none=True)
    committee_outcome = fields.String(allow_none=True)
    committee_decided_on = fields.Date(allow_none=True)
    warnings_last_5_years = fields.Integer()
    revocations_last_5_years = fields.Integer()
    clocks = fields.List(fields.Nested(RevocationClockSchema))


class CompetenceMatrixCellSchema(BaseSchema):
    state = fields.String()
    usable = fields.Boolean()
    expires_on = fields.Date(allow_none=True)
    next_step = fields.String()
    next_deadline = fields.Date(allow_none=True)
    plan = fields.Nested(TrainingPlanSchema, allow_none=True)


class PersonNextStepSchema(BaseSchema):
    step = fields.String()
    state = fields.String()
    deadline = fields.Date(allow_none=True)
    plan = fields.Nested(TrainingPlanSchema, allow_none=True)


class CompetenceMatrixRowSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(CompetenceMatrixCellSchema))
    next = fields.Nested(PersonNextStepSchema, allow_none=True)


class CompetenceMatrixSchema(BaseSchema):
    competences = fields.List(fields.Dict())
    people = fields.List(fields.Nested(CompetenceMatrixRowSchema))
    counts = fields.Dict()


def _setting(integer: bool = True):
    field = fields.Integer if integer else fields.Float
    return field(load_default=None, allow_none=True,
                 validate=validate.Range(min=0, max=10_000, error=N_("Må være mellom 0 og 10 000.")))


class PersonSchemeSettingsSchema(BaseSchema):
    periodic_test_months = _setting()
    seasonal_months = _setting()
    unused_months = _setting()
    absence_months = _setting()
    repetition_after_months = _setting()
    new_type_training_after_months = _setting()
    reminder_days = _setting()
    practice_1_hours = _setting(False)
    practice_1_shifts = _setting()
    daily_cap_hours = _setting(False)
    practice_2_hours = _setting(False)
    practice_2_more_than_shifts = _setting()
    type_course_min_hours = _setting(False)
    type_course_max_participants = _setting()
    extra_km = _setting()
    appeal_days = _setting()
    committee_days = _setting()
    history_years = _setting()


class RequirementMatrixRowSchema(BaseSchema):
    category = fields.String(required=True, validate=length(60))
    needs = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    extra_km = fields.Integer(load_default=0)


class MatrixDraftSchema(BaseSchema):
    """A person scheme's requirement matrix and practice minimums (a draft, or the published version)."""

    version = fields.Integer(dump_only=True)
    published = fields.Boolean(dump_only=True)
    matrix = fields.List(fields.Nested(RequirementMatrixRowSchema), required=True)
    practice = fields.Dict(keys=fields.String(), values=fields.Float(), load_default=dict)


class SubmissionCreateSchema(BaseSchema):
    holding_ids = fields.List(fields.Integer(), required=True)


class SubmissionOutcomeSchema(BaseSchema):
    state = fields.String(required=True, validate=one_of(("accepted", "rejected")))
    reason = fields.String(load_default="", validate=length(4000))


class SubmissionDecisionSchema(BaseSchema):
    index = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000, error=N_("Ugyldig verdi.")))
    accept = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=length(2000))
    issue = fields.Boolean(load_default=False)  # accepted: issue the kompetansebevis at once


class SubmissionSchema(BaseSchema):
    id = fields.Integer()
    direction = fields.String()
    reference = fields.String()
    state = fields.String()
    training_company = fields.String()
    register_keeper = fields.String()
    reason = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Dict())
