"""From survey results to HMS work: a weak dimension becomes an action item and a psychosocial hazard, and
a psychosocial mapping takes the survey as its basis."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.hms.models import ActionItem, Hazard, PsychosocialMapping, RiskAssessment
from saas.hms.risk import simple_matrix
from saas.hms.services.risks import save_matrix
from saas.schemas import FieldErrors
from saas.surveys.services import work
from tests.integration.test_survey_services import add_responses, close, make_survey, make_world


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        yield make_world(db)


def _closed(db, world, position=3, groups=()):
    survey = make_survey(db, world, groups=groups)
    for name, n in groups or [(None, 6)]:
        add_responses(db, survey, n if name else 6, group=name, position=position)
    close(db, world, survey)
    return survey


def _weak_dimension(survey) -> str:
    return next(d["key"] for d in survey.report["data"]["total"]["dimensions"] if d["colour"] == "bad" and d["key"] != "bullying")


def test_a_weak_dimension_becomes_an_action_item_and_a_hazard_in_a_new_draft_assessment(db, world):
    survey = _closed(db, world)
    key = _weak_dimension(survey)
    item, hazard = work.dimension_to_work(db, world["consultant"], survey, key)
    assert (item.area, item.source_type, item.source_id, item.year_id) == ("psychosocial", "survey", survey.id, survey.year_id)
    assert item.title.startswith("Psykososialt: ")
    assessment = db.get(RiskAssessment, hazard.assessment_id)
    assert assessment.year_id == survey.year_id and assessment.status == "draft"
    assert (hazard.area, hazard.source, hazard.source_id) == ("psychosocial", "survey", survey.id)
    assert 1 <= hazard.probability <= 5 and 1 <= hazard.consequence <= 5
    assert "n=6" in hazard.description and "score" in hazard.description
    with pytest.raises(FieldErrors, match="allerede"):
        work.dimension_to_work(db, world["consultant"], survey, key)
    assert db.scalar(select(ActionItem.id).where(ActionItem.source_type == "survey").offset(1)) is None


def test_the_hazard_goes_into_the_years_existing_draft_and_fits_its_matrix(db, world):
    save_matrix(db, world["consultant"], simple_matrix().to_dict())
    survey = _closed(db, world)
    first = work.dimension_to_work(db, world["consultant"], survey, _weak_dimension(survey))[1]
    other = next(d["key"] for d in survey.report["data"]["total"]["dimensions"]
                 if d["colour"] != "good" and d["key"] != _weak_dimension(survey))
    second = work.dimension_to_work(db, world["consultant"], survey, other)[1]
    assert first.assessment_id == second.assessment_id
    assert max(first.probability, first.consequence, second.probability, second.consequence) <= 3
    assert db.scalars(select(Hazard.id).where(Hazard.assessment_id == first.assessment_id)).all() == [first.id, second.id]


def test_a_good_or_hidden_result_is_not_turned_into_work(db, world):
    survey = _closed(db, world, position=0, groups=[("Lager", 3), ("Kontor", 9)])
    good = next(d["key"] for d in survey.report["data"]["total"]["dimensions"] if d["colour"] == "good")
    with pytest.raises(FieldErrors, match="godt"):
        work.dimension_to_work(db, world["consultant"], survey, good)
    with pytest.raises(FieldErrors, match="skjult"):
        work.dimension_to_work(db, world["consultant"], survey, "demands", group_key="Lager")
    with pytest.raises(FieldErrors):
        work.dimension_to_work(db, world["consultant"], survey, "no-such-dimension")
    assert db.scalar(select(ActionItem.id).where(ActionItem.source_type == "survey")) is None


def test_a_psychosocial_mapping_of_the_year_takes_the_survey_as_its_basis(db, world):
    survey = _closed(db, world)
    mapping = PsychosocialMapping(year_id=survey.year_id, method_interviews=True)
    db.add(mapping)
    db.flush()
    assert work.year_mappings(db, survey) == [dict(id=mapping.id, status="draft", completed_on=None, created_at=mapping.created_at,
                                                   linked=False, other_survey=False)]
    work.link_mapping(db, world["consultant"], survey, mapping.id)
    assert (mapping.survey_id, mapping.method_survey, mapping.method_interviews) == (survey.id, True, True)
    other_year_survey = make_survey(db, world, year=2025)
    with pytest.raises(FieldErrors):
        work.link_mapping(db, world["consultant"], other_year_survey, mapping.id)
    assert mapping.survey_id == survey.id
