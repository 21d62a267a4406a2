"""Risk services against a real database: the versioned matrix, snapshots, hazards, measures as action
items, and the year summary's constant number of queries."""
from datetime import date

import pytest
from sqlalchemy import func, select

from saas.hms import risk
from saas.hms.models import ActionItem, CertificationYear, Hazard, RiskAssessment, RiskMatrixVersion
from saas.hms.services import risks
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant


@pytest.fixture
def year(db, a):
    """A year of its own (the shared world's year already has an assessment)."""
    row = CertificationYear(company_id=a["other_company"].id, year=2026, consultant_id=a["consultant"].id)
    db.add(row)
    db.flush()
    return row


def _versions(db) -> list[int]:
    return db.scalars(select(RiskMatrixVersion.version).order_by(RiskMatrixVersion.version)).all()


def test_the_current_matrix_is_created_once_from_the_default(db, two_tenants):
    bind_tenant(db, two_tenants["b"]["tenant"].id)
    for row in db.scalars(select(RiskMatrixVersion)):
        db.delete(row)
    db.flush()
    assert _versions(db) == []
    first = risks.current_matrix(db)
    second = risks.current_matrix(db)
    assert first.id == second.id and first.version == 1
    assert risk.RiskMatrix.from_dict(first.data) == risk.default_matrix()
    assert _versions(db) == [1]


def test_editing_the_matrix_makes_a_new_version_and_keeps_the_old(db, a):
    before = risks.current_matrix(db)
    changed = risk.default_matrix().with_cell(1, 1, risk.YELLOW).to_dict()
    saved = risks.save_matrix(db, a["admin"], changed)
    assert saved.version == before.version + 1
    assert risks.current_matrix(db).id == saved.id
    assert risk.RiskMatrix.from_dict(db.get(RiskMatrixVersion, before.id).data) == risk.default_matrix()
    assert risks.save_matrix(db, a["admin"], changed) is None  # no change, no new version
    assert _versions(db) == [before.version, saved.version]


def test_a_matrix_with_a_green_highest_consequence_is_refused_in_norwegian(db, a):
    data = risk.default_matrix().to_dict()
    data["cells"][0][4] = risk.GREEN
    with pytest.raises(FieldErrors) as error:
        risks.save_matrix(db, a["admin"], data)
    assert error.value.errors["cells[0][4]"] == [risk.MSG_HIGHEST_CONSEQUENCE_GREEN]
    assert len(_versions(db)) == 1


def test_an_assessment_keeps_its_matrix_after_the_tenant_changes_it(db, a, year):
    old = risks.create_assessment(db, a["consultant"], year, {"title": "Lager"})
    risks.add_hazard(db, a["consultant"], old, {"description": "Fall fra stige", "probability": 5, "consequence": 5})
    risks.save_matrix(db, a["admin"], risk.simple_matrix().to_dict())
    new = risks.create_assessment(db, a["consultant"], year, {"title": "Kontor"})

    view = risks.assessment_view(db, old)
    assert (view["matrix"]["n_probability"], view["matrix"]["n_consequence"]) == (5, 5)
    assert view["hazards"][0]["score"] == 25 and view["hazards"][0]["colour"] == risk.RED
    assert view["heatmap"]["counts"][4][4] == 1
    assert risk.RiskMatrix.from_dict(new.matrix_snapshot) == risk.simple_matrix()
    # The old assessment still accepts 5×5 levels; the new one only 3×3.
    risks.add_hazard(db, a["consultant"], old, {"description": "Støy", "probability": 4, "consequence": 4})
    with pytest.raises(FieldErrors) as error:
        risks.add_hazard(db, a["consultant"], new, {"description": "Støy", "probability": 4, "consequence": 2})
    assert error.value.errors == {"probability": ["Sannsynlighet må være fra 1 til 3 i matrisen denne risikovurderingen bruker."]}


def test_risk_after_measures_needs_both_levels(db, a, year):
    assessment = risks.create_assessment(db, a["consultant"], year, {"title": "Verksted"})
    with pytest.raises(FieldErrors) as error:
        risks.add_hazard(db, a["consultant"], assessment, {"description": "Kutt", "probability": 3, "consequence": 3,
                                                            "probability_after": 2, "consequence_after": None})
    assert "consequence_after" in error.value.errors
    hazard = risks.add_hazard(db, a["consultant"], assessment, {"description": "Kutt", "probability": 3, "consequence": 3,
                                                                 "probability_after": 1, "consequence_after": 3})
    assert risks.hazard_view(db, hazard)["colour_after"] == risk.GREEN


def test_measures_become_an_action_item_of_the_same_year_once(db, a, year):
    assessment = risks.create_assessment(db, a["consultant"], year, {"title": "Psykososialt"})
    hazard = risks.add_hazard(db, a["consultant"], assessment, {
        "description": "Høyt arbeidspress", "area": "psychosocial", "probability": 4, "consequence": 3,
        "measures": "Gjennomgå bemanning\nUkentlige avklaringsmøter", "responsible": "Daglig leder"})
    item = risks.hazard_to_action(db, a["consultant"], hazard, date(2026, 9, 1))
    assert (item.year_id, item.source_type, item.source_id, item.area) == (year.id, "hazard", hazard.id, "psychosocial")
    assert item.title == "Gjennomgå bemanning" and item.responsible_name == "Daglig leder"
    assert item.deadline == date(2026, 9, 1) and "Høyt arbeidspress" in item.description
    assert risks.assessment_view(db, assessment)["hazards"][0]["action_item_id"] == item.id
    with pytest.raises(FieldErrors):
        risks.hazard_to_action(db, a["consultant"], hazard)
    assert db.scalar(select(func.count(ActionItem.id)).where(ActionItem.source_type == "hazard",
                                                             ActionItem.source_id == hazard.id)) == 1


def test_a_hazard_without_measures_cannot_become_an_action_item(db, a, year):
    assessment = risks.create_assessment(db, a["consultant"], year, {"title": "Tomt"})
    hazard = risks.add_hazard(db, a["consultant"], assessment, {"description": "Glatt gulv", "probability": 2, "consequence": 2})
    with pytest.raises(FieldErrors) as error:
        risks.hazard_to_action(db, a["consultant"], hazard)
    assert "measures" in error.value.errors


def _fill(db, a, year, assessments: int, hazards_each: int):
    for n in range(assessments):
        assessment = RiskAssessment(year_id=year.id, title=f"Vurdering {n}", matrix_snapshot=risk.default_matrix().to_dict(),
                                    assessed_on=date(2026, 1, 1 + n % 28))
        db.add(assessment)
        db.flush()
        db.add_all([Hazard(assessment_id=assessment.id, description=f"Fare {i}", probability=1 + i % 5, consequence=1 + (i // 5) % 5,
                           probability_after=1, consequence_after=1 + i % 5) for i in range(hazards_each)])
    db.flush()


def test_the_year_summary_counts_hazards_by_colour_and_maps_them(db, a, year):
    _fill(db, a, year, 1, 0)
    assessment = db.scalars(select(RiskAssessment).where(RiskAssessment.year_id == year.id)).one()
    for p, c in ((5, 5), (5, 4), (1, 1), (3, 3)):
        risks.add_hazard(db, a["consultant"], assessment, {"description": "x", "probability": p, "consequence": c,
                                                           "probability_after": 1, "consequence_after": 1})
    summary = risks.year_summary(db, year.id)
    [row] = summary["assessments"]
    assert (row["hazard_count"], row["red"], row["yellow"], row["green"]) == (4, 2, 1, 1)
    assert summary["heatmap"]["counts"][4][4] == 1 and summary["heatmap"]["by_colour"] == {"green": 1, "yellow": 1, "red": 2}
    assert summary["heatmap"]["after"]["counts"][0][0] == 4
    assert summary["heatmap"]["colours"] == [list(r) for r in risk.default_matrix().cells]


def test_the_year_summary_runs_the_same_number_of_queries_for_3_and_300_hazards(db, a, year, count_queries):
    other = CertificationYear(company_id=a["company"].id, year=2031)
    db.add(other)
    db.flush()
    _fill(db, a, year, 1, 3)
    _fill(db, a, other, 20, 15)
    small_id, large_id = year.id, other.id
    db.expire_all()
    with count_queries() as small:
        few = risks.year_summary(db, small_id)
    db.expire_all()
    with count_queries() as large:
        many = risks.year_summary(db, large_id)
    assert sum(r["hazard_count"] for r in few["assessments"]) == 3
    assert sum(r["hazard_count"] for r in many["assessments"]) == 300 and len(many["assessments"]) == 20
    assert small.count == large.count == 1, large.statements  # the assessments with their hazards counted by cell
    _fill(db, a, year, 1, 0)
    db.expire_all()
    empty = [r for r in risks.year_summary(db, small_id)["assessments"] if r["hazard_count"] == 0]
    assert len(empty) == 1 and (empty[0]["red"], empty[0]["yellow"], empty[0]["green"]) == (0, 0, 0)
