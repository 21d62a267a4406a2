"""A person scheme's own settings: defaults are seed 002's, every number is validated, a round trip is
lossless; the two templates parse."""
from __future__ import annotations

import pytest

from saas.persons.library import TEMPLATES
from saas.persons.requirements import Need
from saas.persons.settings import PersonSchemeSettings, PersonSettingsError


def test_the_defaults_are_seed_002s():
    settings = PersonSchemeSettings.from_document(None)
    assert settings.validity.periodic_test_months == 36 and settings.validity.unused_months == 12
    assert settings.practice.practice_1_hours == 18 and settings.practice.daily_cap_hours == 6
    assert settings.practice.type_course_max_participants == 4 and settings.revocation.appeal_days == 14
    assert settings.row("new_candidate").extra_km == 1000


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.code)
def test_every_template_round_trips(template):
    assert PersonSchemeSettings.from_document(template.person.to_document()) == template.person


@pytest.mark.parametrize("document, field", [
    ({"issues": "diploma"}, "person.issues"),
    ({"after_fail": "pray"}, "person.after_fail"),
    ({"validity": {"periodic_test_months": -3}}, "person.validity.periodic_test_months"),
    ({"validity": {"repetition_after_months": 9}}, "person.validity.new_type_training_after_months"),
    ({"practice": {"practice_1_shifts": 2.5}}, "person.practice.practice_1_shifts"),
    ({"practice": {"flying_hours": 3}}, "person.practice.flying_hours"),
    ({"revocation": {"appeal_days": "14"}}, "person.revocation.appeal_days"),
    ({"matrix": [{"category": "x", "needs": {"flying": "required"}}]}, "person.matrix.0.needs.flying"),
    ({"matrix": [{"category": "x", "needs": {"type_training": "maybe"}}]}, "person.matrix.0.needs.type_training"),
    ({"matrix": [{"category": "x"}, {"category": "x"}]}, "person.matrix"),
    ({"checklist": ["ok", ""]}, "person.checklist"),
    ({"colour": "red"}, "person.colour"),
])
def test_a_bad_setting_is_named(document, field):
    with pytest.raises(PersonSettingsError) as error:
        PersonSchemeSettings.from_document(document)
    assert error.value.field == field


def test_a_tenant_matrix_replaces_the_default():
    settings = PersonSchemeSettings.from_document({"matrix": [
        {"category": "operator", "needs": {"type_training": "required", "internal_training": "unless_documented"},
         "extra_km": 0}]})
    assert settings.categories == ("operator",)
    assert settings.row("operator").needs["internal_training"] is Need.UNLESS_DOCUMENTED
