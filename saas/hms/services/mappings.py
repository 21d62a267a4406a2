"""Physical and psychosocial mappings of a certification year.

A physical mapping fills in a checklist run; its graded findings become action items (area "physical").
A psychosocial mapping records interviews and/or a survey without personal data; its findings may be
added to the action plan (area "psychosocial").  Both end in a written report reviewed with management.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from saas.audit.services import record
from saas.clients.services import NotFound, visible_company_ids
from saas.db import utcnow
from saas.hms.models import ActionItem, CertificationYear, ChecklistRun, ChecklistTemplateVersion, PhysicalMapping, PsychosocialMapping
from saas.hms.services import checklists
from saas.hms.services.actions import create_action_item
from saas.hms.services.years import check_open
from saas.schemas import FieldErrors
from saas.tenants.models import User

PHYSICAL_FIELDS = ("performed_on", "planned_on", "method", "performed_by", "participants", "summary", "reviewed_with_management_on")
PSYCHOSOCIAL_FIELDS = ("method_interviews", "method_survey", "done_by_provider", "interviews_from", "completed_on",
                       "conversation_count", "themes", "findings", "no_significant_conditions", "reviewed_with_management_on")


def _visible(user: User):
    return CertificationYear.company_id.in_(visible_company_ids(user.is_staff, user.id))


def get_physical(session: Session, user: User, mapping_id: int) -> tuple[PhysicalMapping, CertificationYear]:
    """The mapping (with its run and template version loaded) and its year; NotFound when not visible."""
    row = session.execute(
        select(PhysicalMapping, CertificationYear).join(CertificationYear, CertificationYear.id == PhysicalMapping.year_id)
        .where(PhysicalMapping.id == mapping_id, _visible(user))
        .options(joinedload(PhysicalMapping.run).joinedload(ChecklistRun.template_version).joinedload(ChecklistTemplateVersion.template),
                 joinedload(CertificationYear.company))
    ).first()
    if row is None:
        raise NotFound(mapping_id)
    return row[0], row[1]


def get_psychosocial(session: Session, user: User, psy_mapping_id: int) -> tuple[PsychosocialMapping, CertificationYear]:
    row = session.execute(
        select(PsychosocialMapping, CertificationYear).join(CertificationYear, CertificationYear.id == PsychosocialMapping.year_id)
        .where(PsychosocialMapping.id == psy_mapping_id, _visible(user)).options(joinedload(CertificationYear.company))
    ).first()
    if row is None:
        raise NotFound(psy_mapping_id)
    return row[0], row[1]


# -- physical ------------------------------------------------------------------------------------------

def create_physical(session: Session, actor: User, year: CertificationYear, data: dict) -> PhysicalMapping:
    """A new physical mapping on the chosen (or default) checklist's current version."""
    check_open(year)
    template = checklists.template_for(session, "physical", data.get("template_id"))
    run = checklists.new_run(session, checklists.current_version(session, template.id))
    mapping = PhysicalMapping(year_id=year.id, run_id=run.id, **{k: data[k] for k in PHYSICAL_FIELDS if k in data})
    session.add(mapping)
    session.flush()
    record(session, actor, "physical_mapping.created", mapping, f"{year.company.name} {year.year}")
    return mapping


def update_physical(session: Session, actor: User, year: CertificationYear, mapping: PhysicalMapping, data: dict) -> None:
    check_open(year)
    method_changed = "method" in data and data["method"] != mapping.method
    for key in PHYSICAL_FIELDS:
        if key in data:
            setattr(mapping, key, data[key])
    if method_changed:
        # A verification was of documentation made a particular way; another way needs a new one.
        mapping.verified_by, mapping.verified_at = None, None
    session.flush()
    record(session, actor, "physical_mapping.updated", mapping, f"{year.company.name} {year.year}")


def save_physical_answers(session: Session, actor: User, year: CertificationYear, mapping: PhysicalMapping,
                          entries: list[dict], fill_unanswered_ok: bool = False) -> list[ActionItem]:
    """Save checklist answers; graded findings become action items (area physical, source "finding")."""
    check_open(year)
    if mapping.status == "completed":
        raise FieldErrors({"_schema": "Kartleggingen er fullført. Åpne den igjen for å endre svarene."})
    return checklists.save_answers(session, actor, mapping.run, entries, year=year, area="physical",
                                   source_type="finding", fill_unanswered_ok=fill_unanswered_ok)


def complete_physical(session: Session, actor: User, year: CertificationYear, mapping: PhysicalMapping, today: date) -> None:
    """Mark the mapping completed on ``today``.  Needs the date it was done and every item answered."""
    check_open(year)
    problems = checklists.completion_errors(checklists.run_sections(session, mapping.run))
    if mapping.performed_on is None:
        problems.insert(0, "Fyll inn dato for kartleggingen.")
    if problems:
        raise FieldErrors({"_schema": problems})
    mapping.status, mapping.completed_on = "completed", today
    mapping.run.submitted_at, mapping.run.submitted_by = utcnow(), actor.id
    session.flush()
    record(session, actor, "physical_mapping.completed", mapping, f"{year.company.name} {year.year}")


def reopen_physical(session: Session, actor: User, year: CertificationYear, mapping: PhysicalMapping) -> None:
    check_open(year)
    mapping.status, mapping.completed_on = "draft", None
    session.flush()
    record(session, actor, "physical_mapping.reopened", mapping, f"{year.company.name} {year.year}")


def verify_physical(session: Session, actor: User, year: CertificationYear, mapping: PhysicalMapping) -> None:
    """A consultant confirms that a mapping done by the company or a third party is documented well enough."""
    check_open(year)
    if mapping.method == "provider":
        raise FieldErrors({"_schema": "Kartlegginger gjort med tilbyderen trenger ingen egen verifisering."})
    mapping.verified_by, mapping.verified_at = actor.id, utcnow()
    session.flush()
    record(session, actor, "physical_mapping.verified", mapping, f"{year.company.name} {year.year}")


# -- psychosocial --------------------------------------------------------------------------------------

def create_psychosocial(session: Session, actor: User, year: CertificationYear, data: dict) -> PsychosocialMapping:
    check_open(year)
    mapping = PsychosocialMapping(year_id=year.id, **{k: data[k] for k in PSYCHOSOCIAL_FIELDS if k in data})
    session.add(mapping)
    session.flush()
    record(session, actor, "psychosocial_mapping.created", mapping, f"{year.company.name} {year.year}")
    return mapping


def update_psychosocial(session: Session, actor: User, year: CertificationYear, mapping: PsychosocialMapping, data: dict) -> None:
    check_open(year)
    for key in PSYCHOSOCIAL_FIELDS:
        if key in data:
            setattr(mapping, key, data[key])
    session.flush()
    record(session, actor, "psychosocial_mapping.updated", mapping, f"{year.company.name} {year.year}")


def complete_psychosocial(session: Session, actor: User, year: CertificationYear, mapping: PsychosocialMapping, today: date) -> None:
    """Completed needs a date; interviews need their number and themes.  ``completed_on`` defaults to today."""
    check_open(year)
    problems = []
    if mapping.method_interviews and not mapping.conversation_count:
        problems.append("Fyll inn antall samtaler.")
    if mapping.method_interviews and not mapping.themes.strip():
        problems.append("Fyll inn temaene som ble tatt opp.")
    if not mapping.no_significant_conditions and not mapping.findings.strip():
        problems.append("Beskriv funnene, eller kryss av for at ingen vesentlige forhold ble funnet.")
    if problems:
        raise FieldErrors({"_schema": problems})
    mapping.status = "completed"
    mapping.completed_on = mapping.completed_on or today
    session.flush()
    record(session, actor, "psychosocial_mapping.completed", mapping, f"{year.company.name} {year.year}")


def add_psychosocial_finding(session: Session, actor: User, year: CertificationYear, data: dict) -> ActionItem:
    """Put a psychosocial finding on the year's action plan (area psychosocial).  The psychosocial plan
    is the year's items of that area, whichever mapping or survey they came from."""
    check_open(year)
    return create_action_item(session, actor, year, title=data["title"], description=data.get("description", ""),
                              area="psychosocial", source_type="manual", grade=data.get("grade"),
                              responsible_name=data.get("responsible_name", ""), deadline=data.get("deadline"))


def psychosocial_actions(session: Session, year_id: int) -> list[dict]:
    rows = session.execute(select(ActionItem.id, ActionItem.title, ActionItem.grade, ActionItem.status, ActionItem.deadline,
                                  ActionItem.responsible_name)
                           .where(ActionItem.year_id == year_id, ActionItem.area == "psychosocial").order_by(ActionItem.id)).all()
    return [dict(r._mapping) for r in rows]


def finding_actions(session: Session, run: ChecklistRun) -> dict[int, dict]:
    """The action items linked from the run's answers, by id (one query)."""
    from saas.hms.models import ChecklistAnswer

    rows = session.execute(select(ActionItem.id, ActionItem.title, ActionItem.status, ActionItem.deadline, ActionItem.grade,
                                  ActionItem.carried_from_id)
                           .join(ChecklistAnswer, ChecklistAnswer.action_item_id == ActionItem.id)
                           .where(ChecklistAnswer.run_id == run.id)).all()
    return {r.id: dict(r._mapping) for r in rows}
