"""The state of register entries: a holding's dates fed to the pure validity rules with the periods of
the scheme version the competence was issued (or last renewed) under, never the scheme's current
version: publishing a version with other periods changes what is issued from then on, not what was
already issued.  Bulk readers load each version once, so a matrix costs a fixed number of statements
whatever its size."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.persons.models import PersonCompetence, Holding
from saas.persons.settings import PersonSchemeSettings
from saas.persons.validity import Assessment, CompetenceDates, ValidityRules, assess
from saas.schemes.models import SchemeVersion


def dates_of(holding: Holding, seasonal: bool) -> CompetenceDates:
    return CompetenceDates(tested_on=holding.tested_on, seasonal=seasonal, last_used_on=holding.last_used_on,
                           absent_since=holding.absent_since, suspended=holding.suspended, revoked=holding.revoked,
                           revoked_until=holding.revoked_until)


def rules_for_versions(session: Session, version_ids: Iterable[int]) -> dict[int, ValidityRules]:
    """``scheme version id → ValidityRules`` of those versions (one query for all)."""
    ids = {i for i in version_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(SchemeVersion.id, SchemeVersion.settings).where(SchemeVersion.id.in_(ids))).all()
    return {version_id: _validity(settings) for version_id, settings in rows}


@functools.lru_cache(maxsize=256)
def _validity_of(document: str) -> ValidityRules:
    return PersonSchemeSettings.from_document(json.loads(document) or None).validity


def _validity(settings: dict | None) -> ValidityRules:
    person = ((settings or {}).get("extra") or {}).get("person")
    return _validity_of(json.dumps(person, sort_keys=True))


def holding_assessment(session: Session, holding: Holding, today: date) -> Assessment:
    competence = holding.competence or session.get(PersonCompetence, holding.competence_id)
    rules = rules_for_versions(session, [holding.scheme_version_id]).get(holding.scheme_version_id, ValidityRules())
    return assess(dates_of(holding, competence.seasonal), rules, today)


def assessments(session: Session, holdings: list[Holding], competences: dict[int, PersonCompetence],
                today: date) -> dict[int, Assessment]:
    """``holding id → Assessment`` for holdings whose competences are given (no lazy loads), each under
    the rules of the version it was issued under."""
    rules = rules_for_versions(session, {h.scheme_version_id for h in holdings})
    default = ValidityRules()
    out = {}
    for holding in holdings:
        competence = competences[holding.competence_id]
        out[holding.id] = assess(dates_of(holding, competence.seasonal), rules.get(holding.scheme_version_id, default),
                                 today)
    return out


def holdings_of(session: Session, person_id: int, scheme_id: int | None = None) -> list[Holding]:
    query = select(Holding).join(PersonCompetence, PersonCompetence.id == Holding.competence_id) \
        .where(Holding.person_id == person_id).order_by(PersonCompetence.scheme_id, PersonCompetence.position, PersonCompetence.code)
    if scheme_id is not None:
        query = query.where(PersonCompetence.scheme_id == scheme_id)
    return list(session.scalars(query))
