"""Output and input shapes of notifications and the reviewer's queue (the JSON API)."""
from marshmallow import fields

from saas.schemas import BaseSchema


class NotificationSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "proposal_made | decision_made | evidence_uploaded | action_assigned | "
                                                 "action_closed | action_overdue | document_failed"})
    kind_label = fields.String()
    title = fields.String()
    target_type = fields.String(metadata={"description": "what it opens: certification_year, action, evidence, ..."})
    target_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read = fields.Boolean()


class NotificationCountSchema(BaseSchema):
    unread = fields.Integer()
    marked = fields.Integer()


class NotificationSettingsSchema(BaseSchema):
    daily_digest = fields.Boolean(required=True, metadata={"description": "A daily e-mail of unread notifications"})


class QueueItemSchema(BaseSchema):
    id = fields.Integer(metadata={"description": "the proposal"})
    year_id = fields.Integer()
    company_id = fields.Integer()
    company = fields.String()
    year = fields.Integer()
    cert_class = fields.String()
    b_alternative = fields.Boolean()
    justification = fields.String()
    proposed_at = fields.DateTime()
    days_waiting = fields.Integer()
    proposer = fields.String()
    consultant = fields.String(metadata={"description": "who did the year's work"})
    eligible_class = fields.String(allow_none=True, metadata={"description": "the verdict as of today"})
    not_met = fields.List(fields.String(), metadata={"description": "criteria not met today"})
    matches = fields.Boolean(metadata={"description": "today's verdict supports the proposed class"})
