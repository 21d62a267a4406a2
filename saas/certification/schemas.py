"""Input (forms and JSON alike) and output shapes of certification."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from saas.certification.models import CLASSES
from saas.schemas import BaseSchema, PastDate, length, one_of


class ProposalSchema(BaseSchema):
    cert_class = fields.String(load_default=None, allow_none=True, validate=one_of(CLASSES))
    b_alternative = fields.Boolean(load_default=False)
    justification = fields.String(load_default="", allow_none=True, validate=length(4000))

    @validates_schema
    def _class_or_b_alt(self, data, **kwargs):
        if not data.get("b_alternative") and not data.get("cert_class"):
            raise ValidationError("Velg klassen som foreslås.", "cert_class")


class DecisionSchema(BaseSchema):
    outcome = fields.String(required=True, validate=one_of(("approve", "return")),
                            metadata={"description": "approve: issue the certificate; return: send back with a reason"})
    reason = fields.String(load_default="", allow_none=True, validate=length(4000))


class AttestationSchema(BaseSchema):
    kind = fields.String(required=True, validate=one_of(("a4", "a_plus_2")))
    note = fields.String(required=True, validate=length(4000, 3))
    on = PastDate(load_default=None, allow_none=True, metadata={"description": "defaults to today; never in the future"})


class StateChangeSchema(BaseSchema):
    action = fields.String(required=True, validate=one_of(("suspend", "withdraw", "reinstate")))
    reason = fields.String(required=True, validate=length(2000, 3))


class YearlyRunSchema(BaseSchema):
    within_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=730, error="Velg mellom 1 og 730 dager."))


class BulkProposalSchema(BaseSchema):
    year_ids = fields.List(fields.Integer(), required=True,
                           validate=validate.Length(min=1, max=10_000, error="Velg minst én bedrift."))


# -- output --------------------------------------------------------------------------------------------

class RefSchema(BaseSchema):
    kind = fields.String()
    id = fields.Integer()
    label = fields.String()
    url = fields.String(allow_none=True)


class CriterionSchema(BaseSchema):
    id = fields.String(metadata={"description": "B1-B5, B-alt, A1-A4, A+1-A+3"})
    title = fields.String()
    section = fields.String()
    outcome = fields.String(metadata={"description": "met | not_met | waived"})
    outcome_label = fields.String()
    reason = fields.String()
    refs = fields.List(fields.Nested(RefSchema))


class VerdictSchema(BaseSchema):
    year_id = fields.Integer()
    year = fields.Integer()
    company_id = fields.Integer()
    company_name = fields.String()
    as_of = fields.Date()
    eligible = fields.String(allow_none=True, metadata={"description": "B | A | A+ | null"})
    next_class = fields.String(allow_none=True)
    ruleset_version = fields.String()
    used_b_alternative = fields.Boolean()
    criteria = fields.List(fields.Nested(CriterionSchema))
    missing_for_next = fields.List(fields.Nested(CriterionSchema))


class DecisionOutSchema(BaseSchema):
    id = fields.Integer()
    outcome = fields.String(metadata={"description": "approved | returned"})
    cert_class = fields.String(allow_none=True)
    eligible_class = fields.String(allow_none=True)
    ruleset_version = fields.String()
    facts_sha256 = fields.String()
    decided_on = fields.Date()
    decided_by = fields.String()
    reason = fields.String()


class ProposalOutSchema(BaseSchema):
    id = fields.Integer()
    cert_class = fields.String()
    b_alternative = fields.Boolean()
    justification = fields.String()
    eligible_class = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending | approved | returned | withdrawn"})
    proposed_by = fields.String()
    proposed_at = fields.DateTime()
    close_reason = fields.String()
    decision = fields.Nested(DecisionOutSchema, allow_none=True)


class CertificateEventSchema(BaseSchema):
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    reason = fields.String()
    on = fields.Date()
    by = fields.String()


class CertificateSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    company_id = fields.Integer()
    company_name = fields.String()
    year = fields.Integer()
    year_id = fields.Integer()
    cert_class = fields.String()
    issued_on = fields.Date()
    valid_until = fields.Date(metadata={"description": "the last valid day"})
    state = fields.String(metadata={"description": "active | suspended | withdrawn | expired | superseded (as of today)"})
    decision_id = fields.Integer()


class CertificateDetailSchema(CertificateSchema):
    events = fields.List(fields.Nested(CertificateEventSchema))
    actions = fields.List(fields.String(), metadata={"description": "state changes allowed now"})


class DecisionResultSchema(BaseSchema):
    decision = fields.Nested(DecisionOutSchema)
    certificate = fields.Nested(CertificateSchema, allow_none=True)


class SchemeScopeOutSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class SchemeSubUnitOutSchema(BaseSchema):
    name = fields.String()
    address = fields.String()
    responsible = fields.String()
    scopes = fields.List(fields.String())


class SchemeCertificateSchema(BaseSchema):
    """A certificate of an audit-based scheme (seeds 000, 004) as staff, clients and the public see it."""
    id = fields.Integer()
    number = fields.String()
    scheme_name = fields.String()
    certificate_title = fields.String()
    holder = fields.Dict()
    scopes = fields.List(fields.Nested(SchemeScopeOutSchema))
    sub_units = fields.List(fields.Nested(SchemeSubUnitOutSchema))
    issued_on = fields.Date()
    valid_until = fields.Date()
    duration = fields.String()
    state = fields.String()
    state_label = fields.String()
    scope_reduced = fields.Boolean()
    increased_surveillance = fields.Boolean()
    valid_now = fields.Boolean()
    marketing_notice = fields.String()
    signatory = fields.String()
    verification_code = fields.String()


class SchemeVerificationSchema(SchemeCertificateSchema):
    issuer = fields.Dict()
    kind = fields.String()


class SanctionSchema(BaseSchema):
    action = fields.String(required=True, validate=one_of(("suspend", "withdraw", "reinstate", "increase_surveillance")))
    reason = fields.String(required=True, validate=length(2000))


class ScopeReductionSchema(BaseSchema):
    scope_ids = fields.List(fields.Integer(), required=True)
    reason = fields.String(required=True, validate=length(2000))


class ComplaintOutSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    certificate_ref = fields.String()
    from_public = fields.Boolean()
    from_name = fields.String()
    from_email = fields.String()
    text = fields.String()
    received_on = fields.Date()
    acknowledged_on = fields.Date(allow_none=True)
    relevant = fields.Boolean(allow_none=True)
    assessment = fields.String()
    handler = fields.String()
    handling_note = fields.String()
    decided_by = fields.String()
    decided_on = fields.Date(allow_none=True)
    outcome = fields.String()
    outcome_told_on = fields.Date(allow_none=True)
    status = fields.String()
    audit_cases = fields.List(fields.Dict())  # extraordinary audits opened after the decision (one complaint)


class ComplaintInSchema(BaseSchema):
    kind = fields.String(load_default="complaint", validate=one_of(("complaint", "appeal")))
    name = fields.String(required=True, validate=length(200, 2))
    email = fields.Email(required=True)
    text = fields.String(required=True, validate=length(10000, 10))
    certificate_ref = fields.String(load_default="", validate=length(60))


class ComplaintStepSchema(BaseSchema):
    note = fields.String(load_default="", validate=length(10000))
    relevant = fields.Boolean(load_default=None, allow_none=True)
