"""The calendar's JSON shapes."""
from marshmallow import fields

from saas.schemas import BaseSchema


class CalendarEventSchema(BaseSchema):
    kind = fields.String(metadata={"description": "action | certificate | mapping | round"})
    kind_label = fields.String()
    on = fields.Date()
    title = fields.String()
    company_id = fields.Integer()
    company = fields.String()
    target_type = fields.String(metadata={"description": "action | certificate | physical_mapping | safety_round"})
    target_id = fields.Integer()
    overdue = fields.Boolean()


class CalendarFeedSchema(BaseSchema):
    active = fields.Boolean()
    url = fields.String(allow_none=True, metadata={"description": "Shown only when the link is made"})
    created_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
