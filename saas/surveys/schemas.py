"""Schemas of surveys and questionnaires: one schema validates a web form and the JSON API."""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

from saas.schemas import BaseSchema, length

MAX_GROUPS = 50
YEAR_RANGE = validate.Range(min=2000, max=2100, error="Velg et år mellom 2000 og 2100.")
K_RANGE = validate.Range(min=5, max=1000, error="Minst 5 (kan heves, aldri senkes).")


class GroupSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=length(100, 1))
    employee_count = fields.Integer(load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=100_000, error="Må være mellom 0 og 100 000."))


class GroupLines(fields.Field):
    """Groups typed one per line in a form: ``Lager; 12`` (name, optionally ``;`` and the headcount)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return []
        if not isinstance(value, str):
            raise ValidationError("Må være tekst.")
        groups, errors = [], []
        for number, line in enumerate(value.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            name, _, count = line.partition(";")
            name, count = name.strip(), count.strip()
            if not name or len(name) > 100:
                errors.append(f"Linje {number}: navnet må være 1–100 tegn.")
                continue
            if count and not re.fullmatch(r"\d{1,6}", count):
                errors.append(f"Linje {number}: antall ansatte må være et heltall (f.eks. «Lager; 12»).")
                continue
            groups.append({"name": name, "employee_count": int(count) if count else None})
        if errors:
            raise ValidationError(errors)
        return groups

    def _serialize(self, value, attr, obj, **kwargs):
        return "\n".join(f"{g['name']}; {g['employee_count']}" if g.get("employee_count") is not None else g["name"]
                         for g in value or [])


class SurveySchema(BaseSchema):
    """A survey as the API sends and receives it (dates as YYYY-MM-DD)."""

    id = fields.Integer(dump_only=True)
    company_id = fields.Integer(required=True)
    year = fields.Integer(required=True, validate=YEAR_RANGE)
    questionnaire_id = fields.Integer(load_default=None, allow_none=True)
    title = fields.String(required=True, validate=length(200, 1))
    intro = fields.String(load_default="", validate=length(2000))
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    min_group = fields.Integer(load_default=None, allow_none=True, validate=K_RANGE)
    shared_link = fields.Boolean(load_default=True)
    open_link = fields.Boolean(load_default=False, metadata={
        "description": "the shared link takes answers without a one-time code (not recommended: results are marked)"})
    groups = fields.List(fields.Nested(GroupSchema), load_default=list, validate=validate.Length(
        max=MAX_GROUPS, error=f"Maks {MAX_GROUPS} grupper."))
    # What the API answers with besides the fields above
    year_id = fields.Integer(dump_only=True)
    company_name = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    k = fields.Integer(dump_only=True)
    questionnaire = fields.Dict(dump_only=True)
    shared_url = fields.String(dump_only=True, allow_none=True)
    invited_count = fields.Integer(dump_only=True)
    results_available = fields.Boolean(dump_only=True)


class SurveyFormSchema(SurveySchema):
    """The web form: groups typed one per line."""

    groups = GroupLines(load_default=list)


class SurveyUpdateSchema(BaseSchema):
    """What may change after creation (company and year never do)."""

    questionnaire_id = fields.Integer(load_default=None, allow_none=True)
    title = fields.String(required=True, validate=length(200, 1))
    intro = fields.String(load_default="", validate=length(2000))
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    min_group = fields.Integer(load_default=None, allow_none=True, validate=K_RANGE)
    shared_link = fields.Boolean(load_default=True)
    open_link = fields.Boolean(load_default=False)
    groups = fields.List(fields.Nested(GroupSchema), load_default=list, validate=validate.Length(
        max=MAX_GROUPS, error=f"Maks {MAX_GROUPS} grupper."))


class SurveyUpdateFormSchema(SurveyUpdateSchema):
    groups = GroupLines(load_default=list)


class InvitationSchema(BaseSchema):
    """Addresses for personal links: separated by lines, commas, semicolons or spaces; the group they are
    for (required when the survey has groups)."""

    emails = fields.String(required=True, validate=length(200_000, 3))
    group_id = fields.Integer(load_default=None, allow_none=True,
                              validate=validate.Range(min=1, max=2_147_483_647, error="Velg en gruppe."))


class CodeSheetSchema(BaseSchema):
    """A sheet of one-time codes for the shared link: how many, and the group (required with groups)."""

    count = fields.Integer(required=True, validate=validate.Range(min=1, max=500, error="Velg mellom 1 og 500 koder."))
    group_id = fields.Integer(load_default=None, allow_none=True,
                              validate=validate.Range(min=1, max=2_147_483_647, error="Velg en gruppe."))


class CodeSheetOutSchema(BaseSchema):
    """A sheet of one-time codes for the shared link (``codes`` only when one sheet is asked for)."""

    batch = fields.Integer()
    group = fields.String(allow_none=True)
    count = fields.Integer()
    codes = fields.List(fields.String(), metadata={"description": "XXXXX-XXXXX, to print; never which are used"})


class QuestionnaireContentSchema(BaseSchema):
    """A questionnaire pasted as JSON text in the web form."""

    content = fields.String(required=True, validate=length(1_000_000))


class QuestionnaireListItemSchema(BaseSchema):
    id = fields.Integer()
    key = fields.String()
    title = fields.String()
    is_builtin = fields.Boolean()
    version = fields.Integer()
    label = fields.String()
    items = fields.Integer()
    dimensions = fields.Integer()
    surveys = fields.Integer()


class SurveyReportSchema(BaseSchema):
    """A closed survey's results, k-suppressed: a hidden scope is {"key", "suppressed": true} and nothing else."""

    survey_id = fields.Integer()
    k = fields.Integer()
    built_on = fields.String()
    reference = fields.Dict(allow_none=True)
    open_link = fields.Boolean(metadata={"description": "answers came in on an open link without codes (may include forged "
                                                         "answers; a group with more answers than employees is hidden)"})
    report = fields.Dict()


class ExportRowSchema(BaseSchema):
    scope = fields.String()
    dimension = fields.String()
    item = fields.String()
    respondents = fields.String()
    n = fields.String()
    score = fields.String()
    reference = fields.String()
    distribution = fields.String()


class SurveyListItemSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String()
    opens_on = fields.Date()
    closes_on = fields.Date()
    year = fields.Integer()
    company_id = fields.Integer()
    company_name = fields.String()


class GroupResultSchema(BaseSchema):
    """One group's results; below k: {"key": name, "suppressed": true} and nothing else."""

    survey_id = fields.Integer()
    group = fields.Dict()
    k = fields.Integer()
    result = fields.Dict()


class QuestionnaireDetailSchema(BaseSchema):
    id = fields.Integer()
    key = fields.String()
    title = fields.String()
    is_builtin = fields.Boolean()
    versions = fields.List(fields.Dict())
    content = fields.Dict(metadata={"description": "the newest version in the import format (see the README)"})
