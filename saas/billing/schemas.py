"""Billing input and output: the price list and settings, manual invoices, credit notes, the Stripe
connection, and the invoice as the API and the pages show it."""
from __future__ import annotations

import math

from marshmallow import ValidationError, fields, validate, validates_schema

from saas.billing import pricing
from saas.norway import parse_money
from saas.schemas import BaseSchema, length, one_of

ORG_FORMS = ("", "AS", "ASA", "NUF", "ENK", "DA", "ANS", "SA", "STI")


class Money(fields.Field):
    """Øre.  A form sends kroner as typed ("1 250,50"); the API sends an integer number of øre."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Ugyldig beløp.")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return parse_money(value)
            except ValueError as error:
                raise ValidationError(str(error)) from None
        raise ValidationError("Ugyldig beløp.")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


MAX_INVOICE_TOTAL = 2**31 - 1  # øre: the amount columns are PostgreSQL ``integer``
MAX_QUANTITY = 1_000_000_00  # hundredths


class Quantity(fields.Field):
    """Hundredths.  A form sends "7,5"; the API sends a number (7.5) or a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Ugyldig antall.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("Ugyldig antall.")
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise ValidationError("Ugyldig antall.")
        if len(value) > 20:
            raise ValidationError("Antallet er for stort.")
        try:
            quantity = pricing.parse_quantity(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if quantity > MAX_QUANTITY:
            raise ValidationError("Antallet er for stort (høyst 1 000 000).")
        return quantity


class BankAccount(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        if not raw:
            return ""
        try:
            return pricing.normalize_bank_account(raw)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class BillingSettingsSchema(BaseSchema):
    org_form = fields.String(load_default="", validate=one_of(ORG_FORMS))
    bank_account = BankAccount(load_default="")
    payment_terms_days = fields.Integer(load_default=14, validate=validate.Range(min=0, max=90, error="Mellom 0 og 90 dager."))
    certificate_vat = fields.String(load_default="high", validate=one_of(tuple(pricing.VAT_RATES)))
    kid_method = fields.String(load_default="mod10", validate=one_of(("mod10", "mod11")))
    invoice_text = fields.String(load_default="", validate=length(1000))


def price_field(cert_class: str, band: int) -> str:
    return f"price_{cert_class.replace('+', 'plus')}_{band}"


PRICE_FIELDS = {price_field(c, b): (c, b) for c in pricing.CLASSES for b in range(len(pricing.SIZE_BANDS))}


class PriceListFormSchema(BillingSettingsSchema):
    """The settings page: the settings and one price (kroner, without VAT) per class and size band."""

    class Meta(BaseSchema.Meta):
        include = {name: Money(required=True, validate=validate.Range(min=0, max=10_000_000_00, error="Ugyldig pris."))
                   for name in PRICE_FIELDS}


class PriceSchema(BaseSchema):
    cert_class = fields.String(required=True, validate=one_of(pricing.CLASSES))
    band = fields.Integer(required=True, validate=validate.Range(min=0, max=len(pricing.SIZE_BANDS) - 1, error="Ugyldig størrelsesgruppe."))
    band_label = fields.String(dump_only=True)
    amount = Money(required=True, validate=validate.Range(min=0, max=10_000_000_00, error="Ugyldig pris."),
                   metadata={"description": "øre without VAT"})


class PriceListSchema(BillingSettingsSchema):
    """The API's price list: settings and every price in øre."""

    prices = fields.List(fields.Nested(PriceSchema), load_default=list)


class LineSchema(BaseSchema):
    description = fields.String(required=True, validate=length(500, 3))
    period_from = fields.Date(load_default=None, allow_none=True)
    period_to = fields.Date(load_default=None, allow_none=True)
    quantity = Quantity(load_default=100)
    unit_price = Money(required=True, validate=validate.Range(min=0, max=10_000_000_00, error="Ugyldig pris."))
    vat_code = fields.String(load_default="high", validate=one_of(tuple(pricing.VAT_RATES)))

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("period_from") and data.get("period_to") and data["period_to"] < data["period_from"]:
            raise ValidationError("Perioden kan ikke slutte før den begynner.", "period_to")


class ManualInvoiceSchema(BaseSchema):
    company_id = fields.Integer(required=True)
    note = fields.String(load_default="", validate=length(1000))
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=50, error="Mellom 1 og 50 linjer."))

    @validates_schema
    def _within_amount_columns(self, data, **kwargs):
        # Amounts are stored as integer øre (PostgreSQL ``integer``): a total beyond it is refused here, by name,
        # instead of overflowing the column.
        lines = [pricing.Line(description="", quantity=line["quantity"], unit_price=line["unit_price"],
                              vat_code=line["vat_code"]) for line in data.get("lines") or []]
        if lines and pricing.totals(lines).gross > MAX_INVOICE_TOTAL:
            raise ValidationError("Fakturabeløpet er for stort (høyst 21 474 836,47 kr).", "lines")


class CreditNoteSchema(BaseSchema):
    reason = fields.String(required=True, validate=length(500, 3))


class StripeConnectionSchema(BaseSchema):
    mode = fields.String(required=True, validate=one_of(("connect", "own_key")))
    account_id = fields.String(load_default="", validate=validate.Regexp(r"^(acct_[A-Za-z0-9]{6,60})?$", error="Konto-ID-en begynner med acct_."))
    secret_key = fields.String(load_default="", validate=validate.Regexp(r"^((sk|rk)_(test|live)_[A-Za-z0-9]{8,200})?$", error="Nøkkelen begynner med rk_live_, rk_test_, sk_live_ eller sk_test_."))
    publishable_key = fields.String(load_default="", validate=validate.Regexp(r"^(pk_(test|live)_[A-Za-z0-9]{8,200})?$", error="Nøkkelen begynner med pk_live_ eller pk_test_."))
    webhook_secret = fields.String(load_default="", validate=validate.Regexp(r"^(whsec_[A-Za-z0-9]{8,200})?$", error="Signeringshemmeligheten begynner med whsec_."))

    @validates_schema
    def _complete(self, data, **kwargs):
        errors = {}
        if data["mode"] == "connect" and not data.get("account_id"):
            errors["account_id"] = ["Oppgi konto-ID-en (acct_…)."]
        if data["mode"] == "own_key":
            for name, text in (("secret_key", "Oppgi den begrensede nøkkelen."), ("publishable_key", "Oppgi den publiserbare nøkkelen."),
                               ("webhook_secret", "Oppgi signeringshemmeligheten for webhooken.")):
                if not data.get(name):
                    errors[name] = [text]
        if errors:
            raise ValidationError(errors)


class InvoiceLineOutSchema(BaseSchema):
    position = fields.Integer()
    description = fields.String()
    period_from = fields.Date(allow_none=True)
    period_to = fields.Date(allow_none=True)
    quantity = fields.Integer(metadata={"description": "hundredths: 150 is 1.5"})
    unit_price = fields.Integer(metadata={"description": "øre without VAT"})
    vat_code = fields.String()
    vat_rate = fields.Integer(metadata={"description": "basis points: 2500 is 25 %"})
    net_amount = fields.Integer()


class VatGroupSchema(BaseSchema):
    rate = fields.Integer()
    basis = fields.Integer()
    vat = fields.Integer()


class InvoiceListItemSchema(BaseSchema):
    id = fields.Integer()
    number = fields.Integer()
    kind = fields.String(metadata={"description": "invoice | credit_note"})
    company_id = fields.Integer()
    company_name = fields.String()
    issue_date = fields.Date()
    due_date = fields.Date()
    state = fields.String()
    kid = fields.String()
    net_total = fields.Integer()
    vat_total = fields.Integer()
    gross_total = fields.Integer()


class InvoiceSchema(InvoiceListItemSchema):
    certificate_id = fields.Integer(allow_none=True)
    credits_invoice_id = fields.Integer(allow_none=True)
    credited_by_id = fields.Integer(allow_none=True)
    seller = fields.Dict()
    buyer = fields.Dict()
    note = fields.String()
    vat_groups = fields.List(fields.Nested(VatGroupSchema))
    lines = fields.List(fields.Nested(InvoiceLineOutSchema))
    sent_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    paid_amount = fields.Integer()
    pdf_ready = fields.Boolean()
