"""From survey results to HMS work: a weak dimension becomes an action item and a psychosocial hazard in
the year's risk assessment, and a psychosocial mapping takes the survey as its basis.

Only numbers the stored report shows are used, so nothing below k reaches the action plan either.
"""
from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.services import NotFound
from saas.hms.models import ActionItem, Hazard, PsychosocialMapping, RiskAssessment
from saas.hms.services.actions import create_action_item
from saas.hms.services.mappings import update_psychosocial
from saas.hms.services.risks import add_hazard, create_assessment, snapshot_matrix
from saas.hms.services.years import check_open
from saas.schemas import FieldErrors
from saas.surveys.models import Survey
from saas.surveys.services.results import WHOLE_COMPANY, results_view
from saas.tenants.models import User


def _shown_dimension(view: dict, dimension_key: str, group_key: str | None) -> tuple[dict, dict]:
    scope = view["total"] if group_key is None else next((g for g in view["groups"] if g["key"] == group_key), None)
    if scope is None or scope["suppressed"]:
        raise FieldErrors({"dimension": "Resultatet for denne gruppen er skjult og kan ikke brukes."})
    dim = next((d for d in scope["dimensions"] if d["key"] == dimension_key), None)
    if dim is None or dim["suppressed"]:
        raise FieldErrors({"dimension": "Velg en dimensjon med et vist resultat."})
    return scope, dim


def _levels(n: int, weak: bool) -> int:
    """A starting level on an n-step axis: above the middle for a weak result, the middle otherwise."""
    middle = math.ceil(n / 2)
    return min(n, middle + 1) if weak else middle


def _assessment(session: Session, actor: User, survey: Survey) -> RiskAssessment:
    """The year's newest draft risk assessment, or a new draft (with the tenant's current matrix)."""
    assessment = session.scalar(select(RiskAssessment).where(RiskAssessment.year_id == survey.year_id,
                                                             RiskAssessment.status == "draft")
                                .order_by(RiskAssessment.id.desc()).limit(1))
    if assessment is None:
        assessment = create_assessment(session, actor, survey.year,
                                       {"title": f"Psykososial risikovurdering {survey.year.year}"})
    return assessment


def dimension_to_work(session: Session, actor: User, survey: Survey, dimension_key: str,
                      group_key: str | None = None) -> tuple[ActionItem, Hazard]:
    """One click: the dimension's result (for the whole company or one shown group) as an action item
    (area psychosocial, source survey) and a hazard in the year's draft risk assessment.

    Raises FieldErrors when the result is hidden, not weak, the year is closed, or it was done already.
    """
    view = results_view(survey, with_charts=False)
    if view is None:
        raise FieldErrors({"dimension": "Resultatene er klare når undersøkelsen er avsluttet."})
    check_open(survey.year)
    scope, dim = _shown_dimension(view, dimension_key, group_key)
    if dim["colour"] == "good":
        raise FieldErrors({"dimension": "Resultatet er godt; velg en svak eller middels dimensjon."})
    where = "" if group_key is None else f" ({scope['name']})"
    title = f"Psykososialt: {dim['name']}{where}"[:300]
    if session.scalar(select(ActionItem.id).where(ActionItem.source_type == "survey", ActionItem.source_id == survey.id,
                                                  ActionItem.title == title)) is not None:
        raise FieldErrors({"dimension": "Denne dimensjonen ligger allerede i handlingsplanen."})
    basis = (f"Spørreundersøkelsen «{survey.title}» ({survey.closes_on.strftime('%d.%m.%Y')}): {dim['name']} "
             f"har score {dim['score']:.0f} av 100 (n={dim['n']}, {dim['direction_label']}) for "
             f"{scope['name'] if group_key is not None else WHOLE_COMPANY.lower()}.")
    if dim.get("reference") is not None:
        basis += f" I fjor: {dim['reference']:.0f}."
    item = create_action_item(session, actor, survey.year, title=title, area="psychosocial", source_type="survey",
                              source_id=survey.id, description=basis + "\n\nTiltak avtales med ledelsen og de ansatte.")
    assessment = _assessment(session, actor, survey)
    matrix = snapshot_matrix(assessment.matrix_snapshot)
    weak = dim["colour"] == "bad"
    hazard = add_hazard(session, actor, assessment, {
        "description": basis, "location": scope["name"], "area": "psychosocial",
        "probability": _levels(matrix.n_probability, weak), "consequence": _levels(matrix.n_consequence, weak),
        "measures": f"Se tiltak i handlingsplanen: {title}"})
    hazard.source, hazard.source_id = "survey", survey.id
    session.flush()
    return item, hazard


def year_mappings(session: Session, survey: Survey) -> list[dict]:
    """The psychosocial mappings of the survey's year, for the "basis of the mapping" form."""
    rows = session.scalars(select(PsychosocialMapping).where(PsychosocialMapping.year_id == survey.year_id)
                           .order_by(PsychosocialMapping.id)).all()
    return [dict(id=m.id, status=m.status, completed_on=m.completed_on, created_at=m.created_at,
                 linked=m.survey_id == survey.id, other_survey=m.survey_id is not None and m.survey_id != survey.id)
            for m in rows]


def link_mapping(session: Session, actor: User, survey: Survey, mapping_id: int | None) -> PsychosocialMapping:
    """Make ``survey`` the basis of a psychosocial mapping of the same year (``method_survey`` on).

    Raises FieldErrors for a mapping outside the survey's year or a closed year.
    """
    mapping = session.scalar(select(PsychosocialMapping).where(PsychosocialMapping.id == mapping_id,
                                                                PsychosocialMapping.year_id == survey.year_id)) if mapping_id else None
    if mapping is None:
        raise FieldErrors({"mapping_id": "Velg en psykososial kartlegging i samme sertifiseringsår."})
    check_open(survey.year)
    if survey.status == "draft":
        raise FieldErrors({"mapping_id": "Publiser undersøkelsen før den brukes som grunnlag."})
    mapping.survey_id = survey.id
    update_psychosocial(session, actor, survey.year, mapping, {"method_survey": True})
    record(session, actor, "survey.linked_to_mapping", survey, survey.title, mapping_id=mapping.id)
    return mapping


def survey_actions(session: Session, survey: Survey) -> list[dict]:
    rows = session.execute(select(ActionItem.id, ActionItem.title, ActionItem.status)
                           .where(ActionItem.source_type == "survey", ActionItem.source_id == survey.id)
                           .order_by(ActionItem.id)).all()
    return [dict(r._mapping) for r in rows]


__all__ = ["dimension_to_work", "year_mappings", "link_mapping", "survey_actions", "NotFound"]
