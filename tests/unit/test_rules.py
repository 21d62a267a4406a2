"""The HMS class rules (seed 001, DOMAIN.md): every criterion at its boundary, the B-alt path,
the waivers, and properties that must hold for any facts. Pure: no app, no database."""

import copy
import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saas.hms.rules import (
    A_CRITERIA,
    A_PLUS_CRITERIA,
    B_CRITERIA,
    CRITERIA_ORDER,
    RULESET_VERSION,
    ActionItem,
    ActionStatus,
    Attestation,
    BAlternative,
    CertClass,
    ComplianceCheck,
    MappingMethod,
    Outcome,
    PhysicalMapping,
    PreviousCertificate,
    PsychosocialMapping,
    Ref,
    RiskAssessment,
    SafetyRound,
    YearFacts,
    decide_class,
    evaluate,
    is_in_active_improvement,
    is_ok,
    within_cycle,
)

AS_OF = date(2026, 6, 15)
YEAR = 2026
TODAY = AS_OF
YESTERDAY = AS_OF - timedelta(days=1)
TOMORROW = AS_OF + timedelta(days=1)
EXACTLY_12_MONTHS_BACK = date(2025, 6, 15)
ONE_DAY_MORE = date(2025, 6, 14)

MET, NOT_MET, WAIVED = Outcome.MET, Outcome.NOT_MET, Outcome.WAIVED
B, A, A_PLUS = CertClass.B, CertClass.A, CertClass.A_PLUS
ALL_COMPLIANCE_KEYS = ("employment_contracts", "equipment_inspection", "safety_representative", "amu",
                       "regulations_available", "internal_control_system")

# Fixed ids so tests can name the record they break.
NOISE_SCREEN, LIGHTING, ROLES, TALKS = 10, 11, 20, 21


# --- factories --------------------------------------------------------------------------------------

def physical_mapping(**changes) -> PhysicalMapping:
    base = PhysicalMapping(id=1, completed_on=date(2026, 3, 2), method=MappingMethod.PROVIDER,
                           evidence_verified=False, has_report=True, finding_count=2)
    return replace(base, **changes)


def psychosocial_mapping(**changes) -> PsychosocialMapping:
    base = PsychosocialMapping(id=1, completed_on=date(2026, 4, 10), method_interviews=True, method_survey=True,
                               has_report=True, reviewed_with_management_on=date(2026, 4, 20),
                               no_significant_conditions=False, done_by_provider=True)
    return replace(base, **changes)


def action_items() -> tuple[ActionItem, ...]:
    return (
        ActionItem(NOISE_SCREEN, "Skjerme støyende maskin", "physical", ActionStatus.DONE, date(2026, 5, 1), True),
        ActionItem(LIGHTING, "Bytte lysarmaturer på lageret", "physical", ActionStatus.IN_PROGRESS,
                   date(2026, 9, 1), True),
        ActionItem(ROLES, "Avklare roller i prosjektteamet", "psychosocial", ActionStatus.IN_PROGRESS,
                   date(2026, 10, 1), True),
        ActionItem(TALKS, "Medarbeidersamtaler for alle", "psychosocial", ActionStatus.DONE, None, True),
    )


def compliant_facts(**changes) -> YearFacts:
    """A company that meets every criterion of class A+ as of AS_OF (B5 met, not waived)."""
    base = YearFacts(
        as_of=AS_OF,
        year=YEAR,
        employee_count=12,
        works_off_premises=True,
        physical_mappings=(physical_mapping(),),
        action_items=action_items(),
        risk_assessments=(RiskAssessment(1, date(2026, 3, 10)),),
        safety_rounds=(SafetyRound(1, date(2026, 4, 1)),),
        psychosocial_mappings=(psychosocial_mapping(),),
        previous_psychosocial_no_significant_conditions=None,
        compliance_checks=tuple(ComplianceCheck(i, key, True) for i, key in enumerate(ALL_COMPLIANCE_KEYS, 1)),
        a4_attestation=Attestation(7, "Månedlige trivselsmøter og oppfølging av sykefravær", date(2026, 5, 20)),
        a_plus_2_attestation=Attestation(8, "Ledelsen behandler HMS som fast sak i hvert styremøte",
                                         date(2026, 6, 1)),
        previous_certificate=PreviousCertificate(99, CertClass.A, False, YEAR - 1),
    )
    return replace(base, **changes)


def with_physical(facts: YearFacts, **changes) -> YearFacts:
    return replace(facts, physical_mappings=tuple(replace(m, **changes) for m in facts.physical_mappings))


def with_psychosocial(facts: YearFacts, **changes) -> YearFacts:
    return replace(facts, psychosocial_mappings=tuple(replace(m, **changes) for m in facts.psychosocial_mappings))


def with_item(facts: YearFacts, item_id: int, **changes) -> YearFacts:
    items = tuple(replace(i, **changes) if i.id == item_id else i for i in facts.action_items)
    return replace(facts, action_items=items)


def without_items(facts: YearFacts, area: str) -> YearFacts:
    return replace(facts, action_items=tuple(i for i in facts.action_items if i.area != area))


def without_check(facts: YearFacts, key: str) -> YearFacts:
    return replace(facts, compliance_checks=tuple(c for c in facts.compliance_checks if c.key != key))


def with_check_unverified(facts: YearFacts, key: str) -> YearFacts:
    return replace(facts, compliance_checks=tuple(replace(c, verified=False) if c.key == key else c
                                                  for c in facts.compliance_checks))


def previous(cert_class: CertClass, withdrawn: bool = False, year: int = YEAR - 1) -> PreviousCertificate:
    return PreviousCertificate(99, cert_class, withdrawn, year)


def psychosocial_by_others(facts: YearFacts) -> YearFacts:
    return with_psychosocial(facts, done_by_provider=False)


def rank(cert_class: CertClass | None) -> int:
    return 0 if cert_class is None else cert_class.rank


# --- the table: one thing broken (or bent to its boundary) per row ------------------------------------

ROWS = [
    # B1
    ("a provider's physical mapping dated exactly 12 months back counts",
     lambda f: with_physical(f, completed_on=EXACTLY_12_MONTHS_BACK), "B1", MET, A_PLUS),
    ("a physical mapping one day more than 12 months back does not count",
     lambda f: with_physical(f, completed_on=ONE_DAY_MORE), "B1", NOT_MET, None),
    ("a physical mapping dated after the as-of date does not count",
     lambda f: with_physical(f, completed_on=TOMORROW), "B1", NOT_MET, None),
    ("a physical mapping without a completion date does not count",
     lambda f: with_physical(f, completed_on=None), "B1", NOT_MET, None),
    ("no physical mapping at all fails B1",
     lambda f: replace(f, physical_mappings=()), "B1", NOT_MET, None),
    ("a company's own physical mapping with evidence verified by a consultant counts",
     lambda f: with_physical(f, method=MappingMethod.SELF, evidence_verified=True), "B1", MET, A_PLUS),
    ("a company's own physical mapping without verified evidence does not count",
     lambda f: with_physical(f, method=MappingMethod.SELF, evidence_verified=False), "B1", NOT_MET, None),
    ("a third party's physical mapping with verified evidence counts",
     lambda f: with_physical(f, method=MappingMethod.THIRD_PARTY, evidence_verified=True), "B1", MET, A_PLUS),
    ("a third party's physical mapping without verified evidence does not count",
     lambda f: with_physical(f, method=MappingMethod.THIRD_PARTY), "B1", NOT_MET, None),
    # B2
    ("a physical mapping without a written report fails B2",
     lambda f: with_physical(f, has_report=False), "B2", NOT_MET, None),
    ("findings without any physical action item fail B2",
     lambda f: without_items(f, "physical"), "B2", NOT_MET, None),
    ("a physical mapping without findings needs no action items",
     lambda f: with_physical(without_items(f, "physical"), finding_count=0), "B2", MET, A_PLUS),
    # B3
    ("a risk assessment dated exactly 12 months back counts",
     lambda f: replace(f, risk_assessments=(RiskAssessment(1, EXACTLY_12_MONTHS_BACK),)), "B3", MET, A_PLUS),
    ("a risk assessment one day more than 12 months back does not count",
     lambda f: replace(f, risk_assessments=(RiskAssessment(1, ONE_DAY_MORE),)), "B3", NOT_MET, None),
    ("no risk assessment fails B3",
     lambda f: replace(f, risk_assessments=()), "B3", NOT_MET, None),
    # B4
    ("a physical action item due today is still in active improvement",
     lambda f: with_item(f, LIGHTING, deadline=TODAY), "B4", MET, A_PLUS),
    ("a physical action item due yesterday is overdue",
     lambda f: with_item(f, LIGHTING, deadline=YESTERDAY), "B4", NOT_MET, None),
    ("an open physical action item is not in active improvement",
     lambda f: with_item(f, LIGHTING, status=ActionStatus.OPEN, started=False), "B4", NOT_MET, None),
    ("an in-progress physical action item without a deadline is in active improvement",
     lambda f: with_item(f, LIGHTING, deadline=None), "B4", MET, A_PLUS),
    ("a done physical action item is fine even after its deadline",
     lambda f: with_item(f, NOISE_SCREEN, deadline=date(2026, 1, 1)), "B4", MET, A_PLUS),
    ("an overdue psychosocial item does not count against B4",
     lambda f: with_item(f, ROLES, deadline=YESTERDAY), "B4", MET, A),
    # B5
    ("a company working on its own premises has B5 waived",
     lambda f: replace(f, works_off_premises=False, safety_rounds=()), "B5", WAIVED, A_PLUS),
    ("off-site work without a safety round fails B5",
     lambda f: replace(f, safety_rounds=()), "B5", NOT_MET, None),
    ("a safety round dated exactly 12 months back counts",
     lambda f: replace(f, safety_rounds=(SafetyRound(1, EXACTLY_12_MONTHS_BACK),)), "B5", MET, A_PLUS),
    ("a safety round one day more than 12 months back does not count",
     lambda f: replace(f, safety_rounds=(SafetyRound(1, ONE_DAY_MORE),)), "B5", NOT_MET, None),
    ("documented other safeguarding of off-site work replaces the safety round",
     lambda f: replace(f, safety_rounds=(), other_safeguarding_ref=Ref("document", 5, "Rutine for arbeid hos kunde")),
     "B5", MET, A_PLUS),
    # A1
    ("a psychosocial mapping by survey only fails A1",
     lambda f: with_psychosocial(f, method_interviews=False), "A1", NOT_MET, B),
    ("a psychosocial mapping without a written report fails A1",
     lambda f: with_psychosocial(f, has_report=False), "A1", NOT_MET, B),
    ("a psychosocial report not reviewed with management fails A1",
     lambda f: with_psychosocial(f, reviewed_with_management_on=None), "A1", NOT_MET, B),
    ("a management review dated before the mapping was completed does not count",
     lambda f: with_psychosocial(f, reviewed_with_management_on=date(2026, 4, 1)), "A1", NOT_MET, B),
    ("a management review dated after the as-of date does not count",
     lambda f: with_psychosocial(f, reviewed_with_management_on=TOMORROW), "A1", NOT_MET, B),
    ("a psychosocial mapping dated exactly 12 months back counts",
     lambda f: with_psychosocial(f, completed_on=EXACTLY_12_MONTHS_BACK,
                                 reviewed_with_management_on=date(2025, 7, 1)), "A1", MET, A_PLUS),
    ("a psychosocial mapping one day more than 12 months back does not count",
     lambda f: with_psychosocial(f, completed_on=ONE_DAY_MORE, reviewed_with_management_on=date(2025, 7, 1)),
     "A1", NOT_MET, B),
    ("A1 is waived when the previous mapping found nothing calling for a new one",
     lambda f: replace(f, psychosocial_mappings=(), previous_psychosocial_no_significant_conditions=True),
     "A1", WAIVED, A_PLUS),
    ("A1 is not waived when the previous mapping found conditions",
     lambda f: replace(f, psychosocial_mappings=(), previous_psychosocial_no_significant_conditions=False),
     "A1", NOT_MET, B),
    ("A1 is not waived when there is no previous cycle",
     lambda f: replace(f, psychosocial_mappings=()), "A1", NOT_MET, B),
    # A2
    ("A2 is waived when the provider did every mapping",
     lambda f: f, "A2", WAIVED, A_PLUS),
    ("a mapping by others with every key compliance point verified meets A2",
     lambda f: with_physical(f, method=MappingMethod.SELF, evidence_verified=True), "A2", MET, A_PLUS),
    ("a company's own mapping with employment contracts not verified fails A2",
     lambda f: with_check_unverified(with_physical(f, method=MappingMethod.THIRD_PARTY, evidence_verified=True),
                                     "employment_contracts"), "A2", NOT_MET, B),
    ("a psychosocial mapping by others without compliance checks fails A2",
     lambda f: replace(psychosocial_by_others(f), compliance_checks=()), "A2", NOT_MET, B),
    ("an AMU is required from 30 employees",
     lambda f: without_check(replace(psychosocial_by_others(f), employee_count=30), "amu"), "A2", NOT_MET, B),
    ("an AMU is not required at 29 employees",
     lambda f: without_check(replace(psychosocial_by_others(f), employee_count=29), "amu"), "A2", MET, A_PLUS),
    ("an AMU is required when the headcount is unknown",
     lambda f: without_check(replace(psychosocial_by_others(f), employee_count=None), "amu"), "A2", NOT_MET, B),
    ("below 5 employees the safety representative point (a written agreement) is still required",
     lambda f: without_check(replace(psychosocial_by_others(f), employee_count=4), "safety_representative"),
     "A2", NOT_MET, B),
    ("below 5 employees a verified written agreement meets the safety representative point",
     lambda f: replace(psychosocial_by_others(f), employee_count=4), "A2", MET, A_PLUS),
    # A3
    ("an earlier physical mapping in the cycle without a report fails A3",
     lambda f: replace(f, physical_mappings=(*f.physical_mappings,
                                             physical_mapping(id=2, completed_on=date(2026, 1, 10), has_report=False))),
     "A3", NOT_MET, B),
    ("an overdue physical action item fails A3 too",
     lambda f: with_item(f, LIGHTING, deadline=YESTERDAY), "A3", NOT_MET, None),
    # A4
    ("no consultant's attestation fails A4",
     lambda f: replace(f, a4_attestation=None), "A4", NOT_MET, B),
    ("a consultant's attestation with a blank note fails A4",
     lambda f: replace(f, a4_attestation=replace(f.a4_attestation, note="   ")), "A4", NOT_MET, B),
    ("a consultant's attestation older than 12 months fails A4",
     lambda f: replace(f, a4_attestation=replace(f.a4_attestation, on=ONE_DAY_MORE)), "A4", NOT_MET, B),
    # A+1
    ("a previous year's A+ counts for A+1",
     lambda f: replace(f, previous_certificate=previous(CertClass.A_PLUS)), "A+1", MET, A_PLUS),
    ("a previous year's A that was withdrawn does not count",
     lambda f: replace(f, previous_certificate=previous(CertClass.A, withdrawn=True)), "A+1", NOT_MET, A),
    ("a previous year's B does not count",
     lambda f: replace(f, previous_certificate=previous(CertClass.B)), "A+1", NOT_MET, A),
    ("no previous year's certificate fails A+1",
     lambda f: replace(f, previous_certificate=None), "A+1", NOT_MET, A),
    ("an A from two years ago does not count",
     lambda f: replace(f, previous_certificate=previous(CertClass.A, year=YEAR - 2)), "A+1", NOT_MET, A),
    # A+2
    ("no attestation by the deciding person fails A+2",
     lambda f: replace(f, a_plus_2_attestation=None), "A+2", NOT_MET, A),
    ("an attestation by the deciding person with an empty note fails A+2",
     lambda f: replace(f, a_plus_2_attestation=replace(f.a_plus_2_attestation, note="")), "A+2", NOT_MET, A),
    # A+3
    ("A+3 is waived when the psychosocial mapping found no significant deviations",
     lambda f: with_psychosocial(without_items(f, "psychosocial"), no_significant_conditions=True),
     "A+3", WAIVED, A_PLUS),
    ("A+3 is waived in a year without a new mapping when the previous one found nothing",
     lambda f: replace(without_items(f, "psychosocial"), psychosocial_mappings=(),
                       previous_psychosocial_no_significant_conditions=True), "A+3", WAIVED, A_PLUS),
    ("deviations in the psychosocial mapping without an action plan fail A+3",
     lambda f: without_items(f, "psychosocial"), "A+3", NOT_MET, A),
    ("a psychosocial action item due today is still in active improvement",
     lambda f: with_item(f, ROLES, deadline=TODAY), "A+3", MET, A_PLUS),
    ("a psychosocial action item due yesterday is overdue",
     lambda f: with_item(f, ROLES, deadline=YESTERDAY), "A+3", NOT_MET, A),
    ("an open psychosocial action item fails A+3",
     lambda f: with_item(f, ROLES, status=ActionStatus.OPEN, started=False), "A+3", NOT_MET, A),
    ("an overdue psychosocial item fails A+3 even when the waiver applies",
     lambda f: with_item(with_psychosocial(f, no_significant_conditions=True), ROLES, deadline=YESTERDAY),
     "A+3", NOT_MET, A),
]


@pytest.mark.parametrize(("change", "criterion", "outcome", "eligible"),
                         [pytest.param(*row[1:], id=row[0]) for row in ROWS])
def test_criterion_at_its_boundary(change, criterion, outcome, eligible):
    verdict = evaluate(change(compliant_facts()))

    result = verdict.criterion(criterion)
    assert result.outcome is outcome, result.reason
    assert result.reason.strip()
    assert verdict.eligible is eligible


# --- the whole verdict ----------------------------------------------------------------------------------

def test_a_fully_compliant_company_is_eligible_for_a_plus_with_nothing_missing():
    verdict = evaluate(compliant_facts())

    assert verdict.eligible is A_PLUS
    assert verdict.next_class is None
    assert verdict.missing_for_next == ()
    assert verdict.used_b_alternative is False
    assert verdict.ruleset_version == RULESET_VERSION == "hms-001/2026.1"


def test_criteria_come_in_the_fixed_order():
    verdict = evaluate(compliant_facts())

    assert [c.id for c in verdict.criteria] == ["B1", "B2", "B3", "B4", "B5", "B-alt", "A1", "A2", "A3", "A4",
                                                "A+1", "A+2", "A+3"]
    assert tuple(c.id for c in verdict.criteria) == CRITERIA_ORDER


def test_without_class_b_the_missing_list_holds_only_the_failing_b_criteria():
    facts = replace(compliant_facts(), risk_assessments=(), a4_attestation=None, previous_certificate=None)

    verdict = evaluate(facts)

    assert verdict.eligible is None
    assert verdict.next_class is B
    assert [c.id for c in verdict.missing_for_next] == ["B3"]


def test_class_b_lists_the_failing_a_criteria_as_missing_for_a():
    facts = replace(compliant_facts(), a4_attestation=None, psychosocial_mappings=(), previous_certificate=None)

    verdict = evaluate(facts)

    assert verdict.eligible is B
    assert verdict.next_class is A
    assert [c.id for c in verdict.missing_for_next] == ["A1", "A4"]


def test_class_a_lists_the_failing_a_plus_criteria_as_missing_for_a_plus():
    facts = replace(compliant_facts(), previous_certificate=previous(CertClass.B), a_plus_2_attestation=None)

    verdict = evaluate(facts)

    assert verdict.eligible is A
    assert verdict.next_class is A_PLUS
    assert [c.id for c in verdict.missing_for_next] == ["A+1", "A+2"]
    assert all(c.outcome is NOT_MET for c in verdict.missing_for_next)


def test_a_criterion_names_the_records_that_decided_it():
    facts = with_item(compliant_facts(), LIGHTING, deadline=YESTERDAY)

    verdict = evaluate(facts)

    assert Ref("physical_mapping", 1, "Fysisk kartlegging 02.03.2026") in verdict.criterion("B1").refs
    assert [(r.kind, r.id) for r in verdict.criterion("B4").refs] == [("action_item", LIGHTING)]
    assert "«Bytte lysarmaturer på lageret» har passert fristen 14.06.2026" in verdict.criterion("B4").reason
    assert verdict.criterion("A+1").refs[0].kind == "certificate"


def test_a_stale_record_is_named_in_the_reason():
    facts = replace(compliant_facts(), risk_assessments=(RiskAssessment(4, ONE_DAY_MORE),))

    b3 = evaluate(facts).criterion("B3")

    assert "14.06.2025" in b3.reason
    assert [(r.kind, r.id) for r in b3.refs] == [("risk_assessment", 4)]


# --- B-alt ------------------------------------------------------------------------------------------------

B_ALT_JUSTIFICATION = BAlternative("Kontorbedrift der det psykososiale arbeidsmiljøet er viktigst", 7)


def test_b_alternative_grants_class_b_when_the_physical_mapping_is_missing():
    facts = replace(compliant_facts(), physical_mappings=(), b_alternative=B_ALT_JUSTIFICATION)

    verdict = evaluate(facts)

    assert verdict.eligible is B
    assert verdict.used_b_alternative is True
    b_alt = verdict.criterion("B-alt")
    assert b_alt.outcome is MET
    assert "Kontorbedrift" in b_alt.reason
    assert b_alt.refs == (Ref("user", 7, "Begrunnelse for klasse B av andre grunner"),)


def test_b_alternative_opens_class_b_only_so_class_a_still_needs_b_own_criteria():
    facts = replace(compliant_facts(), physical_mappings=(), b_alternative=B_ALT_JUSTIFICATION)

    verdict = evaluate(facts)

    # Every A criterion but A3 holds (A3 reads the missing mapping's reports), yet A is out of reach.
    assert verdict.next_class is A
    assert [c.id for c in verdict.missing_for_next] == ["B1", "B2", "A3"]


def test_b_alternative_with_a_blank_justification_is_not_used():
    facts = replace(compliant_facts(), physical_mappings=(), b_alternative=BAlternative("  \n", 7))

    verdict = evaluate(facts)

    assert verdict.eligible is None
    assert verdict.used_b_alternative is False
    assert verdict.criterion("B-alt").outcome is NOT_MET


def test_b_alternative_cannot_replace_the_risk_assessment():
    facts = replace(compliant_facts(), physical_mappings=(), risk_assessments=(), b_alternative=B_ALT_JUSTIFICATION)

    verdict = evaluate(facts)

    assert verdict.eligible is None
    assert "B3" in verdict.criterion("B-alt").reason


def test_b_alternative_is_not_used_when_class_b_holds_on_its_own():
    verdict = evaluate(replace(compliant_facts(), b_alternative=B_ALT_JUSTIFICATION))

    assert verdict.eligible is A_PLUS
    assert verdict.used_b_alternative is False
    assert verdict.criterion("B-alt").outcome is NOT_MET
    assert verdict.criterion("B-alt").reason.startswith("Ikke brukt")


def test_an_absent_b_alternative_is_never_listed_as_missing():
    verdict = evaluate(replace(compliant_facts(), physical_mappings=()))

    assert verdict.eligible is None
    assert verdict.criterion("B-alt").outcome is NOT_MET
    assert verdict.criterion("B-alt").reason.startswith("Ikke brukt")
    assert "B-alt" not in [c.id for c in verdict.missing_for_next]
    assert [c.id for c in verdict.missing_for_next] == ["B1", "B2"]


# --- the cycle and the action plan ---------------------------------------------------------------------------

@pytest.mark.parametrize(("d", "as_of", "inside"), [
    pytest.param(EXACTLY_12_MONTHS_BACK, AS_OF, True, id="exactly 12 months back is inside"),
    pytest.param(ONE_DAY_MORE, AS_OF, False, id="one day more than 12 months back is outside"),
    pytest.param(AS_OF, AS_OF, True, id="the as-of date itself is inside"),
    pytest.param(TOMORROW, AS_OF, False, id="a date after the as-of date is outside"),
    pytest.param(None, AS_OF, False, id="no date is outside"),
    pytest.param(date(2027, 2, 28), date(2028, 2, 29), True, id="from 29 February the cycle starts on 28 February"),
    pytest.param(date(2027, 2, 27), date(2028, 2, 29), False, id="from 29 February one day more is outside"),
    pytest.param(date(2024, 2, 29), date(2025, 3, 1), False, id="29 February is outside a cycle from 1 March"),
    pytest.param(date(2024, 3, 1), date(2025, 3, 1), True, id="1 March a year back is inside a cycle from 1 March"),
    pytest.param(date(2024, 2, 28), date(2025, 2, 28), True, id="28 February a leap year back is inside"),
])
def test_within_cycle(d, as_of, inside):
    assert within_cycle(d, as_of) is inside


def _item(status, deadline, started=True):
    return ActionItem(1, "Tiltak", "physical", status, deadline, started)


@pytest.mark.parametrize(("item", "active", "ok"), [
    pytest.param(_item(ActionStatus.IN_PROGRESS, TODAY), True, True, id="in progress and due today"),
    pytest.param(_item(ActionStatus.IN_PROGRESS, YESTERDAY), False, False, id="in progress and due yesterday"),
    pytest.param(_item(ActionStatus.IN_PROGRESS, None), True, True, id="in progress without a deadline"),
    pytest.param(_item(ActionStatus.IN_PROGRESS, TOMORROW, started=False), False, False,
                 id="in progress but not marked started"),
    pytest.param(_item(ActionStatus.OPEN, TOMORROW), False, False, id="open, not yet due"),
    pytest.param(_item(ActionStatus.OPEN, None, started=False), False, False, id="open without a deadline"),
    pytest.param(_item(ActionStatus.DONE, YESTERDAY), False, True, id="done after its deadline"),
])
def test_an_action_item_is_in_active_improvement_when_started_and_not_overdue(item, active, ok):
    assert is_in_active_improvement(item, AS_OF) is active
    assert is_ok(item, AS_OF) is ok


# --- purity and plain data ---------------------------------------------------------------------------------

def test_evaluate_does_not_change_its_input():
    facts = with_item(replace(compliant_facts(), b_alternative=B_ALT_JUSTIFICATION), LIGHTING, deadline=YESTERDAY)
    before = copy.deepcopy(facts)

    evaluate(facts)

    assert facts == before


def test_the_verdict_turns_into_json_safe_plain_data():
    verdict = evaluate(with_item(compliant_facts(), ROLES, deadline=YESTERDAY))

    data = verdict.to_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["eligible"] == "A"
    assert data["next_class"] == "A+"
    assert data["missing_for_next"][0]["id"] == "A+3"
    assert data["missing_for_next"][0]["outcome"] == "not_met"
    assert data["criteria"][0]["refs"][0] == {"kind": "physical_mapping", "id": 1,
                                              "label": "Fysisk kartlegging 02.03.2026"}


def test_facts_refuse_a_list_where_a_tuple_belongs():
    with pytest.raises(TypeError):
        YearFacts(as_of=AS_OF, year=YEAR, risk_assessments=[RiskAssessment(1, AS_OF)])


def test_an_action_item_refuses_an_unknown_area():
    with pytest.raises(ValueError):
        ActionItem(1, "Tiltak", "fysisk", ActionStatus.DONE, None, True)


# --- properties --------------------------------------------------------------------------------------------------

@settings(database=None)
@given(before=st.fixed_dictionaries({cid: st.sampled_from(Outcome) for cid in CRITERIA_ORDER}),
       fixed=st.sets(st.sampled_from(CRITERIA_ORDER)))
def test_meeting_more_criteria_never_lowers_the_class(before, fixed):
    after = {cid: (MET if cid in fixed else outcome) for cid, outcome in before.items()}

    assert rank(decide_class(after)) >= rank(decide_class(before))


# Each break spoils one fact of a company that holds A+ (with B-alt on file); breaks touch different fields,
# so any set of them can be applied together, in this order.
BREAKS = {
    "physical mapping stale": lambda f: with_physical(f, completed_on=ONE_DAY_MORE),
    "physical mapping own and unverified": lambda f: with_physical(f, method=MappingMethod.SELF,
                                                                   evidence_verified=False),
    "physical report missing": lambda f: with_physical(f, has_report=False),
    "physical item overdue": lambda f: with_item(f, LIGHTING, deadline=YESTERDAY),
    "physical item not started": lambda f: with_item(f, NOISE_SCREEN, status=ActionStatus.OPEN, started=False),
    "risk assessment stale": lambda f: replace(f, risk_assessments=(RiskAssessment(1, ONE_DAY_MORE),)),
    "safety round missing": lambda f: replace(f, safety_rounds=()),
    "psychosocial by survey only": lambda f: with_psychosocial(f, method_interviews=False),
    "psychosocial report not reviewed": lambda f: with_psychosocial(f, reviewed_with_management_on=None),
    "psychosocial mapping by others": psychosocial_by_others,
    "contracts unverified": lambda f: with_check_unverified(f, "employment_contracts"),
    "previous psychosocial found conditions":
        lambda f: replace(f, previous_psychosocial_no_significant_conditions=False),
    "psychosocial item overdue": lambda f: with_item(f, ROLES, deadline=YESTERDAY),
    "no A4 attestation": lambda f: replace(f, a4_attestation=None),
    "no A+2 attestation": lambda f: replace(f, a_plus_2_attestation=None),
    "previous certificate withdrawn": lambda f: replace(f, previous_certificate=previous(CertClass.A, withdrawn=True)),
    "previous certificate class B": lambda f: replace(f, previous_certificate=replace(f.previous_certificate,
                                                                                      cert_class=CertClass.B)),
    "no B-alt justification": lambda f: replace(f, b_alternative=None),
}


def _broken(names) -> YearFacts:
    facts = replace(compliant_facts(), b_alternative=B_ALT_JUSTIFICATION,
                    previous_psychosocial_no_significant_conditions=True)
    for name, brk in BREAKS.items():
        if name in names:
            facts = brk(facts)
    return facts


@settings(database=None)
@given(data=st.data(), broken=st.sets(st.sampled_from(sorted(BREAKS))))
def test_fixing_a_fact_never_lowers_the_class(data, broken):
    still_broken = data.draw(st.sets(st.sampled_from(sorted(broken))) if broken else st.just(set()))

    worse, better = evaluate(_broken(broken)), evaluate(_broken(still_broken))

    assert rank(better.eligible) >= rank(worse.eligible)


def _numbered(records):
    # Distinct ids, as the database guarantees.
    return st.lists(records, max_size=3).map(lambda rs: tuple(replace(r, id=i) for i, r in enumerate(rs, 1)))


_dates = st.one_of(
    st.sampled_from([EXACTLY_12_MONTHS_BACK, ONE_DAY_MORE, TODAY, YESTERDAY, TOMORROW]),
    st.dates(min_value=AS_OF - timedelta(days=800), max_value=AS_OF + timedelta(days=30)),
)
_maybe_dates = st.none() | _dates
_notes = st.sampled_from(["", "  ", "Fast HMS-sak på ledermøtene"])
_attestations = st.none() | st.builds(Attestation, by_user_id=st.integers(1, 5), note=_notes, on=_dates)
_previous_certificates = st.none() | st.builds(PreviousCertificate, id=st.just(99),
                                               cert_class=st.sampled_from(CertClass), withdrawn=st.booleans(),
                                               year=st.sampled_from([YEAR - 2, YEAR - 1, YEAR]))

random_facts = st.builds(
    YearFacts,
    as_of=st.just(AS_OF),
    year=st.just(YEAR),
    employee_count=st.none() | st.integers(0, 60),
    works_off_premises=st.booleans(),
    physical_mappings=_numbered(st.builds(PhysicalMapping, id=st.just(0), completed_on=_maybe_dates,
                                          method=st.sampled_from(MappingMethod), evidence_verified=st.booleans(),
                                          has_report=st.booleans(), finding_count=st.integers(0, 3))),
    action_items=_numbered(st.builds(ActionItem, id=st.just(0), title=st.just("Tiltak"),
                                     area=st.sampled_from(["physical", "psychosocial"]),
                                     status=st.sampled_from(ActionStatus), deadline=_maybe_dates,
                                     started=st.booleans())),
    risk_assessments=_numbered(st.builds(RiskAssessment, id=st.just(0), assessed_on=_maybe_dates)),
    safety_rounds=_numbered(st.builds(SafetyRound, id=st.just(0), held_on=_maybe_dates)),
    other_safeguarding_ref=st.none() | st.just(Ref("document", 5, "Rutine for arbeid hos kunde")),
    psychosocial_mappings=_numbered(st.builds(PsychosocialMapping, id=st.just(0), completed_on=_maybe_dates,
                                              method_interviews=st.booleans(), method_survey=st.booleans(),
                                              has_report=st.booleans(), reviewed_with_management_on=_maybe_dates,
                                              no_significant_conditions=st.booleans(),
                                              done_by_provider=st.booleans())),
    previous_psychosocial_no_significant_conditions=st.none() | st.booleans(),
    compliance_checks=_numbered(st.builds(ComplianceCheck, id=st.just(0), key=st.sampled_from(ALL_COMPLIANCE_KEYS),
                                          verified=st.booleans())),
    a4_attestation=_attestations,
    a_plus_2_attestation=_attestations,
    previous_certificate=_previous_certificates,
    b_alternative=st.none() | st.builds(BAlternative, justification=_notes, by_user_id=st.integers(1, 5)),
)
# Random facts rarely reach A+, so also vary the previous certificate of an otherwise A+ company.
nearly_a_plus_facts = _previous_certificates.map(lambda cert: replace(compliant_facts(), previous_certificate=cert))


@settings(database=None)
@given(facts=random_facts | nearly_a_plus_facts)
def test_a_plus_is_never_given_without_a_previous_year_a_or_a_plus(facts):
    verdict = evaluate(facts)

    if verdict.eligible is A_PLUS:
        prev = facts.previous_certificate
        assert prev is not None and not prev.withdrawn and prev.year == YEAR - 1
        assert prev.cert_class in (CertClass.A, CertClass.A_PLUS)


@settings(database=None)
@given(facts=random_facts)
def test_the_same_facts_always_give_the_same_verdict(facts):
    reordered = replace(facts, **{name: tuple(reversed(getattr(facts, name))) for name in (
        "physical_mappings", "action_items", "risk_assessments", "safety_rounds", "psychosocial_mappings",
        "compliance_checks")})

    first = evaluate(facts)

    assert evaluate(facts) == first
    assert evaluate(copy.deepcopy(facts)) == first
    assert evaluate(reordered) == first
    assert json.loads(json.dumps(first.to_dict())) == first.to_dict()


@settings(database=None)
@given(facts=random_facts)
def test_any_verdict_is_consistent_with_its_criteria(facts):
    verdict = evaluate(facts)
    held = {c.id for c in verdict.criteria if c.holds}

    assert verdict.eligible is decide_class({c.id: c.outcome for c in verdict.criteria})
    assert all(c.outcome is NOT_MET for c in verdict.missing_for_next)
    assert "B-alt" not in {c.id for c in verdict.missing_for_next}
    if verdict.eligible is None:
        assert {c.id for c in verdict.missing_for_next} == set(B_CRITERIA) - held
    if verdict.eligible is A:
        assert {c.id for c in verdict.missing_for_next} == set(A_PLUS_CRITERIA) - held
    if verdict.eligible is B and not verdict.used_b_alternative:
        assert {c.id for c in verdict.missing_for_next} == set(A_CRITERIA) - held
