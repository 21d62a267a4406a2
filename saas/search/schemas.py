"""The search API's shape."""
from marshmallow import fields

from saas.schemas import BaseSchema


class SearchHitSchema(BaseSchema):
    kind = fields.String(metadata={"description": "company | certificate | action | invoice | person"})
    title = fields.String()
    subtitle = fields.String()
    target_type = fields.String(metadata={"description": "company | certificate | action | invoice | user"})
    target_id = fields.Integer()
