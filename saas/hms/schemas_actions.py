"""Schemas of action-plan items, progress notes and the reminder settings."""
from marshmallow import ValidationError, fields, validate

from saas.hms.finding_defaults import RESPONSIBLE_CHOICES
from saas.schemas import BaseSchema, length, one_of

STATUSES = ("open", "in_progress", "done")
AREAS = ("physical", "psychosocial")
MAX_REMINDER_DAYS = 6


class ActionItemSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    year_id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=length(300, 1))
    description = fields.String(load_default="", validate=length(10000))
    area = fields.String(load_default="physical", validate=one_of(AREAS))
    grade = fields.String(load_default=None, allow_none=True, validate=one_of(("serious", "minor", "observation")))
    responsible_user_id = fields.Integer(load_default=None, allow_none=True,
                                         metadata={"description": "A staff user of the tenant or a client contact of the company"})
    responsible_name = fields.String(load_default="", validate=length(200), metadata={"description": "Free-text responsible person"})
    deadline = fields.Date(load_default=None, allow_none=True)
    status = fields.String(load_default="open", validate=one_of(STATUSES))
    source_type = fields.String(dump_only=True)
    source_id = fields.Integer(dump_only=True, allow_none=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    completed_at = fields.DateTime(dump_only=True, allow_none=True)
    responsible = fields.String(dump_only=True)
    overdue = fields.Boolean(dump_only=True)
    active_improvement = fields.Boolean(dump_only=True, metadata={"description": "Started and not overdue"})


class ActionNoteSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    text = fields.String(dump_only=True)
    new_status = fields.String(dump_only=True, allow_none=True)
    author = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ActionItemDetailSchema(ActionItemSchema):
    notes = fields.List(fields.Nested(ActionNoteSchema), dump_only=True)
    verified_at = fields.DateTime(dump_only=True, allow_none=True)
    awaiting_verification = fields.Boolean(dump_only=True, metadata={"description": "Done by a client contact, not yet verified"})
    source = fields.Dict(dump_only=True, allow_none=True, metadata={
        "description": "The finding it came from: {kind: physical_mapping|safety_round|hazard, id, answer_id, label}"})


class ProgressSchema(BaseSchema):
    """What a client contact may change on an item assigned to them: the status, with a note."""

    status = fields.String(load_default=None, allow_none=True, validate=one_of(STATUSES))
    text = fields.String(load_default="", validate=length(5000))


class ReminderDays(fields.Field):
    """Days before the deadline, as "30, 7, 1" (form) or [30, 7, 1] (API); stored unique, largest first."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return []
        parts = value if isinstance(value, list) else [p for p in str(value).replace(";", ",").split(",") if p.strip()]
        days = []
        for part in parts:
            text = str(part).strip()
            if isinstance(part, bool) or not text.isdigit() or not 1 <= int(text) <= 365:
                raise ValidationError("Bruk hele dager fra 1 til 365, skilt med komma (f.eks. 30, 7, 1).")
            days.append(int(text))
        days = sorted(set(days), reverse=True)
        if len(days) > MAX_REMINDER_DAYS:
            raise ValidationError(f"Høyst {MAX_REMINDER_DAYS} påminnelser før fristen.")
        return days

    def _serialize(self, value, attr, obj, **kwargs):
        return list(value or [])


class ReminderSettingsSchema(BaseSchema):
    action_reminder_days = ReminderDays(required=True, metadata={"description": "Days before the deadline, e.g. [30, 7, 1]"})


_DAYS = validate.Range(min=1, max=365, error="Velg mellom 1 og 365 dager, eller la feltet stå tomt.")


def _days(grade: str) -> fields.Integer:
    return fields.Integer(load_default=None, allow_none=True, validate=_DAYS,
                          metadata={"description": f"Default deadline of a {grade} finding's action, in days (null: none)"})


def _responsible(grade: str) -> fields.String:
    return fields.String(load_default="", validate=one_of(RESPONSIBLE_CHOICES), metadata={
        "description": f"Default responsible person of a {grade} finding's action: contact (the company's contact), "
                       "consultant (the year's consultant) or empty (nobody yet)"})


class FindingDefaultsSchema(BaseSchema):
    """What a graded finding's action gets by default (tenant setting)."""

    serious_deadline_days = _days("serious")
    minor_deadline_days = _days("minor")
    observation_deadline_days = _days("observation")
    serious_responsible = _responsible("serious")
    minor_responsible = _responsible("minor")
    observation_responsible = _responsible("observation")


class BulkAssignSchema(BaseSchema):
    """Give many items of one year the same responsible person and/or deadline."""

    action_ids = fields.List(fields.Integer(), required=True,
                             validate=validate.Length(min=1, max=500, error="Velg minst ett tiltak."))
    responsible_user_id = fields.Integer(load_default=None, allow_none=True)
    responsible_name = fields.String(load_default=None, allow_none=True, validate=length(200))
    deadline = fields.Date(load_default=None, allow_none=True)
    clear_responsible = fields.Boolean(load_default=False)


class BulkAssignResultSchema(BaseSchema):
    changed = fields.Integer()


class VerifyActionSchema(BaseSchema):
    approve = fields.Boolean(load_default=True)
    note = fields.String(load_default="", validate=length(5000))


class ActionYearSummarySchema(BaseSchema):
    open = fields.Integer()
    in_progress = fields.Integer()
    done = fields.Integer()
    overdue = fields.Integer()
    total = fields.Integer()
    items_preview = fields.List(fields.Nested(ActionItemSchema))
