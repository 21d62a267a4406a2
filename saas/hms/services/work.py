"""The two home pages of the year's work.

* The consultant's home: what needs attention across their clients (overdue action items, files waiting
  for verification, self-mappings waiting for verification, companies whose current year has no physical
  mapping, certificates expiring soon).  Two statements whatever the number of companies.
* A client contact's home: per linked company, the checklists the company fills in itself, the action
  items assigned to the contact, and what evidence is still missing.  A fixed number of queries too.

The client's changes go through the owning areas' services (checklists and mappings, actions, evidence),
so the rules of each stay in one place.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Callable

from flask_babel import lazy_gettext
from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.orm import Session, aliased

from saas.clients.models import ClientCompany
from saas.clients.services import NotFound, visible_companies, visible_company_ids
from saas.db import ReadsTogether, named_rows
from saas.hms.checklist_defaults import COMPLIANCE_CHECKS
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ChecklistRun, ComplianceCheck,
                             PhysicalMapping, PsychosocialMapping)
from saas.hms.services import actions, evidence, mappings
from saas.hms.services.years import get_year
from saas.schemas import FieldErrors
from saas.tenants.models import User

__all__ = ["NotFound", "SECTION_LIMIT", "HOME_SECTIONS", "consultant_home", "companies_without_mapping", "client_home",
           "assigned_item", "update_assigned_action", "self_mapping", "self_mapping_year", "start_self_mapping",
           "save_self_mapping"]

SECTION_LIMIT = 25


def _section(rows, to_dict) -> dict:
    """{"rows": [...], "total": n} from rows carrying a ``total_count`` window column."""
    return dict(rows=[to_dict(r) for r in rows], total=rows[0].total_count if rows else 0)


def _mine(query, mine: bool):
    return query.where(ClientCompany.consultant_id == bindparam("consultant_id")) if mine else query


def _section_rows(session: Session, query, consultant_id: int | None, **params) -> list:
    """Run one of the cached section statements below for ``consultant_id`` (None: every company); named
    tuples, read column by column into the page's dicts."""
    return named_rows(session.execute(query, dict(params, consultant_id=consultant_id)))


# Each section's statement is built once (per "mine or everyone" and limit) and bound per request: making
# them (joins, window counts, an EXISTS over an alias) cost the home page more CPU than running them.

# -- the consultant's home ---------------------------------------------------------------------------

def _overdue_from(rows, today: date) -> dict:
    """Action items past their deadline and not done, in the live years of the active companies of
    ``consultant_id`` (None: every company), oldest deadline first, from the rows of ``_overdue_query``.

    Overdue is the class rules' definition (``rules_facts.is_overdue``): due today is still on time.
    """
    return _section(rows, lambda r: dict(
        id=r.id, title=r.title, deadline=r.deadline, days_overdue=(today - r.deadline).days, status=r.status, area=r.area,
        responsible=r.responsible_user_name or r.responsible_name, year_id=r.year_id, year=r.year, company_id=r.company_id,
        company_name=r.company_name))


@lru_cache(maxsize=8)
def _overdue_query(mine: bool, limit: int) -> Select:
    return _mine(
        select(ActionItem.id, ActionItem.title, ActionItem.deadline, ActionItem.status, ActionItem.area,
               ActionItem.responsible_name, ActionItem.year_id, CertificationYear.year, CertificationYear.company_id,
               ClientCompany.name.label("company_name"), User.name.label("responsible_user_name"),
               func.count().over().label("total_count"))
        .join(CertificationYear, CertificationYear.id == ActionItem.year_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .outerjoin(User, User.id == ActionItem.responsible_user_id)
        .where(ClientCompany.archived_at.is_(None), CertificationYear.status != "closed", ActionItem.status != "done",
               ActionItem.deadline < bindparam("today")), mine).order_by(ActionItem.deadline, ActionItem.id).limit(limit)


def companies_without_mapping(session: Session, consultant_id: int | None, current_year: int, limit: int = SECTION_LIMIT) -> dict:
    """Active companies with no certification year ``current_year``, or one without a physical mapping,
    by name (one query)."""
    rows = _section_rows(session, _without_mapping_query(consultant_id is not None, limit), consultant_id, year=current_year)
    return _without_mapping_from(rows, current_year)


def _without_mapping_from(rows, current_year: int) -> dict:
    return _section(rows, lambda r: dict(company_id=r.id, company_name=r.name, city=r.city, year_id=r.year_id,
                                         year=current_year))


@lru_cache(maxsize=8)
def _without_mapping_query(mine: bool, limit: int) -> Select:
    # The window count needs every matching company, so the filter is an anti-join (a hash of this year's
    # mapped years, probed once per company) and the year's id is looked up for the page's rows only: as an
    # outer join of every company to its year it was 2,000 index lookups (2.6 ms at 2,000 companies).
    mapped = (select(literal(1)).select_from(CertificationYear)
              .join(PhysicalMapping, PhysicalMapping.year_id == CertificationYear.id)
              .where(CertificationYear.company_id == ClientCompany.id, CertificationYear.year == bindparam("year")).exists())
    page = _mine(
        select(ClientCompany.id, ClientCompany.name, ClientCompany.city, func.count().over().label("total_count"))
        .where(ClientCompany.archived_at.is_(None), ~mapped), mine
    ).order_by(ClientCompany.name, ClientCompany.id).limit(limit).subquery("page")
    year_id = (select(CertificationYear.id)
               .where(CertificationYear.company_id == page.c.id, CertificationYear.year == bindparam("year")).scalar_subquery())
    return select(page.c.id, page.c.name, page.c.city, year_id.label("year_id"), page.c.total_count).order_by(page.c.name, page.c.id)


def _mappings_from(rows) -> dict:
    """Physical mappings done by the company itself or a third party, submitted and not yet verified, in
    the open years of the active companies of ``consultant_id`` (None: every company), from the rows of
    ``_mappings_query``."""
    return _section(rows, lambda r: dict(
        id=r.id, method=r.method, performed_on=r.performed_on, submitted_at=r.submitted_at, year_id=r.year_id, year=r.year,
        company_id=r.company_id, company_name=r.company_name))


@lru_cache(maxsize=8)
def _mappings_query(mine: bool, limit: int) -> Select:
    return _mine(
        select(PhysicalMapping.id, PhysicalMapping.method, PhysicalMapping.performed_on, PhysicalMapping.year_id,
               ChecklistRun.submitted_at, CertificationYear.year, CertificationYear.company_id,
               ClientCompany.name.label("company_name"), func.count().over().label("total_count"))
        .join(ChecklistRun, ChecklistRun.id == PhysicalMapping.run_id)
        .join(CertificationYear, CertificationYear.id == PhysicalMapping.year_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .where(ClientCompany.archived_at.is_(None), CertificationYear.status == "open", PhysicalMapping.method != "provider",
               PhysicalMapping.verified_at.is_(None),
               (ChecklistRun.submitted_at.is_not(None)) | (PhysicalMapping.status == "completed")), mine
    ).order_by(ChecklistRun.submitted_at, PhysicalMapping.id).limit(limit)


def consultant_home(session: Session, user: User, today: date, everyone: bool = False) -> dict:
    """Everything the consultant's home page shows, as plain data, in two statements whatever the number of
    companies, items and years: each section's first rows and its total, four sections read together
    (``_home_reads``; no section reads every company to show 25).

    ``everyone`` widens it from the user's own companies (consultant_id == user) to all of the tenant's.
    """
    consultant_id = None if everyone else user.id
    read = _home_reads(consultant_id is not None, tuple(HOME_SECTIONS)).read(session, dict(
        consultant_id=consultant_id, today=today, until=today + timedelta(days=EXPIRING_WITHIN_DAYS)))
    files, files_total = evidence.pending_from(read["evidence"])
    return dict(
        everyone=everyone, today=today,
        overdue=_overdue_from(read["overdue"], today),
        evidence=dict(rows=files, total=files_total),
        mappings=_mappings_from(read["mappings"]),
        # Read apart: PostgreSQL plans this one afresh for its values every time (its generic plan, for any
        # year and consultant, costs more), and with it the whole statement would be planned afresh too.
        without_mapping=companies_without_mapping(session, consultant_id, today.year),
        **{name: section_from(read[name], today) for name, (_part, section_from) in HOME_SECTIONS.items()},
    )


EXPIRING_WITHIN_DAYS = 90  # the home page's "certificates that expire within 90 days"

# Sections that a package above this one adds to the consultant's home, read in its one statement: a name
# and (a function of ``mine`` that builds the section's select once, bound with ``consultant_id`` (None:
# every company), ``today`` and ``until``; a function of its rows and today that makes the
# section's value for the page).  The certification registers the certificates that expire within
# EXPIRING_WITHIN_DAYS.
HOME_SECTIONS: dict[str, tuple[Callable[[bool], Select], Callable[[list, date], Any]]] = {}


@lru_cache(maxsize=8)
def _home_reads(mine: bool, registered: tuple[str, ...]) -> ReadsTogether:
    return ReadsTogether(dict(
        evidence=evidence.pending_part(mine, SECTION_LIMIT), overdue=_overdue_query(mine, SECTION_LIMIT),
        mappings=_mappings_query(mine, SECTION_LIMIT), **{name: HOME_SECTIONS[name][0](mine) for name in registered}))


# -- a client contact's home -------------------------------------------------------------------------

def _open_years(session: Session, user: User) -> list:
    return session.execute(
        select(CertificationYear.id, CertificationYear.year, CertificationYear.self_mapping, ClientCompany.id.label("company_id"),
               ClientCompany.name.label("company_name"))
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .where(ClientCompany.id.in_(visible_company_ids(user.is_staff, user.id)),
               ClientCompany.archived_at.is_(None), CertificationYear.status == "open")
        .order_by(ClientCompany.name, CertificationYear.year.desc())).all()


def _self_mappings(session: Session, year_ids: list[int]) -> list:
    answered = (select(func.count(ChecklistAnswer.id)).where(ChecklistAnswer.run_id == ChecklistRun.id,
                                                             ChecklistAnswer.answer.is_not(None)).scalar_subquery())
    total = (select(func.count(ChecklistAnswer.id)).where(
        ChecklistAnswer.run_id == ChecklistRun.id,
        ChecklistAnswer.change_flag.is_(None) | (ChecklistAnswer.change_flag != "removed")).scalar_subquery())
    verifier = aliased(User)
    return session.execute(
        select(PhysicalMapping.id, PhysicalMapping.year_id, PhysicalMapping.status, PhysicalMapping.performed_on,
               PhysicalMapping.verified_at, verifier.name.label("verified_by_name"), ChecklistRun.submitted_at,
               answered.label("answered"), total.label("total"))
        .join(ChecklistRun, ChecklistRun.id == PhysicalMapping.run_id)
        .outerjoin(verifier, verifier.id == PhysicalMapping.verified_by)
        .where(PhysicalMapping.year_id.in_(year_ids), PhysicalMapping.method == "self")
        .order_by(PhysicalMapping.id)).all()


def _assigned_actions(session: Session, user: User, year_ids: list[int]) -> list:
    return session.execute(
        select(ActionItem.id, ActionItem.year_id, ActionItem.title, ActionItem.description, ActionItem.deadline,
               ActionItem.status, ActionItem.area)
        .where(ActionItem.year_id.in_(year_ids), ActionItem.responsible_user_id == user.id)
        .order_by((ActionItem.status == "done"), ActionItem.deadline.is_(None), ActionItem.deadline, ActionItem.id)).all()


def _missing(session: Session, year_ids: list[int]) -> dict[int, list[dict]]:
    """Per year, what evidence is still missing (four queries for any number of years)."""
    titles = {c["key"]: c["title_nb"] for c in COMPLIANCE_CHECKS}
    missing: dict[int, list[dict]] = {i: [] for i in year_ids}
    # A2 asks for these only where a mapping is done by others than the provider.
    by_others = (CertificationYear.self_mapping.is_(True)) | select(literal(1)).where(
        PhysicalMapping.year_id == CertificationYear.id, PhysicalMapping.method != "provider").exists()
    for row in session.execute(select(ComplianceCheck.id, ComplianceCheck.year_id, ComplianceCheck.key)
                               .join(CertificationYear, CertificationYear.id == ComplianceCheck.year_id).where(
            ComplianceCheck.year_id.in_(year_ids), ComplianceCheck.status == "pending", by_others,
            evidence.missing_file_filter("compliance_check", ComplianceCheck.id)).order_by(ComplianceCheck.id)):
        missing[row.year_id].append(dict(kind="compliance_check", target_type="compliance_check", target_id=row.id,
                                         text=f"Dokumentasjon: {titles.get(row.key, row.key)}"))
    for row in session.execute(select(ActionItem.id, ActionItem.year_id, ActionItem.title, ActionItem.status).where(
            ActionItem.year_id.in_(year_ids), ActionItem.status.in_(("in_progress", "done")),
            evidence.missing_file_filter("action_item", ActionItem.id)).order_by(ActionItem.id)):
        state = "utført" if row.status == "done" else "pågår"
        missing[row.year_id].append(dict(kind="action_item", target_type="action_item", target_id=row.id,
                                         text=f"Bevis for tiltaket «{row.title}» ({state})"))
    for model, target_type, label in ((PhysicalMapping, "physical_mapping_report", "Rapport fra fysisk kartlegging"),
                                      (PsychosocialMapping, "psychosocial_mapping_report", "Rapport fra psykososial kartlegging")):
        for row in session.execute(select(model.id, model.year_id).where(
                model.year_id.in_(year_ids), model.report_evidence_id.is_(None)).order_by(model.id)):
            missing[row.year_id].append(dict(kind="report", target_type=target_type, target_id=row.id, text=label))
    return missing


def client_home(session: Session, user: User, today: date) -> list[dict]:
    """Per linked company and open year: self-mapping checklists, the user's action items (with their files)
    and what evidence is missing.  Plain data; a fixed number of queries whatever the counts."""
    years = _open_years(session, user)
    year_ids = [y.id for y in years]
    if not year_ids:
        companies = session.execute(visible_companies(user).with_only_columns(ClientCompany.id, ClientCompany.name)
                                    .where(ClientCompany.archived_at.is_(None)).order_by(ClientCompany.name)).all()
        return [dict(company_id=c.id, company_name=c.name, years=[]) for c in companies]
    mappings = _self_mappings(session, year_ids)
    actions = _assigned_actions(session, user, year_ids)
    files = evidence.files_for(session, "action_item", [a.id for a in actions])
    missing = _missing(session, year_ids)
    by_company: dict[int, dict] = {}
    for y in years:
        company = by_company.setdefault(y.company_id, dict(company_id=y.company_id, company_name=y.company_name, years=[]))
        year_mappings = [dict(id=m.id, status=m.status, performed_on=m.performed_on, submitted_at=m.submitted_at,
                              verified_at=m.verified_at, verified_by_name=m.verified_by_name, answered=m.answered,
                              total=m.total, open=m.submitted_at is None and m.status != "completed")
                         for m in mappings if m.year_id == y.id]
        company["years"].append(dict(
            id=y.id, year=y.year, self_mapping=y.self_mapping,
            can_start_mapping=y.self_mapping and not year_mappings,
            mappings=year_mappings,
            actions=[dict(id=a.id, title=a.title, description=a.description, deadline=a.deadline, status=a.status,
                          area=a.area, overdue=a.status != "done" and a.deadline is not None and a.deadline < today,
                          files=files[a.id]) for a in actions if a.year_id == y.id],
            missing=missing[y.id],
        ))
    return list(by_company.values())


# -- what a client contact does there ----------------------------------------------------------------

def assigned_item(session: Session, user: User, action_id: int) -> ActionItem:
    """The action item if it is assigned to ``user`` (and its company visible to them); NotFound otherwise."""
    item = actions.get_item(session, user, action_id)
    if item.responsible_user_id != user.id:
        raise NotFound(action_id)
    return item


def update_assigned_action(session: Session, user: User, item: ActionItem, status: str | None, text: str,
                           upload: tuple[bytes, str] | None = None) -> None:
    """A client contact's update of an item assigned to them: a status and/or a note and/or a file, all
    together or nothing (the caller's transaction).  Raises NotFound for an item not assigned to the user,
    FieldErrors for an empty update or a refused file."""
    if item.responsible_user_id != user.id:
        raise NotFound(item.id)
    changes_status = bool(status) and status != item.status
    if not changes_status and not (text or "").strip() and upload is None:
        raise FieldErrors({"text": "Skriv et notat, endre status eller last opp en fil."})
    if changes_status and status == "done" and upload is None and not _has_evidence(session, item.id):
        # The consultant verifies a closed item against what the company shows, so closing needs something to show.
        raise FieldErrors({"file": lazy_gettext("Legg ved et bilde eller en fil som viser at tiltaket er utført.")})
    if changes_status or (text or "").strip():
        actions.record_progress(session, user, item, status if changes_status else None, text)
    if upload is not None:
        target = evidence.resolve_target(session, "action_item", item.id, user)
        evidence.upload(session, user, target, upload[0], upload[1], (text or "").strip())


def _has_evidence(session: Session, action_id: int) -> bool:
    from saas.hms.models import Evidence

    return session.scalar(select(Evidence.id).where(
        Evidence.target_type == "action_item", Evidence.target_id == action_id, Evidence.status != "rejected",
        Evidence.superseded.is_(False)).limit(1)) is not None


def self_mapping(session: Session, user: User, mapping_id: int):
    """A physical mapping the company does itself, with its year: (mapping, year).  NotFound for another
    company's mapping or one the provider does (the client fills in only its own checklists)."""
    mapping, year = mappings.get_physical(session, user, mapping_id)
    if mapping.method != "self":
        raise NotFound(mapping_id)
    return mapping, year


def self_mapping_year(session: Session, user: User, year_id: int) -> CertificationYear:
    """A year the user may see whose company maps itself (CertificationYear.self_mapping); NotFound otherwise."""
    year = get_year(session, user, year_id)
    if not year.self_mapping:
        raise NotFound(year_id)
    return year


def start_self_mapping(session: Session, user: User, year: CertificationYear) -> PhysicalMapping:
    """Start the checklist of a self-mapping year (from ``self_mapping_year``).  FieldErrors when the year is
    closed or its self-mapping is already started."""
    exists = session.scalar(select(PhysicalMapping.id).where(PhysicalMapping.year_id == year.id, PhysicalMapping.method == "self"))
    if exists is not None:
        raise FieldErrors({"_schema": "Egenkartleggingen for dette året er allerede startet."})
    return mappings.create_physical(session, user, year, {"method": "self"})


def save_self_mapping(session: Session, user: User, mapping: PhysicalMapping, year: CertificationYear, entries: list[dict],
                      details: dict, submit: bool, today: date) -> None:
    """Save the client's answers and the mapping's date and participants; with ``submit``, hand the mapping
    in (every item answered, a date given) for the consultant to verify.  Raises FieldErrors."""
    if mapping.run.submitted_at is not None or mapping.status == "completed":
        raise FieldErrors({"_schema": "Kartleggingen er sendt inn. Kontakt rådgiveren hvis noe må endres."})
    mappings.save_physical_answers(session, user, year, mapping, entries)
    mappings.update_physical(session, user, year, mapping, {k: v for k, v in details.items() if k in ("performed_on", "participants")})
    if submit:
        mappings.complete_physical(session, user, year, mapping, today)
