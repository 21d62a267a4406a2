"""Schemas of schemes and the impartiality/competence register: one per form and API body."""
from __future__ import annotations

from dataclasses import fields as dc_fields

from marshmallow import fields

from saas.schemas import BaseSchema, FieldErrors, length, one_of
from saas.schemes.settings import StepDeadlines
from saas.schemes.models import COMPETENCE_FUNCTIONS, TIE_KINDS


class TieSchema(BaseSchema):
    user_id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=one_of(TIE_KINDS))
    from_on = fields.Date(required=True)
    to_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=length(2000))


class TieOutSchema(BaseSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    user_name = fields.String()
    company_id = fields.Integer()
    company_name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    from_on = fields.Date()
    to_on = fields.Date(allow_none=True)
    note = fields.String()
    ongoing = fields.Boolean()
    source = fields.String()


class EndSchema(BaseSchema):
    on = fields.Date(required=True)


class CompetenceSchema(BaseSchema):
    user_id = fields.Integer(required=True)
    scheme_id = fields.Integer(required=True)
    scope_id = fields.Integer(load_default=None, allow_none=True)
    function = fields.String(required=True, validate=one_of(COMPETENCE_FUNCTIONS))
    valid_from = fields.Date(required=True)
    expires_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=length(2000))


class CompetenceOutSchema(BaseSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    user_name = fields.String()
    scheme_id = fields.Integer()
    scheme_name = fields.String()
    scope_id = fields.Integer(allow_none=True)
    scope_name = fields.String()
    function = fields.String()
    function_label = fields.String()
    valid_from = fields.Date()
    expires_on = fields.Date(allow_none=True)
    note = fields.String()
    valid = fields.Boolean()


class ScopeOutSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class SchemeOutSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    kind = fields.String()
    name = fields.String()
    active = fields.Boolean()
    builtin = fields.Boolean()
    version = fields.Integer(allow_none=True)
    version_id = fields.Integer(allow_none=True)
    validity_months = fields.Integer(allow_none=True)
    surveillance = fields.String(allow_none=True)
    scopes = fields.List(fields.Nested(ScopeOutSchema))


class RequirementOutSchema(BaseSchema):
    id = fields.Integer()
    clause = fields.String()
    title = fields.String()
    text = fields.String()
    section = fields.String()


class SchemeDetailSchema(SchemeOutSchema):
    settings = fields.Dict()
    requirements = fields.List(fields.Nested(RequirementOutSchema))
    versions = fields.List(fields.Dict())


class SchemeVersionInSchema(BaseSchema):
    settings = fields.Dict(required=True)
    note = fields.String(load_default="", validate=length(2000))


# -- the scheme editor -------------------------------------------------------------------------------

class NewSchemeSchema(BaseSchema):
    library_code = fields.String(required=True, validate=length(40))
    name = fields.String(required=True, validate=length(200))
    code = fields.String(required=True, validate=length(40))


class LibrarySchemeSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class DraftSettingsInSchema(BaseSchema):
    settings = fields.Dict(required=True)
    note = fields.String(load_default="", validate=length(2000))


class PublishSchema(BaseSchema):
    note = fields.String(load_default="", validate=length(2000))


class RequirementInSchema(BaseSchema):
    clause = fields.String(required=True, validate=length(40))
    title = fields.String(required=True, validate=length(300))
    text = fields.String(load_default="", validate=length(20000))
    section = fields.String(load_default="", validate=length(120))


class ScopeInSchema(BaseSchema):
    code = fields.String(required=True, validate=length(40))
    name = fields.String(required=True, validate=length(200))


class ScopeChangeSchema(BaseSchema):
    name = fields.String(required=True, validate=length(200))
    active = fields.Boolean(load_default=True)


class ScopeOutFullSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    active = fields.Boolean()


class DraftVersionSchema(BaseSchema):
    id = fields.Integer()
    number = fields.Integer()
    note = fields.String()
    settings = fields.Dict()


class DraftSchema(BaseSchema):
    """A scheme's draft version in the editor: its settings, catalogue and the scheme's scopes."""
    scheme = fields.Dict()
    draft = fields.Nested(DraftVersionSchema)
    requirements = fields.List(fields.Nested(RequirementOutSchema))
    scopes = fields.List(fields.Nested(ScopeOutFullSchema))


# The settings form: plain fields named by the settings document's dotted paths, so an error from
# ``SchemeSettings.from_document`` lands on the field it names.
SETTINGS_INTS = ("validity_months", "recertification_lead_months", "retention_years", "impartiality_months",
                 "surveillance.period_months", "surveillance.min_count", "surveillance.warn_days")
SETTINGS_BOOLS = ("close_document_findings_before_audit", "surveillance.document_only_after_clean")


def settings_from_form(form, base: dict) -> dict:
    """The settings document a draft's web form describes, on top of ``base`` (what the form does not show,
    such as ``extra``, is kept).  Raises FieldErrors for what is not a whole number; the rest is checked by
    the settings module."""
    doc = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    doc.setdefault("surveillance", {})
    doc.setdefault("deadlines", {})
    errors: dict = {}

    def number(name: str, *, optional: bool = False):
        raw = (form.get(name) or "").strip()
        if raw == "" and optional:
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
            errors[name] = "Må være et heltall."
            return None
        return int(raw)

    def put(path: str, value) -> None:
        if "." in path:
            group, key = path.split(".", 1)
            doc[group][key] = value
        else:
            doc[path] = value

    for name in SETTINGS_INTS:
        put(name, number(name))
    for name in SETTINGS_BOOLS:
        put(name, form.get(name) in ("1", "on", "true", "y"))
    doc["surveillance"]["mode"] = form.get("surveillance.mode", "")
    for f in dc_fields(StepDeadlines):
        doc["deadlines"][f.name] = number(f"deadlines.{f.name}")
    warnings = [w.strip() for w in (form.get("recertification_warning_days") or "").split(",") if w.strip()]
    if any(not w.isascii() or not w.isdigit() or len(w) > 6 for w in warnings):
        errors["recertification_warning_days"] = "Skriv hele dager skilt med komma, f.eks. 90, 30, 7."
    else:
        doc["recertification_warning_days"] = [int(w) for w in warnings]
    doc["normative_documents"] = [line.strip() for line in (form.get("normative_documents") or "").splitlines()
                                  if line.strip()]
    doc["certificate_fields"] = form.getlist("certificate_fields")
    doc["certificate_title"] = form.get("certificate_title", "")
    grades = []
    for i in range(int(form.get("grade_rows") or 0) if (form.get("grade_rows") or "").isdigit() else 0):
        if i >= 20:
            break
        code, label = (form.get(f"grades.{i}.code") or "").strip(), (form.get(f"grades.{i}.label") or "").strip()
        if not code and not label:
            continue  # an empty row: the grade is taken out (or none was added)
        grades.append(dict(code=code, label=label,
                           must_close_before_issue=form.get(f"grades.{i}.must_close_before_issue") in ("1", "on"),
                           correction_days=number(f"grades.{i}.correction_days", optional=True)))
    doc["grades"] = grades
    if errors:
        raise FieldErrors(errors)
    return doc


def settings_form_values(settings: dict) -> dict:
    """The form's values for a settings document (the inverse of ``settings_from_form``)."""
    values = {k: v for k, v in settings.items() if not isinstance(v, (dict, list))}
    for group in ("surveillance", "deadlines"):
        for key, value in settings.get(group, {}).items():
            values[f"{group}.{key}"] = value
    values["recertification_warning_days"] = ", ".join(str(d) for d in settings.get("recertification_warning_days", []))
    values["normative_documents"] = "\n".join(settings.get("normative_documents", []))
    values["certificate_fields"] = list(settings.get("certificate_fields", []))
    for i, g in enumerate(settings.get("grades", [])):
        for key, value in g.items():
            values[f"grades.{i}.{key}"] = value
    values["grade_rows"] = len(settings.get("grades", [])) + 1
    return values
