"""Facts from the records, proposals, decisions and the certificate they issue (services on a real database)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from saas.audit.services import record
from saas.certification import hooks, snapshot
from saas.certification.demo import complete_year, previous_certificate
from saas.certification.models import Attestation, Certificate, CertificateEvent, CertificationProposal
from saas.certification import impartiality
from saas.certification.services import Conflict, NotFound, Refused
from saas.certification.services import decisions
from saas.certification.services.facts import gather_facts, gather_facts_bulk, verdict_for_year
from saas.hms import rules
from saas.hms.models import ActionItem, PhysicalMapping, RiskAssessment
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
        both = factories.make_user(db, tenant, roles=("consultant", "reviewer"), name="Berit Begge")
        company = factories.make_company(db, tenant, consultant_id=consultant.id, works_off_premises=True, employee_count=12)
        year = complete_year(db, company, consultant, TODAY)
        yield dict(tenant=tenant, consultant=consultant, reviewer=reviewer, both=both, company=company, year=year, db=db)


def propose(c, cert_class="A", actor=None, **data):
    return decisions.propose(c["db"], actor or c["consultant"], c["year"].id,
                             {"cert_class": cert_class, "b_alternative": False, "justification": "", **data}, TODAY)


def decide(c, proposal, actor=None, approve=True, reason="", today=TODAY):
    return decisions.decide(c["db"], c["tenant"], actor or c["reviewer"], proposal.id, approve=approve, reason=reason, today=today)


# -- facts ----------------------------------------------------------------------------------------------

def test_a_complete_year_is_eligible_for_class_a_and_names_what_a_plus_needs(ctx):
    verdict = verdict_for_year(ctx["db"], ctx["year"].id, TODAY)

    assert verdict["eligible"] == "A"
    assert verdict["company_name"] == ctx["company"].name
    assert [c["id"] for c in verdict["missing_for_next"]] == ["A+1", "A+2"]
    b1 = next(c for c in verdict["criteria"] if c["id"] == "B1")
    assert b1["outcome"] == "met" and b1["refs"][0]["kind"] == "physical_mapping"
    assert b1["title"] and b1["outcome_label"] == "Oppfylt"


def test_last_years_a_certificate_and_the_deciders_attestation_make_a_plus(ctx):
    db = ctx["db"]
    previous_certificate(db, ctx["tenant"], ctx["company"], ctx["consultant"], ctx["reviewer"], TODAY)
    db.add(Attestation(year_id=ctx["year"].id, kind="a_plus_2", note="Fast sak i ledermøtene", by_user_id=ctx["reviewer"].id,
                       on=TODAY))
    db.flush()

    assert verdict_for_year(db, ctx["year"].id, TODAY)["eligible"] == "A+"


def test_a_draft_risk_assessment_is_not_an_assessment_carried_out(ctx):
    db = ctx["db"]
    assessment = db.scalar(select(RiskAssessment).where(RiskAssessment.year_id == ctx["year"].id))
    assessment.status = "draft"
    db.flush()

    facts = gather_facts(db, ctx["year"].id, TODAY)

    assert facts.risk_assessments == ()
    assert rules.evaluate(facts).criterion("B3").outcome is rules.Outcome.NOT_MET


def test_the_physical_mapping_counts_its_findings_and_report(ctx):
    facts = gather_facts(ctx["db"], ctx["year"].id, TODAY)

    (mapping,) = facts.physical_mappings
    assert mapping.finding_count == 2 and mapping.has_report and mapping.method is rules.MappingMethod.PROVIDER
    assert {i.area for i in facts.action_items} == {"physical", "psychosocial"}
    assert facts.a4_attestation.by_user_id == ctx["consultant"].id


def test_the_previous_cycles_psychosocial_conclusion_is_read_from_last_year(ctx):
    db = ctx["db"]
    last = complete_year(db, ctx["company"], ctx["consultant"], TODAY - timedelta(days=365), year=2025)
    from saas.hms.models import PsychosocialMapping

    db.scalar(select(PsychosocialMapping).where(PsychosocialMapping.year_id == last.id)).no_significant_conditions = True
    db.flush()

    assert gather_facts(db, ctx["year"].id, TODAY).previous_psychosocial_no_significant_conditions is True
    assert gather_facts(db, last.id, TODAY).previous_psychosocial_no_significant_conditions is None


def test_facts_of_many_years_cost_the_same_queries_as_of_one(ctx, count_queries):
    db = ctx["db"]
    years = [ctx["year"].id]
    for _ in range(6):
        company = factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id)
        years.append(complete_year(db, company, ctx["consultant"], TODAY).id)

    with count_queries() as one:
        single = gather_facts_bulk(db, years[:1], TODAY)
    with count_queries() as many:
        bulk = gather_facts_bulk(db, years, TODAY)

    assert one.count == many.count <= 15
    assert bulk[years[0]] == single[years[0]]
    assert all(rules.evaluate(f).eligible is rules.CertClass.A for f in bulk.values())


def test_another_tenants_year_is_not_found(ctx, db):
    other = factories.make_tenant(db)
    bind_tenant(db, other.id)
    with pytest.raises(NotFound):
        gather_facts(db, ctx["year"].id, TODAY)


# -- proposals ------------------------------------------------------------------------------------------

def test_a_consultant_cannot_propose_above_the_eligible_class(ctx):
    with pytest.raises(Refused, match="bare kravene til klasse A, ikke klasse A\\+. Mangler: A\\+1, A\\+2"):
        propose(ctx, "A+")


def test_only_one_proposal_waits_at_a_time(ctx):
    propose(ctx, "A")
    with pytest.raises(Conflict):
        propose(ctx, "B")


def test_a_reviewer_only_cannot_propose(ctx):
    with pytest.raises(Refused):
        propose(ctx, "A", actor=ctx["reviewer"])


def _break_physical_mapping(db, year):
    for mapping in db.scalars(select(PhysicalMapping).where(PhysicalMapping.year_id == year.id)):
        mapping.status = "draft"
    db.flush()


def test_b_for_other_reasons_needs_a_written_justification(ctx):
    _break_physical_mapping(ctx["db"], ctx["year"])
    with pytest.raises(FieldErrors) as error:
        propose(ctx, None, b_alternative=True, justification="kort")
    assert "justification" in error.value.errors


def test_b_for_other_reasons_is_proposed_and_shown_as_such(ctx):
    _break_physical_mapping(ctx["db"], ctx["year"])
    with pytest.raises(Refused):
        propose(ctx, "B")  # without B-alt the rules give no class

    proposal = propose(ctx, None, b_alternative=True, justification="Virksomhetens art gjør psykososialt fokus naturlig.")

    assert proposal.cert_class == "B" and proposal.b_alternative
    verdict = verdict_for_year(ctx["db"], ctx["year"].id, TODAY)
    assert verdict["eligible"] == "B" and verdict["used_b_alternative"]
    decision, certificate = decide(ctx, proposal)
    assert certificate.cert_class == "B"
    assert decision.facts_snapshot["b_alternative"]["justification"].startswith("Virksomhetens art")


def test_b_for_other_reasons_is_refused_when_the_company_qualifies_on_its_own(ctx):
    with pytest.raises(Refused, match="uten unntak"):
        propose(ctx, None, b_alternative=True, justification="Virksomhetens art gjør psykososialt fokus naturlig.")


# -- decisions ------------------------------------------------------------------------------------------

def test_approving_issues_a_numbered_certificate_valid_twelve_months_with_the_facts_and_their_hash(ctx):
    db, heard = ctx["db"], []
    hooks.SUBSCRIBERS.append(lambda session, certificate: heard.append(certificate.number))
    try:
        decision, certificate = decide(ctx, propose(ctx, "A"))
    finally:
        hooks.SUBSCRIBERS.pop()

    assert certificate.number == "HMS-2026-0001" and heard == ["HMS-2026-0001"]
    assert certificate.issued_on == TODAY and certificate.valid_until == date(2027, 6, 14)
    assert certificate.state == "active" and len(certificate.verification_code) >= 20
    assert decision.ruleset_version == rules.RULESET_VERSION and decision.cert_class == "A"
    assert decision.facts_sha256 == snapshot.digest(decision.facts_snapshot)
    assert rules.evaluate(snapshot.facts_from_dict(decision.facts_snapshot)) == rules.evaluate(gather_facts(db, ctx["year"].id, TODAY))
    events = db.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == certificate.id)).all()
    assert [(e.from_state, e.to_state, e.by_user_id) for e in events] == [(None, "active", ctx["reviewer"].id)]
    assert ctx["year"].status == "decided"


def test_the_class_is_checked_again_at_decision_time(ctx):
    db = ctx["db"]
    proposal = propose(ctx, "A")
    item = db.scalar(select(ActionItem).where(ActionItem.year_id == ctx["year"].id, ActionItem.status == "in_progress",
                                              ActionItem.area == "physical"))
    item.deadline = TODAY - timedelta(days=1)
    db.flush()

    with pytest.raises(Refused, match="Kan ikke godkjenne klasse A: Bedriften oppfyller ikke kravene til noen klasse"):
        decide(ctx, proposal)
    assert db.scalar(select(Certificate.id)) is None


def test_sending_back_needs_a_reason_and_issues_nothing(ctx):
    proposal = propose(ctx, "A")
    with pytest.raises(FieldErrors):
        decide(ctx, proposal, approve=False, reason="")

    decision, certificate = decide(ctx, proposal, approve=False, reason="Mangler signert rapport")

    assert certificate is None and decision.outcome == "returned"
    assert proposal.status == "returned" and proposal.close_reason == "Mangler signert rapport"
    propose(ctx, "B")  # the consultant may propose again


def test_a_proposal_is_decided_once(ctx):
    proposal = propose(ctx, "A")
    decide(ctx, proposal)
    with pytest.raises(Conflict, match="allerede godkjent av Siri Sertifisør"):
        decide(ctx, proposal)


def test_a_plus_needs_the_deciders_own_attestation(ctx):
    db = ctx["db"]
    other_reviewer = factories.make_user(db, ctx["tenant"], roles=("reviewer",))
    previous_certificate(db, ctx["tenant"], ctx["company"], ctx["consultant"], ctx["reviewer"], TODAY)
    db.add(Attestation(year_id=ctx["year"].id, kind="a_plus_2", note="Fast sak i ledermøtene", by_user_id=ctx["reviewer"].id, on=TODAY))
    db.flush()
    proposal = propose(ctx, "A+")

    with pytest.raises(Refused, match="selv har bekreftet A\\+2"):
        decide(ctx, proposal, actor=other_reviewer)
    _, certificate = decide(ctx, proposal)
    assert certificate.cert_class == "A+"


def test_a_new_certificate_supersedes_last_years(ctx):
    db = ctx["db"]
    old = previous_certificate(db, ctx["tenant"], ctx["company"], ctx["consultant"], ctx["reviewer"], TODAY)
    _, new = decide(ctx, propose(ctx, "A"))

    assert old.state == "superseded" and new.sequence == old.sequence + 1
    event = db.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == old.id).order_by(CertificateEvent.id)).all()[-1]
    assert event.to_state == "superseded" and new.number in event.reason


def test_only_reviewers_decide(ctx):
    with pytest.raises(Refused):
        decide(ctx, propose(ctx, "A"), actor=ctx["consultant"])


# -- impartial decisions: a rule, not a setting --------------------------------------------------------

def test_the_proposer_cannot_decide_whatever_their_roles(ctx):
    proposal = propose(ctx, "A", actor=ctx["both"])

    with pytest.raises(Refused, match="foreslo klasse"):
        decide(ctx, proposal, actor=ctx["both"])
    _, certificate = decide(ctx, proposal, actor=ctx["reviewer"])
    assert certificate is not None


def test_an_admin_who_is_also_a_reviewer_cannot_decide_what_they_proposed_and_no_setting_changes_that(ctx):
    admin = factories.make_user(ctx["db"], ctx["tenant"], roles=("admin", "reviewer"), name="Randi Admin")
    ctx["tenant"].settings = {**ctx["tenant"].settings, "impartial_decisions": False}  # an old setting is inert
    ctx["db"].flush()
    proposal = propose(ctx, "A", actor=admin)

    with pytest.raises(Refused, match="ikke er upartisk"):
        decide(ctx, proposal, actor=admin)


def test_the_clients_responsible_consultant_cannot_decide_even_without_work_on_the_year(ctx):
    ctx["company"].consultant_id = ctx["both"].id
    ctx["db"].flush()
    proposal = propose(ctx, "A")  # proposed by the year's consultant, not by "both"

    with pytest.raises(Refused, match="ansvarlig HMS-rådgiver for kunden"):
        decide(ctx, proposal, actor=ctx["both"])
    assert impartiality.conflicts(ctx["db"], ctx["year"], ctx["reviewer"]) == []


def test_the_impartial_reviewers_of_a_year_are_those_without_ties(ctx):
    proposal = propose(ctx, "A", actor=ctx["both"])
    assert proposal is not None
    assert [u.name for u in impartiality.impartial_reviewers(ctx["db"], ctx["year"])] == ["Siri Sertifisør"]


@pytest.mark.parametrize("how", ["consultant", "action_item", "note", "evidence", "audit", "compliance", "a4"])
def test_worked_on_is_read_from_the_records(ctx, how):
    db, year, person = ctx["db"], ctx["year"], ctx["both"]
    from saas.hms.models import ActionNote, ComplianceCheck, Evidence

    item = db.scalar(select(ActionItem).where(ActionItem.year_id == year.id))
    if how == "consultant":
        year.consultant_id = person.id
    elif how == "action_item":
        item.responsible_user_id = person.id
    elif how == "note":
        db.add(ActionNote(action_id=item.id, author_id=person.id, text="Fulgt opp"))
    elif how == "evidence":
        db.scalars(select(Evidence).where(Evidence.year_id == year.id)).first().verified_by = person.id
    elif how == "audit":
        record(db, person, "risk_assessment.updated", db.scalar(select(RiskAssessment).where(RiskAssessment.year_id == year.id)))
    elif how == "compliance":
        db.scalars(select(ComplianceCheck).where(ComplianceCheck.year_id == year.id)).first().verified_by = person.id
    elif how == "a4":
        db.add(Attestation(year_id=year.id, kind="a4", note="Jevnlige samtaler", by_user_id=person.id, on=TODAY))
    db.flush()

    assert person.id in decisions.worked_on(db, year)
    assert ctx["reviewer"].id not in decisions.worked_on(db, year)


def test_an_a_plus_2_attestation_is_not_work_on_the_year(ctx):
    db = ctx["db"]
    db.add(Attestation(year_id=ctx["year"].id, kind="a_plus_2", note="Fast sak", by_user_id=ctx["reviewer"].id, on=TODAY))
    db.flush()
    assert ctx["reviewer"].id not in decisions.worked_on(db, ctx["year"])


def test_attestations_are_checked_by_role_and_date(ctx):
    db = ctx["db"]
    with pytest.raises(Refused):
        decisions.attest(db, ctx["consultant"], ctx["year"].id, {"kind": "a_plus_2", "note": "Fast sak", "on": None}, TODAY)
    with pytest.raises(FieldErrors):
        decisions.attest(db, ctx["reviewer"], ctx["year"].id, {"kind": "a_plus_2", "note": "Fast sak", "on": TODAY + timedelta(days=1)}, TODAY)
    attestation = decisions.attest(db, ctx["reviewer"], ctx["year"].id, {"kind": "a_plus_2", "note": " Fast sak ", "on": None}, TODAY)
    assert (attestation.on, attestation.note) == (TODAY, "Fast sak")


def test_a_withdrawn_proposal_lets_the_consultant_propose_again(ctx):
    proposal = propose(ctx, "A")
    with pytest.raises(Refused):
        decisions.withdraw_proposal(ctx["db"], ctx["reviewer"], proposal.id)
    decisions.withdraw_proposal(ctx["db"], ctx["consultant"], proposal.id)
    assert proposal.status == "withdrawn"
    assert propose(ctx, "B").status == "pending"
    assert ctx["db"].scalar(select(CertificationProposal.id).where(CertificationProposal.status == "pending")) is not None
