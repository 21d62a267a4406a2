"""The employer's view: people × competences with state, expiry and what each person must do next.

A fixed number of statements whatever the company's size (people, holdings, competences, scheme
versions, open enrolments: five), so 2,000 people × 20 competences is one page (bench/employer_matrix.py).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.persons.models import PersonCompetence, Enrolment, EnrolmentState, Holding, Person
from saas.persons.services.register_state import rules_for_versions
from saas.persons.validity import SEVERITY, CompetenceDates, State, ValidityRules, assess


def matrix(session: Session, company_id: int, today: date) -> dict:
    """Plain data: ``competences`` (the columns: every competence someone in the company holds or is
    enrolled for), ``people`` (rows with one cell per competence code, and the most urgent next step)."""
    # Plain rows, not ORM objects: 40,000 register entries are read, never changed, here.
    people = session.execute(select(Person.id, Person.name).where(Person.employer_id == company_id,
                                                                   Person.archived_at.is_(None))
                             .order_by(Person.name, Person.id)).all()
    people_ids = select(Person.id).where(Person.employer_id == company_id, Person.archived_at.is_(None))
    holdings = session.execute(select(Holding.id, Holding.person_id, Holding.competence_id, Holding.scheme_version_id,
                                      Holding.tested_on, Holding.last_used_on,
                                      Holding.absent_since, Holding.suspended, Holding.revoked, Holding.revoked_until)
                               .where(Holding.person_id.in_(people_ids))).all()
    enrolments = session.execute(select(Enrolment.person_id, Enrolment.competence_id)
                                 .where(Enrolment.person_id.in_(people_ids),
                                        Enrolment.state == EnrolmentState.TRAINING.value)).all()
    competence_ids = {h.competence_id for h in holdings} | {c for _p, c in enrolments}
    default = ValidityRules()
    competences = {c.id: c for c in session.scalars(select(PersonCompetence).where(PersonCompetence.id.in_(competence_ids)))}
    rules = rules_for_versions(session, {h.scheme_version_id for h in holdings})  # as issued, not as now

    plans = _plans(session, [h.id for h in holdings if h.absent_since is not None], today)

    cells: dict[int, dict[int, dict]] = {p.id: {} for p in people}
    for person_id, competence_id in enrolments:
        cells[person_id][competence_id] = dict(state="in_training", expires_on=None, next_step="complete_training",
                                               next_deadline=None, usable=False)
    for holding in holdings:
        competence = competences[holding.competence_id]
        dates = CompetenceDates(tested_on=holding.tested_on, seasonal=competence.seasonal,
                                last_used_on=holding.last_used_on, absent_since=holding.absent_since,
                                suspended=holding.suspended, revoked=holding.revoked,
                                revoked_until=holding.revoked_until)
        result = assess(dates, rules.get(holding.scheme_version_id, default), today)
        cells[holding.person_id][holding.competence_id] = dict(
            state=result.state.value, usable=result.usable, expires_on=result.expires_on,
            next_step=result.next_step, next_deadline=result.next_deadline, plan=plans.get(holding.id))
    columns = sorted(competences.values(), key=lambda c: (c.scheme_id, c.position, c.code))
    rows = []
    for person in people:
        own = cells[person.id]
        urgent = _most_urgent(own)
        rows.append(dict(id=person.id, name=person.name,
                         cells={competences[cid].code: cell for cid, cell in own.items()},
                         next=urgent))
    return dict(competences=[dict(id=c.id, code=c.code, name=c.name) for c in columns], people=rows,
                counts=_counts(cells))


def _most_urgent(cells: dict[int, dict]) -> dict | None:
    """The step that matters most: the worst state first, then the nearest deadline."""
    candidates = [c for c in cells.values() if c["next_step"] != "none"]
    if not candidates:
        return None

    def key(cell):
        severity = SEVERITY.get(State(cell["state"]), -1) if cell["state"] in State._value2member_map_ else -1
        return (-severity, cell["next_deadline"] or date.max)

    best = min(candidates, key=key)
    return dict(step=best["next_step"], state=best["state"], deadline=best["next_deadline"], plan=best.get("plan"))


def _plans(session: Session, holding_ids: list[int], today: date) -> dict[int, dict]:
    """The individual training plans of absent holders: one statement, and none when nobody is absent."""
    from saas.persons.services.training_plan import items_of, plan_data

    if not holding_ids:
        return {}
    return {hid: plan_data(items, today) for hid, items in items_of(session, holding_ids).items() if items}


def _counts(cells: dict[int, dict[int, dict]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for own in cells.values():
        for cell in own.values():
            counts[cell["state"]] = counts.get(cell["state"], 0) + 1
    return counts
