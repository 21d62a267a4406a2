from marshmallow import fields, validate

from saas.schemas import BaseSchema, length
from saas.tenants.schemas import OrgNumber

POSTCODE = validate.Regexp(r"^(\d{4})?$", error="Postnummer har 4 siffer.")


class SubUnitSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=length(200, 1))
    address = fields.String(load_default="", validate=length(300))
    responsible = fields.String(load_default="", validate=length(200))


class ContactSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=length(200, 1))
    email = fields.Email(load_default="", validate=length(254))
    phone = fields.String(load_default="", validate=length(40))
    title = fields.String(load_default="", validate=length(100))
    has_login = fields.Method("_has_login", dump_only=True)

    def _has_login(self, obj):
        return obj.user_id is not None


class CompanySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=length(200, 1))
    org_number = OrgNumber(required=True)
    org_form = fields.String(load_default="", validate=length(10))
    address = fields.String(load_default="", validate=length(200))
    postcode = fields.String(load_default="", validate=POSTCODE)
    city = fields.String(load_default="", validate=length(100))
    postal_address = fields.String(load_default="", validate=length(300))
    industry_code = fields.String(load_default="", validate=validate.Regexp(r"^(\d{2}\.\d{1,3})?$", error="Næringskode skrives som 43.221."))
    employee_count = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1_000_000, error="Må være mellom 0 og 1 000 000."))
    works_off_premises = fields.Boolean(load_default=False)
    follow_up_agreement = fields.Boolean(load_default=False)
    follow_up_from = fields.Date(load_default=None, allow_none=True)
    follow_up_to = fields.Date(load_default=None, allow_none=True)
    consultant_id = fields.Integer(load_default=None, allow_none=True)
    notes = fields.String(load_default="", validate=length(5000))
    archived = fields.Method("_archived", dump_only=True)
    sub_units = fields.List(fields.Nested(SubUnitSchema), dump_only=True)
    contacts = fields.List(fields.Nested(ContactSchema), dump_only=True)

    def _archived(self, obj):
        return obj.archived_at is not None


class CompanyListItemSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    org_number = fields.String()
    city = fields.String()
    employee_count = fields.Integer(allow_none=True)
    consultant_id = fields.Integer(allow_none=True)
    consultant_name = fields.String(allow_none=True)
    archived = fields.Boolean()
