"""The year page builds its verdict from the rows its overview already read, and summarises the action plan
from the same rows: both must say exactly what the general paths say (facts read afresh, every item loaded,
the summary in SQL)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from saas.certification.demo import complete_year, previous_certificate
from saas.certification.models import Attestation
from saas.certification.services.facts import gather_facts, verdict_for_year
from saas.hms.models import ActionItem, ComplianceCheck, Evidence, Hazard, PhysicalMapping, PsychosocialMapping, RiskAssessment, SafetyRound
from saas.hms.services import actions, years
from saas.db import utcnow
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
        company = factories.make_company(db, tenant, consultant_id=consultant.id, works_off_premises=True, employee_count=12)
        year = complete_year(db, company, consultant, TODAY)
        yield dict(tenant=tenant, consultant=consultant, reviewer=reviewer, company=company, year=year, db=db)


def _last_years_conclusion(c):
    db = c["db"]
    last = complete_year(db, c["company"], c["consultant"], TODAY - timedelta(days=365), year=2025)
    db.scalar(select(PsychosocialMapping).where(PsychosocialMapping.year_id == last.id)).no_significant_conditions = True


def _a_plus(c):
    db = c["db"]
    previous_certificate(db, c["tenant"], c["company"], c["consultant"], c["reviewer"], TODAY)
    db.add(Attestation(year_id=c["year"].id, kind="a_plus_2", note="Fast sak", by_user_id=c["reviewer"].id, on=TODAY))


def _draft_risk(c):
    c["db"].scalar(select(RiskAssessment).where(RiskAssessment.year_id == c["year"].id)).status = "draft"


def _risk_without_hazards(c, conclusion: bool = False):
    db = c["db"]
    assessment = db.scalar(select(RiskAssessment).where(RiskAssessment.year_id == c["year"].id))
    for hazard in db.scalars(select(Hazard).where(Hazard.assessment_id == assessment.id)):
        db.delete(hazard)
    assessment.no_significant_hazards, assessment.conclusion_note = conclusion, "Ingen vesentlige farer" if conclusion else ""


def _risk_concluded_without_hazards(c):
    _risk_without_hazards(c, conclusion=True)


def _rejected_reports(c):
    db = c["db"]
    for model in (PhysicalMapping, PsychosocialMapping):
        mapping = db.scalar(select(model).where(model.year_id == c["year"].id))
        db.get(Evidence, mapping.report_evidence_id).status = "rejected"


def _unverified_self_mapping(c):
    mapping = c["db"].scalar(select(PhysicalMapping).where(PhysicalMapping.year_id == c["year"].id))
    mapping.method, mapping.verified_by = "self", None


def _draft_round_and_pending_checks(c):
    db = c["db"]
    for safety_round in db.scalars(select(SafetyRound).where(SafetyRound.year_id == c["year"].id)):
        safety_round.status = "draft"
    for check in db.scalars(select(ComplianceCheck).where(ComplianceCheck.year_id == c["year"].id)):
        check.status = "pending"


def _overdue_items(c):
    for item in c["db"].scalars(select(ActionItem).where(ActionItem.year_id == c["year"].id)):
        item.status, item.deadline = "open", TODAY - timedelta(days=3)


@pytest.mark.parametrize("change", [None, _last_years_conclusion, _a_plus, _draft_risk, _risk_without_hazards,
                                    _risk_concluded_without_hazards, _rejected_reports, _unverified_self_mapping, _draft_round_and_pending_checks,
                                    _overdue_items])
def test_the_facts_from_the_overview_are_the_facts_read_afresh(ctx, change):
    db = ctx["db"]
    if change:
        change(ctx)
    db.flush()
    year = db.get(type(ctx["year"]), ctx["year"].id)
    overview = years.year_overview(db, year)

    facts = gather_facts(db, year.id, TODAY, overview=overview)
    assert facts == gather_facts(db, year.id, TODAY)
    if change is _last_years_conclusion:
        assert facts.previous_psychosocial_no_significant_conditions is True
    assert verdict_for_year(db, year.id, TODAY, overview=overview) == verdict_for_year(db, year.id, TODAY)


def test_the_action_summary_in_sql_is_the_summary_of_every_item_loaded(ctx):
    db = ctx["db"]
    year = ctx["year"]
    statuses = ("open", "in_progress", "done")
    deadlines = (None, TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=1), TODAY - timedelta(days=40))
    db.add_all(ActionItem(year_id=year.id, title=f"Tiltak {i}", area="physical", status=statuses[i % 3],
                          deadline=deadlines[i % 5], responsible_name="Ola",
                          started_at=utcnow() if statuses[i % 3] != "open" else None) for i in range(37))
    db.flush()

    assert actions.year_summary(db, year.id, TODAY) == actions.summarize(actions.list_items(db, year.id, today=TODAY))
    # The year page's summary, made in Python from the rows its verdict reads anyway, says the same.
    summary, rule_items = actions.year_summary_and_rule_items(db, year.id, TODAY)
    assert summary == actions.year_summary(db, year.id, TODAY)
    assert [i.id for i in rule_items] == sorted(i.id for i in db.scalars(select(ActionItem).where(ActionItem.year_id == year.id)))
    empty = complete_year(db, factories.make_company(db, ctx["tenant"]), ctx["consultant"], TODAY)
    for item in db.scalars(select(ActionItem).where(ActionItem.year_id == empty.id)):
        db.delete(item)
    db.flush()
    assert actions.year_summary(db, empty.id, TODAY) == dict(open=0, in_progress=0, done=0, overdue=0, total=0, items_preview=[])
    assert actions.year_summary_and_rule_items(db, empty.id, TODAY) == (actions.year_summary(db, empty.id, TODAY), ())
