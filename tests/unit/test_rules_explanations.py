"""Each criterion's explanation names only what is missing for that criterion (issue 13): a mapping B1
refuses does not make B2 fail when its report and plan exist.  Pure: no app, no database."""
from dataclasses import replace

from saas.hms.rules import MappingMethod, Outcome, evaluate
from tests.unit.test_rules import compliant_facts, with_physical


def test_b2_holds_when_b1_waits_for_verification_but_report_and_plan_exist():
    facts = with_physical(compliant_facts(), method=MappingMethod.SELF, evidence_verified=False)

    verdict = evaluate(facts)

    assert verdict.criterion("B1").outcome is Outcome.NOT_MET
    assert "kontrollert" in verdict.criterion("B1").reason
    b2 = verdict.criterion("B2")
    assert b2.outcome is Outcome.MET
    assert "Skriftlig rapport finnes" in b2.reason
    assert [c.id for c in verdict.missing_for_next] == ["B1"]


def test_b2_without_any_mapping_names_the_missing_report_and_plan_not_b1():
    verdict = evaluate(replace(compliant_facts(), physical_mappings=()))

    b2 = verdict.criterion("B2")
    assert b2.outcome is Outcome.NOT_MET
    assert "rapport og handlingsplan" in b2.reason
    assert "godkjent" not in b2.reason


def test_b2_still_fails_on_its_own_missing_report_when_b1_fails():
    facts = with_physical(compliant_facts(), method=MappingMethod.SELF, evidence_verified=False, has_report=False)

    b2 = evaluate(facts).criterion("B2")

    assert b2.outcome is Outcome.NOT_MET
    assert "mangler skriftlig rapport" in b2.reason
