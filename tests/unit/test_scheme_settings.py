"""The scheme settings document: validated, round-tripped, and the library's numbers are the seeds'."""
import pytest

from saas.schemes.library import BUILTIN, builtin
from saas.schemes.settings import (SURVEILLANCE_COUNT, SURVEILLANCE_EVERY_PERIOD, SchemeSettings, SettingsError)


@pytest.mark.parametrize("scheme", BUILTIN, ids=lambda s: s.code)
def test_every_builtin_settings_document_round_trips(scheme):
    doc = scheme.settings.to_document()
    assert SchemeSettings.from_document(doc) == scheme.settings
    assert SchemeSettings.from_document(doc).to_document() == doc


@pytest.mark.parametrize("code, months, mode, count, lead", [
    ("hms", 12, "none", 0, 0),
    ("opplaering-8-1", 48, SURVEILLANCE_EVERY_PERIOD, 0, 3),
    ("sakkyndig-8-6", 48, SURVEILLANCE_EVERY_PERIOD, 0, 3),
    ("ns9600-4", 36, SURVEILLANCE_COUNT, 2, 3),
    ("ns9600-5", 36, SURVEILLANCE_COUNT, 2, 3),
])
def test_the_library_carries_the_seeds_numbers(code, months, mode, count, lead):
    s = builtin(code).settings
    assert (s.validity_months, s.surveillance.mode, s.surveillance.min_count, s.recertification_lead_months) == \
        (months, mode, count, lead)


def test_seed_000_clocks_and_grades():
    s = builtin("opplaering-8-1").settings
    assert s.deadlines.pre_evaluation_days == 14 and s.deadlines.report_days == 14
    assert s.deadlines.corrective_action_review_days == 14 and s.retention_years == 10
    assert s.grades_blocking_issue == ("serious", "minor")
    assert s.surveillance.document_only_after_clean and s.surveillance.period_months == 12
    assert builtin("ns9600-5").settings.close_document_findings_before_audit


def test_the_law_is_in_the_catalogue_and_the_standard_is_not():
    law = {r.clause: r.text for r in builtin("opplaering-8-1").requirements}
    assert [c for c in law if c.startswith("§ 8-1 ")][:14] == [f"§ 8-1 {c}" for c in "abcdefghijklmn"]
    assert law["§ 8-1 f"] == "den skal ha kapasitet for sikkerhetsopplæringen,"
    assert [r.clause for r in builtin("sakkyndig-8-6").requirements][:5] == [f"§ 8-6 {c}" for c in "abcde"]
    assert all(r.text == "" for r in builtin("ns9600-5").requirements)


def test_missing_keys_take_the_defaults():
    assert SchemeSettings.from_document({}) == SchemeSettings()


@pytest.mark.parametrize("doc, field", [
    ({"validity_months": 0}, "validity_months"),
    ({"validity_months": "12"}, "validity_months"),
    ({"validity_months": True}, "validity_months"),
    ({"surprise": 1}, "surprise"),
    ({"surveillance": {"mode": "sometimes"}}, "surveillance.mode"),
    ({"surveillance": {"mode": "count_in_validity", "min_count": 0}}, "surveillance.min_count"),
    ({"deadlines": {"report_days": -1}}, "deadlines.report_days"),
    ({"deadlines": {"coffee_days": 1}}, "deadlines.coffee_days"),
    ({"grades": [{"code": "x", "label": "X"}, {"code": "x", "label": "Y"}]}, "grades"),
    ({"grades": [{"code": "x"}]}, "grades.0.label"),
    ({"certificate_fields": ["shoe_size"]}, "certificate_fields"),
    ({"normative_documents": "NS 9600"}, "normative_documents"),
    ([], "settings"),
])
def test_a_bad_document_names_the_field(doc, field):
    with pytest.raises(SettingsError) as error:
        SchemeSettings.from_document(doc)
    assert error.value.field == field


def test_warning_days_are_kept_sorted_and_unique():
    s = SchemeSettings.from_document({"recertification_warning_days": [7, 90, 30, 7]})
    assert s.recertification_warning_days == (90, 30, 7)
