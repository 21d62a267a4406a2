"""The state of register entries: a holding's dates fed to the pure validity rules with its scheme's
periods.  Bulk readers load each scheme's current version once, so a matrix costs a fixed number of
statements whatever its size."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.persons.models import PersonCompetence, Holding
from saas.persons.settings import PersonSchemeSettings
from saas.persons.validity import Assessment, CompetenceDates, ValidityRules, assess
from saas.schemes import services as schemes


def dates_of(holding: Holding, seasonal: bool) -> CompetenceDates:
    return CompetenceDates(tested_on=holding.tested_on, seasonal=seasonal, last_used_on=holding.last_used_on,
                           absent_since=holding.absent_since, suspended=holding.suspended, revoked=holding.revoked,
                           revoked_until=holding.revoked_until)


def rules_for_schemes(session: Session, scheme_ids: Iterable[int]) -> dict[int, ValidityRules]:
    """Each scheme's validity rules from its current version (one query for all)."""
    versions = schemes.current_versions(session, set(scheme_ids))
    return {scheme_id: PersonSchemeSettings.from_document(version.parsed.extra.get("person")).validity
            for scheme_id, version in versions.items()}


def holding_assessment(session: Session, holding: Holding, today: date) -> Assessment:
    competence = holding.competence or session.get(PersonCompetence, holding.competence_id)
    rules = rules_for_schemes(session, [competence.scheme_id]).get(competence.scheme_id, ValidityRules())
    return assess(dates_of(holding, competence.seasonal), rules, today)


def assessments(session: Session, holdings: list[Holding], competences: dict[int, PersonCompetence],
                today: date) -> dict[int, Assessment]:
    """``holding id → Assessment`` for holdings whose competences are given (no lazy loads)."""
    rules = rules_for_schemes(session, {c.scheme_id for c in competences.values()})
    default = ValidityRules()
    out = {}
    for holding in holdings:
        competence = competences[holding.competence_id]
        out[holding.id] = assess(dates_of(holding, competence.seasonal), rules.get(competence.scheme_id, default), today)
    return out


def holdings_of(session: Session, person_id: int, scheme_id: int | None = None) -> list[Holding]:
    query = select(Holding).join(PersonCompetence, PersonCompetence.id == Holding.competence_id) \
        .where(Holding.person_id == person_id).order_by(PersonCompetence.scheme_id, PersonCompetence.position, PersonCompetence.code)
    if scheme_id is not None:
        query = query.where(PersonCompetence.scheme_id == scheme_id)
    return list(session.scalars(query))
