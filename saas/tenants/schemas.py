from marshmallow import fields, validates, ValidationError, validate

from saas.norway import normalize_org_number
from saas.schemas import BaseSchema, color, length
from saas.tenants.models import Role

STAFF_ROLES = [Role.ADMIN.value, Role.CONSULTANT.value, Role.REVIEWER.value]


class OrgNumber(fields.String):
    """Accepts spaces, a NO prefix and an MVA suffix; stores 9 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_org_number(raw)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class TenantSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,38}$", error="Bruk 2–39 små bokstaver, tall og bindestrek."))
    name = fields.String(required=True, validate=length(200, 2))
    org_number = OrgNumber(required=True)
    address = fields.String(load_default="", validate=length(200))
    postcode = fields.String(load_default="", validate=validate.Regexp(r"^(\d{4})?$", error="Postnummer har 4 siffer."))
    city = fields.String(load_default="", validate=length(100))
    contact_email = fields.Email(load_default="", validate=length(254))
    vat_registered = fields.Boolean(load_default=True)
    primary_color = fields.String(load_default="#1f4e79", validate=color())
    accent_color = fields.String(load_default="#c8a44d", validate=color())
    signatory_name = fields.String(load_default="", validate=length(200))
    signatory_title = fields.String(load_default="", validate=length(200))


class TenantSettingsSchema(TenantSchema):
    class Meta:
        exclude = ("slug",)

    certificate_prefix = fields.String(load_default="HMS", validate=validate.Regexp(r"^[A-ZÆØÅ0-9]{1,8}$", error="1–8 store bokstaver eller tall."))
    survey_min_group = fields.Integer(load_default=5, validate=validate.Range(min=5, max=50, error="Minst 5 (kan heves, aldri senkes)."))
    raw_answer_retention_days = fields.Integer(load_default=90, validate=validate.Range(min=0, max=3650, error="Mellom 0 og 3650 dager."))
    renewal_reminder_days = fields.Integer(load_default=60, validate=validate.Range(min=1, max=365, error="Mellom 1 og 365 dager."))


class UserSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True, validate=length(254))
    name = fields.String(required=True, validate=length(200, 1))
    phone = fields.String(load_default="", validate=length(40))
    roles = fields.List(fields.String(validate=validate.OneOf(STAFF_ROLES + [Role.CLIENT.value], error="Ugyldig rolle.")), load_default=list)
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    @validates("roles")
    def _at_least_one(self, value, **kwargs):
        if not value:
            raise ValidationError("Velg minst én rolle.")


class UserUpdateSchema(UserSchema):
    class Meta:
        exclude = ("email",)


class PasswordSchema(BaseSchema):
    password = fields.String(required=True, validate=length(200, 10))
    password_repeat = fields.String(required=True)


class TokenSchema(BaseSchema):
    name = fields.String(required=True, validate=length(100, 1))
