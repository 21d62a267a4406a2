"""Safety inspection rounds (vernerunder): required where much of the work is outside the company's own
premises.  A round fills in the tenant's safety-round checklist; graded findings become action items."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from saas.audit.services import record
from saas.clients.services import NotFound, visible_company_ids
from saas.db import utcnow
from saas.hms.models import ActionItem, CertificationYear, ChecklistRun, ChecklistTemplateVersion, SafetyRound
from saas.hms.services import checklists
from saas.hms.services.years import check_open
from saas.schemas import FieldErrors
from saas.tenants.models import User

FIELDS = ("held_on", "planned_on", "location", "participants", "notes")


def get_round(session: Session, user: User, round_id: int) -> tuple[SafetyRound, CertificationYear]:
    """The round (run and template loaded) and its year; NotFound when missing or not the user's company."""
    row = session.execute(
        select(SafetyRound, CertificationYear).join(CertificationYear, CertificationYear.id == SafetyRound.year_id)
        .where(SafetyRound.id == round_id,
               CertificationYear.company_id.in_(visible_company_ids(user.is_staff, user.id)))
        .options(joinedload(SafetyRound.run).joinedload(ChecklistRun.template_version).joinedload(ChecklistTemplateVersion.template),
                 joinedload(CertificationYear.company))
    ).first()
    if row is None:
        raise NotFound(round_id)
    return row[0], row[1]


def create_round(session: Session, actor: User, year: CertificationYear, data: dict) -> SafetyRound:
    check_open(year)
    template = checklists.template_for(session, "safety_round", data.get("template_id"))
    run = checklists.new_run(session, checklists.current_version(session, template.id))
    safety_round = SafetyRound(year_id=year.id, run_id=run.id, **{k: data[k] for k in FIELDS if k in data})
    session.add(safety_round)
    session.flush()
    record(session, actor, "safety_round.created", safety_round, f"{year.company.name} {year.year}")
    return safety_round


def update_round(session: Session, actor: User, year: CertificationYear, safety_round: SafetyRound, data: dict) -> None:
    check_open(year)
    for key in FIELDS:
        if key in data:
            setattr(safety_round, key, data[key])
    session.flush()
    record(session, actor, "safety_round.updated", safety_round, f"{year.company.name} {year.year}")


def save_round_answers(session: Session, actor: User, year: CertificationYear, safety_round: SafetyRound,
                       entries: list[dict], fill_unanswered_ok: bool = False) -> list[ActionItem]:
    """Save the checklist; graded findings become action items (area physical, source "safety_round")."""
    check_open(year)
    if safety_round.status == "completed":
        raise FieldErrors({"_schema": "Vernerunden er fullført og kan ikke endres."})
    return checklists.save_answers(session, actor, safety_round.run, entries, year=year, area="physical",
                                   source_type="safety_round", fill_unanswered_ok=fill_unanswered_ok)


def complete_round(session: Session, actor: User, year: CertificationYear, safety_round: SafetyRound, today: date) -> None:
    check_open(year)
    problems = checklists.completion_errors(checklists.run_sections(session, safety_round.run))
    if safety_round.held_on is None:
        problems.insert(0, "Fyll inn dato for vernerunden.")
    if problems:
        raise FieldErrors({"_schema": problems})
    safety_round.status, safety_round.completed_on = "completed", today
    safety_round.run.submitted_at, safety_round.run.submitted_by = utcnow(), actor.id
    session.flush()
    record(session, actor, "safety_round.completed", safety_round, f"{year.company.name} {year.year}")
