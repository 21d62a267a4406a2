"""A scheme version's settings as plain, typed data: the one shape every package reads.

Pure: standard library only.  ``SchemeSettings.from_document`` validates the JSON document stored on a
``SchemeVersion`` (unknown keys refused, every number range-checked) and ``to_document`` writes it back,
so a round trip is lossless.  No cycle length, deadline or grade scale is hard-coded anywhere else: the
defaults below are seed 000's (ASAS) and are overridden per scheme in ``saas.schemes.library``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

# How surveillance is required during a certificate's validity.
SURVEILLANCE_NONE = "none"                  # renewed yearly instead (the HMS-sertifikat)
SURVEILLANCE_EVERY_PERIOD = "every_period"  # an audit within every N-month period (seed 000: 12)
SURVEILLANCE_COUNT = "count_in_validity"    # at least N audits during the validity (seed 004: 2)
SURVEILLANCE_MODES = (SURVEILLANCE_NONE, SURVEILLANCE_EVERY_PERIOD, SURVEILLANCE_COUNT)

# The § 7.7 fields a certificate may show; a scheme picks which ones its certificate shows.
CERTIFICATE_FIELDS = (
    "issuer_name", "issuer_address", "issued_on", "holder_name", "holder_address", "holder_org_number",
    "certificate_type", "cert_class", "scopes", "sub_units", "valid_until", "duration", "number", "signatory",
)


class SettingsError(ValueError):
    """A settings document is invalid; ``field`` is the dotted path of the first bad value."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Grade:
    """A nonconformity grade (seed 000 "Avviksdefinisjoner")."""

    code: str                       # serious | minor | observation, or a tenant's own
    label: str                      # bokmål, e.g. "Alvorlig avvik"
    must_close_before_issue: bool   # every open one blocks the certificate
    correction_days: int | None     # default deadline for the corrective action; None: no deadline


@dataclass(frozen=True)
class StepDeadlines:
    """The clocks of seed 000's 11 steps, in days (0 = no deadline for that step)."""

    application_review_days: int = 14      # 1: the provider reviews the application and contract
    pre_evaluation_days: int = 14          # 2: the pre-evaluation form is returned within 14 days
    documents_days: int = 30               # 3: documents sent in after the pre-evaluation
    document_review_days: int = 21         # 3: the lead auditor reviews them
    team_objection_days: int = 7           # 4: the client may object to a team member by then
    report_days: int = 14                  # 6: the report within 2 weeks of the audit's last day
    corrective_action_review_days: int = 14  # 7: accepted or rejected within 2 weeks of receipt
    decision_days: int = 30                # 8: review and decision after the last closure
    withdrawal_notice_days: int = 30       # 11: notice of withdrawal gives the company this long


@dataclass(frozen=True)
class SurveillanceRule:
    mode: str = SURVEILLANCE_EVERY_PERIOD
    period_months: int = 12                # for every_period
    min_count: int = 0                     # for count_in_validity
    document_only_after_clean: bool = True  # a paper audit is allowed when the previous one was clean
    warn_days: int = 60                    # remind this long before an audit falls due


@dataclass(frozen=True)
class SchemeSettings:
    """Everything about a scheme that may differ between schemes and between versions of one."""

    validity_months: int = 48
    normative_documents: tuple[str, ...] = ()
    surveillance: SurveillanceRule = field(default_factory=SurveillanceRule)
    recertification_lead_months: int = 3
    # Reminders sent this many days before the recertification application is due (seed 000: "in good time").
    recertification_warning_days: tuple[int, ...] = (90, 30, 7)
    grades: tuple[Grade, ...] = ()
    # NS 9600: every nonconformity from the document review is closed before the audit is agreed.
    close_document_findings_before_audit: bool = False
    deadlines: StepDeadlines = field(default_factory=StepDeadlines)
    retention_years: int = 10
    certificate_fields: tuple[str, ...] = CERTIFICATE_FIELDS
    certificate_title: str = "Sertifikat"
    # Kind-specific settings that have no typed field yet (person certification adds its own).
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- derived ---------------------------------------------------------------------------------
    def grade(self, code: str) -> Grade | None:
        return next((g for g in self.grades if g.code == code), None)

    @property
    def grades_blocking_issue(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.grades if g.must_close_before_issue)

    # -- (de)serialisation -------------------------------------------------------------------------
    def to_document(self) -> dict:
        return {
            "validity_months": self.validity_months,
            "normative_documents": list(self.normative_documents),
            "surveillance": {f.name: getattr(self.surveillance, f.name) for f in fields(SurveillanceRule)},
            "recertification_lead_months": self.recertification_lead_months,
            "recertification_warning_days": list(self.recertification_warning_days),
            "grades": [{f.name: getattr(g, f.name) for f in fields(Grade)} for g in self.grades],
            "close_document_findings_before_audit": self.close_document_findings_before_audit,
            "deadlines": {f.name: getattr(self.deadlines, f.name) for f in fields(StepDeadlines)},
            "retention_years": self.retention_years,
            "certificate_fields": list(self.certificate_fields),
            "certificate_title": self.certificate_title,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> "SchemeSettings":
        """Validate a settings document; missing keys take the defaults.  Raises SettingsError."""
        if not isinstance(doc, Mapping):
            raise SettingsError("settings", "må være et objekt")
        _no_unknown(doc, {f.name for f in fields(cls)}, "")
        default = cls()
        surveillance = _surveillance(doc.get("surveillance", {}))
        grades = tuple(_grade(g, f"grades.{i}") for i, g in enumerate(_list(doc.get("grades", []), "grades")))
        codes = [g.code for g in grades]
        if len(set(codes)) != len(codes):
            raise SettingsError("grades", "hver grad må ha en egen kode")
        certificate_fields = tuple(_text(v, "certificate_fields", 40)
                                   for v in _list(doc.get("certificate_fields", list(CERTIFICATE_FIELDS)),
                                                  "certificate_fields"))
        unknown = [f for f in certificate_fields if f not in CERTIFICATE_FIELDS]
        if unknown:
            raise SettingsError("certificate_fields", f"ukjent felt: {unknown[0]}")
        extra = doc.get("extra", {})
        if not isinstance(extra, Mapping):
            raise SettingsError("extra", "må være et objekt")
        return cls(
            validity_months=_int(doc.get("validity_months", default.validity_months), "validity_months", 1, 120),
            normative_documents=tuple(_text(v, "normative_documents", 300)
                                      for v in _list(doc.get("normative_documents", []), "normative_documents")),
            surveillance=surveillance,
            recertification_lead_months=_int(doc.get("recertification_lead_months", default.recertification_lead_months),
                                             "recertification_lead_months", 0, 24),
            recertification_warning_days=tuple(sorted(
                {_int(v, "recertification_warning_days", 0, 730)
                 for v in _list(doc.get("recertification_warning_days", list(default.recertification_warning_days)),
                                "recertification_warning_days")}, reverse=True)),
            grades=grades,
            close_document_findings_before_audit=_bool(doc.get("close_document_findings_before_audit", False),
                                                       "close_document_findings_before_audit"),
            deadlines=_deadlines(doc.get("deadlines", {})),
            retention_years=_int(doc.get("retention_years", default.retention_years), "retention_years", 1, 50),
            certificate_fields=certificate_fields,
            certificate_title=_text(doc.get("certificate_title", default.certificate_title), "certificate_title", 120),
            extra=dict(extra),
        )

    def with_changes(self, **changes) -> "SchemeSettings":
        return replace(self, **changes)


# -- validation helpers ------------------------------------------------------------------------------

def _no_unknown(doc: Mapping, known: set[str], prefix: str) -> None:
    for key in doc:
        if key not in known:
            raise SettingsError(f"{prefix}{key}", "ukjent innstilling")


def _int(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(name, "må være et heltall")
    if not low <= value <= high:
        raise SettingsError(name, f"må være mellom {low} og {high}")
    return value


def _bool(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(name, "må være sann eller usann")
    return value


def _text(value, name: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(name, "må være en tekst")
    if len(value) > max_length:
        raise SettingsError(name, f"kan ikke være lengre enn {max_length} tegn")
    return value.strip()


def _list(value, name: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise SettingsError(name, "må være en liste")
    return list(value)


def _surveillance(doc) -> SurveillanceRule:
    if not isinstance(doc, Mapping):
        raise SettingsError("surveillance", "må være et objekt")
    _no_unknown(doc, {f.name for f in fields(SurveillanceRule)}, "surveillance.")
    d = SurveillanceRule()
    mode = doc.get("mode", d.mode)
    if mode not in SURVEILLANCE_MODES:
        raise SettingsError("surveillance.mode", "ukjent overvåkningsregel")
    rule = SurveillanceRule(
        mode=mode,
        period_months=_int(doc.get("period_months", d.period_months), "surveillance.period_months", 1, 60),
        min_count=_int(doc.get("min_count", d.min_count), "surveillance.min_count", 0, 20),
        document_only_after_clean=_bool(doc.get("document_only_after_clean", d.document_only_after_clean),
                                        "surveillance.document_only_after_clean"),
        warn_days=_int(doc.get("warn_days", d.warn_days), "surveillance.warn_days", 0, 365),
    )
    if mode == SURVEILLANCE_COUNT and rule.min_count < 1:
        raise SettingsError("surveillance.min_count", "må være minst 1")
    return rule


def _grade(doc, name: str) -> Grade:
    if not isinstance(doc, Mapping):
        raise SettingsError(name, "må være et objekt")
    _no_unknown(doc, {f.name for f in fields(Grade)}, f"{name}.")
    days = doc.get("correction_days")
    return Grade(
        code=_text(doc.get("code"), f"{name}.code", 20),
        label=_text(doc.get("label"), f"{name}.label", 80),
        must_close_before_issue=_bool(doc.get("must_close_before_issue", True), f"{name}.must_close_before_issue"),
        correction_days=None if days is None else _int(days, f"{name}.correction_days", 1, 365),
    )


def _deadlines(doc) -> StepDeadlines:
    if not isinstance(doc, Mapping):
        raise SettingsError("deadlines", "må være et objekt")
    _no_unknown(doc, {f.name for f in fields(StepDeadlines)}, "deadlines.")
    d = StepDeadlines()
    return StepDeadlines(**{f.name: _int(doc.get(f.name, getattr(d, f.name)), f"deadlines.{f.name}", 0, 365)
                            for f in fields(StepDeadlines)})


# The seed 000 grades, the default of the audit schemes.
SEED_000_GRADES = (
    Grade("serious", "Alvorlig avvik", True, 14),
    Grade("minor", "Mindre alvorlig avvik", True, 30),
    Grade("observation", "Observasjon", False, None),
)
