"""The certification year of a client company: opening it, "start from last year", and its overview.

One year per company and year (a unique constraint backs the check).  The overview is the year page's
data: a fixed number of queries whatever the number of action items, hazards or years of history.
"""
from __future__ import annotations

from functools import cache, lru_cache
from typing import Callable

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from saas.audit.services import record
from saas.clients.models import ClientCompany
from saas.clients.services import NotFound, visible_company_ids
from saas.db import ReadsTogether, columns_of
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ChecklistRun, Evidence, Hazard, PhysicalMapping,
                             PsychosocialMapping, RiskAssessment, SafetyRound)
from saas.hms.services import checklists
from saas.hms.services.compliance import checks_from, ensure_compliance_checks, year_checks_part
from saas.i18n import today_in_oslo as oslo_today  # noqa: F401  (views call years.oslo_today)
from saas.schemas import FieldErrors
from saas.schemes.services import hms_version
from saas.tenants.models import User

STATUS_LABELS = {"open": "Åpent", "decided": "Besluttet", "closed": "Avsluttet"}
METHOD_LABELS = {"provider": "Med tilbyderen", "self": "Av virksomheten selv", "third_party": "Av tredjepart"}


def get_year(session: Session, user: User, year_id: int) -> CertificationYear:
    """The year with its company, if ``user`` may see the company; raises NotFound."""
    year = session.scalar(_year_statement(user.is_staff), {"year_id": year_id, "user_id": user.id})
    if year is None:
        raise NotFound(year_id)
    return year


@lru_cache(maxsize=2)
def _year_statement(staff: bool) -> Select:
    # Built once per kind of user and bound per call: every page of a year reads it first.
    return (select(CertificationYear)
            .where(CertificationYear.id == bindparam("year_id"),
                   CertificationYear.company_id.in_(visible_company_ids(staff, bindparam("user_id"))))
            # The consultant's roles are not the page's business: loaded only if asked for (not one more statement).
            .options(joinedload(CertificationYear.company), joinedload(CertificationYear.consultant).lazyload(User.role_rows)))


def check_open(year: CertificationYear) -> None:
    """Work can change only while the year is open; a decided or closed year is the record of a decision."""
    if year.status != "open":
        raise FieldErrors({"_schema": "Sertifiseringsåret er avsluttet og kan ikke endres."})


def company_years(session: Session, company_id: int) -> list[dict]:
    """The company's years, newest first (one query)."""
    return years_from(session.execute(company_years_part(), {"company_id": company_id}).all())


def years_from(rows) -> list[dict]:
    """``company_years`` from the rows of ``company_years_part``."""
    return [dict(id=r.id, year=r.year, status=r.status, status_label=STATUS_LABELS.get(r.status, r.status),
                 consultant_name=r.consultant_name or "", carried_over=r.previous_year_id is not None)
            for r in sorted(rows, key=lambda r: r.year, reverse=True)]


@cache
def company_years_part() -> Select:
    # Built once, bound per call (the year and company pages read it on every visit).
    return (select(CertificationYear.id, CertificationYear.year, CertificationYear.status, CertificationYear.previous_year_id,
                   User.name.label("consultant_name"))
            .outerjoin(User, User.id == CertificationYear.consultant_id)
            .where(CertificationYear.company_id == bindparam("company_id")))


def open_year(session: Session, actor: User, company: ClientCompany, data: dict) -> CertificationYear:
    """Open ``data["year"]`` for ``company`` (and start it from the previous year when asked).

    Raises FieldErrors {"year"} when the company already has that year, {"start_from_previous"} when
    there is no earlier year to start from.
    """
    duplicate = FieldErrors({"year": f"{company.name} har allerede et sertifiseringsår for {data['year']}."})
    if session.scalar(select(CertificationYear.id).where(CertificationYear.company_id == company.id,
                                                         CertificationYear.year == data["year"])) is not None:
        raise duplicate
    year = CertificationYear(company_id=company.id, year=data["year"], consultant_id=company.consultant_id or actor.id,
                             opened_by=actor.id, self_mapping=data.get("self_mapping", False),
                             scheme_version_id=hms_version(session).id)
    try:
        with session.begin_nested():  # a parallel open of the same year loses here, not with a 500
            session.add(year)
            session.flush()
    except IntegrityError:
        raise duplicate from None
    year.company = company
    ensure_compliance_checks(session, year)
    record(session, actor, "year.opened", year, f"{company.name}: {year.year}")
    if data.get("start_from_previous"):
        start_from_previous(session, actor, year)
    return year


def previous_year(session: Session, year: CertificationYear) -> CertificationYear | None:
    return session.scalar(select(CertificationYear).where(CertificationYear.company_id == year.company_id,
                                                          CertificationYear.year < year.year)
                          .order_by(CertificationYear.year.desc()).limit(1))


def start_from_previous(session: Session, actor: User, year: CertificationYear) -> dict:
    """Copy last year's checklists, risk register and open action items into ``year``.

    Checklists get a new run on the template's current version: unanswered, with last year's answers and
    comments as hints and items flagged new / changed / removed.  Assessments become drafts with the same
    hazards on a snapshot of the current matrix.  Open items start again as open, pointing back with
    ``carried_from_id``.  Returns counts of what was copied.  Raises FieldErrors when the year was already
    started from last year or has no earlier year.
    """
    check_open(year)
    if year.previous_year_id is not None:
        raise FieldErrors({"start_from_previous": "Året er allerede startet fra fjorårets arbeid."})
    previous = previous_year(session, year)
    if previous is None:
        raise FieldErrors({"start_from_previous": "Det finnes ikke noe tidligere år for denne kunden å starte fra."})
    year.previous_year_id = previous.id
    carried = _carry_actions(session, actor, previous, year)
    counts = dict(actions=len(carried), **_carry_checklists(session, previous, year, carried), **_carry_risks(session, previous, year))
    session.flush()
    record(session, actor, "year.started_from_previous", year, f"{year.company.name}: {previous.year} → {year.year}", **counts)
    return counts


def _carry_actions(session: Session, actor: User, previous: CertificationYear, year: CertificationYear) -> dict[int, int]:
    """Open items of last year as new open items; returns {old id: new id}."""
    old_items = session.scalars(select(ActionItem).where(ActionItem.year_id == previous.id, ActionItem.status != "done")
                                .order_by(ActionItem.id)).all()
    pairs = []
    for old in old_items:
        new = ActionItem(year_id=year.id, title=old.title, description=old.description, area=old.area,
                         source_type=old.source_type, source_id=old.source_id, grade=old.grade,
                         responsible_name=old.responsible_name, responsible_user_id=old.responsible_user_id,
                         deadline=old.deadline, status="open", carried_from_id=old.id, created_by=actor.id)
        session.add(new)
        pairs.append((old, new))
    session.flush()
    return {old.id: new.id for old, new in pairs}


def _carry_checklists(session: Session, previous: CertificationYear, year: CertificationYear, carried: dict[int, int]) -> dict:
    run_options = selectinload(PhysicalMapping.run).options(
        selectinload(ChecklistRun.answers), joinedload(ChecklistRun.template_version))
    mappings = session.scalars(select(PhysicalMapping).where(PhysicalMapping.year_id == previous.id)
                               .order_by(PhysicalMapping.id).options(run_options)).all()
    last_round = session.scalar(select(SafetyRound).where(SafetyRound.year_id == previous.id)
                                .order_by(SafetyRound.held_on.desc().nulls_last(), SafetyRound.id.desc()).limit(1)
                                .options(selectinload(SafetyRound.run).options(selectinload(ChecklistRun.answers),
                                                                              joinedload(ChecklistRun.template_version))))
    for mapping in mappings:
        run = _copy_run(session, mapping.run, carried)
        session.add(PhysicalMapping(year_id=year.id, run_id=run.id, method=mapping.method, performed_by=mapping.performed_by,
                                    participants=mapping.participants))
    if last_round is not None:
        run = _copy_run(session, last_round.run, carried)
        session.add(SafetyRound(year_id=year.id, run_id=run.id, location=last_round.location, participants=last_round.participants))
    session.flush()
    return dict(mappings=len(mappings), rounds=int(last_round is not None))


def _copy_run(session: Session, old_run: ChecklistRun, carried: dict[int, int]) -> ChecklistRun:
    version = checklists.current_version(session, old_run.template_version.template_id)
    run = checklists.new_run(session, version, previous=old_run)
    # A finding whose action item was carried over keeps pointing at it, so answering "finding" again
    # this year updates that item instead of adding a duplicate to the plan.
    links = {a.item_key: carried[a.action_item_id] for a in old_run.answers if a.action_item_id in carried}
    if links:
        for answer in session.scalars(select(ChecklistAnswer).where(ChecklistAnswer.run_id == run.id,
                                                                    ChecklistAnswer.item_key.in_(links))):
            if answer.change_flag != "removed":
                answer.action_item_id = links[answer.item_key]
    return run


def _carry_risks(session: Session, previous: CertificationYear, year: CertificationYear) -> dict:
    assessments = session.scalars(select(RiskAssessment).where(RiskAssessment.year_id == previous.id)
                                  .order_by(RiskAssessment.id).options(selectinload(RiskAssessment.hazards))).all()
    if not assessments:
        return dict(assessments=0, hazards=0)
    from saas.hms.services.risks import current_matrix

    snapshot = dict(current_matrix(session).data)
    # The tenant may have moved to a smaller matrix since: keep each level inside the current one.
    n_p, n_c = len(snapshot["probability_labels"]), len(snapshot["consequence_labels"])

    def fit(level: int | None, n: int) -> int | None:
        return None if level is None else max(1, min(level, n))

    hazards = 0
    for old in assessments:
        new = RiskAssessment(year_id=year.id, title=old.title, responsible=old.responsible, matrix_snapshot=snapshot, status="draft")
        session.add(new)
        session.flush()
        for h in old.hazards:
            session.add(Hazard(assessment_id=new.id, description=h.description, location=h.location, area=h.area,
                               probability=fit(h.probability, n_p), consequence=fit(h.consequence, n_c),
                               probability_after=fit(h.probability_after, n_p), consequence_after=fit(h.consequence_after, n_c),
                               measures=h.measures, responsible=h.responsible, source=h.source, source_id=h.source_id))
            hazards += 1
    return dict(assessments=len(assessments), hazards=hazards)


# -- the year page -------------------------------------------------------------------------------------

def year_overview(session: Session, year: CertificationYear) -> dict:
    """Everything the year page shows, as plain data, in two queries: the action plan, and every other
    list read together (``_overview_reads``)."""
    from saas.hms.services import actions, evidence, risks

    company = year.company
    read = _overview_reads(tuple(YEAR_PAGE_READS)).read(
        session, dict(year_id=year.id, company_id=company.id, year=year.year, previous_year=year.year - 1))
    history = years_from(read["history"])
    safety_rounds = _rounds_from(read["safety_rounds"])
    action_summary, rule_action_items = actions.year_summary_and_rule_items(session, year.id)
    psychosocial, previous_psychosocial = _psychosocial_from(read["psychosocial"], year.id)
    return dict(
        year=dict(id=year.id, year=year.year, status=year.status, status_label=STATUS_LABELS.get(year.status, year.status),
                  open=year.status == "open", self_mapping=year.self_mapping, previous_year_id=year.previous_year_id,
                  opened_at=year.opened_at, consultant_name=year.consultant.name if year.consultant else ""),
        company=dict(id=company.id, name=company.name, org_number=company.org_number, employee_count=company.employee_count,
                     works_off_premises=company.works_off_premises),
        history=history,
        can_start_from_previous=year.previous_year_id is None and year.status == "open" and any(h["year"] < year.year for h in history),
        physical_mappings=_physical_from(read["physical_mappings"]),
        psychosocial_mappings=psychosocial,
        safety_rounds=safety_rounds,
        show_safety_rounds=company.works_off_premises or bool(safety_rounds),
        compliance=checks_from(read["compliance"], company.employee_count),
        risks=risks.summary_from(session, read["risks"]),
        actions=action_summary,
        evidence=evidence.summary_from(read["evidence"]),
        # For the verdict's facts (saas.certification.services.facts), not the page: every item as the class rules
        # see it, and the completed psychosocial mappings of the company's year before (the A1 and A+3 waivers).
        rule_action_items=rule_action_items,
        previous_psychosocial_mappings=previous_psychosocial,
        # The rows of the reads registered in YEAR_PAGE_READS, by their names.
        registered_reads={name: read[name] for name in YEAR_PAGE_READS},
    )


# Reads that a package above this one adds to the year page's one statement: a name and a function that builds
# a select (once) bound with ``year_id`` and ``company_id``; its rows come back in the overview's
# ``registered_reads``.  The certification's facts register the verdict's own reads here (attestations,
# earlier certificates, ...), so the page reads them without one more statement and without this package
# importing the certification's.
YEAR_PAGE_READS: dict[str, Callable[[], Select]] = {}


@cache
def _overview_reads(registered: tuple[str, ...]) -> ReadsTogether:
    # The year page's small lists in one statement, built once per set of registered reads (binds: year_id,
    # company_id, year, previous_year).  The action plan is read apart: hundreds of rows read fastest as tuples.
    from saas.hms.services import evidence, risks

    return ReadsTogether(dict(
        history=company_years_part(), safety_rounds=_with_run_stats_part(SafetyRound),
        physical_mappings=_with_run_stats_part(PhysicalMapping), psychosocial=_psychosocial_part(),
        compliance=year_checks_part(), risks=risks.year_summary_part(), evidence=evidence.year_summary_part(),
        **{name: YEAR_PAGE_READS[name]() for name in registered}))


def physical_rows(session: Session, year_id: int) -> list[dict]:
    """The year's physical mappings with their checklist counts and ``report_evidence_status``, the status of
    their report's evidence (None without one) (one query)."""
    return _physical_from(session.execute(_with_run_stats_part(PhysicalMapping), {"year_id": year_id}).all())


def round_rows(session: Session, year_id: int) -> list[dict]:
    """The year's safety rounds with their checklist counts (one query)."""
    return _rounds_from(session.execute(_with_run_stats_part(SafetyRound), {"year_id": year_id}).all())


def _physical_from(rows) -> list[dict]:
    return [dict(physical_mapping_dict(m), **_stats(m), report_evidence_status=m.report_evidence_status)
            for m in _newest_first(rows, "performed_on")]


def _rounds_from(rows) -> list[dict]:
    return [dict(safety_round_dict(r), **_stats(r)) for r in _newest_first(rows, "held_on")]


def _newest_first(rows, day: str) -> list:
    # Not yet done (no date) first, then the newest, then as entered.
    def key(row):
        on = getattr(row, day)
        return on is not None, -on.toordinal() if on else 0, row.id

    return sorted(rows, key=key)


def _stat_columns():
    live = ChecklistAnswer.change_flag.is_(None) | (ChecklistAnswer.change_flag != "removed")

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return (count(live).label("total"), count(live & ChecklistAnswer.answer.is_not(None)).label("answered"),
            count(ChecklistAnswer.answer == "finding").label("findings"), count(ChecklistAnswer.change_flag == "new").label("new"),
            count(ChecklistAnswer.change_flag == "changed").label("changed"),
            count(ChecklistAnswer.change_flag == "removed").label("removed"))


_STAT_KEYS = ("total", "answered", "findings", "new", "changed", "removed")


def _stats(row) -> dict:
    return {key: int(getattr(row, key) or 0) for key in _STAT_KEYS}


@cache
def _with_run_stats_part(model) -> Select:
    # The year's mappings or rounds with the counts of their checklist runs joined in as an aggregate
    # subquery over this year's runs only (one statement instead of two); a physical mapping's row ends with
    # the status of its report's evidence.  Built once per model and bound per call: making this statement
    # (six aggregates and a subquery's columns) cost more CPU than running it.
    year_id = bindparam("year_id")
    stats = (select(ChecklistAnswer.run_id.label("run_id"), *_stat_columns())
             .join(model, model.run_id == ChecklistAnswer.run_id).where(model.year_id == year_id)
             .group_by(ChecklistAnswer.run_id).subquery())
    query = select(*columns_of(model), *(stats.c[k] for k in _STAT_KEYS)).outerjoin(stats, stats.c.run_id == model.run_id)
    if model is PhysicalMapping:  # the verdict's "has a report" (B2): not one more statement for it
        query = (query.add_columns(Evidence.status.label("report_evidence_status"))
                 .outerjoin(Evidence, Evidence.id == PhysicalMapping.report_evidence_id))
    return query.where(model.year_id == year_id)


def run_stats(session: Session, run_ids: list[int]) -> dict[int, dict]:
    """Per run: items, answered, findings and change flags (one query for any number of runs)."""
    if not run_ids:
        return {}
    rows = session.execute(select(ChecklistAnswer.run_id, *_stat_columns())
                           .where(ChecklistAnswer.run_id.in_(run_ids)).group_by(ChecklistAnswer.run_id)).all()
    return {r[0]: dict(total=int(r[1]), answered=int(r[2]), findings=int(r[3]), new=int(r[4]), changed=int(r[5]),
                       removed=int(r[6])) for r in rows}


def _psychosocial_from(rows, year_id: int) -> tuple[list[dict], list[dict]]:
    """``psychosocial_rows`` of the year, each with ``report_evidence_status`` (the status of its report's
    evidence, None without one), and the completed mappings of the company's year before."""
    rows = sorted(rows, key=lambda p: p.id)
    return ([dict(psychosocial_dict(p), report_evidence_status=p.report_evidence_status) for p in rows if p.year_id == year_id],
            [psychosocial_dict(p) for p in rows if p.year_id != year_id and p.status == "completed"])


@cache
def _psychosocial_part() -> Select:
    # The mappings of the company's year and of its year before (binds: company_id, year, previous_year).
    years = select(CertificationYear.id).where(CertificationYear.company_id == bindparam("company_id"),
                                                CertificationYear.year.in_((bindparam("year"), bindparam("previous_year"))))
    return (select(*columns_of(PsychosocialMapping), Evidence.status.label("report_evidence_status"))
            .outerjoin(Evidence, Evidence.id == PsychosocialMapping.report_evidence_id)
            .where(PsychosocialMapping.year_id.in_(years.scalar_subquery())))


def psychosocial_rows(session: Session, year_id: int) -> list[dict]:
    return [psychosocial_dict(p) for p in session.scalars(select(PsychosocialMapping).where(PsychosocialMapping.year_id == year_id)
                                                          .order_by(PsychosocialMapping.id))]


def report_status(mapping) -> dict:
    from saas.hms.services.reports import report_status as status

    return status(mapping)


def physical_mapping_dict(m: PhysicalMapping) -> dict:
    return dict(id=m.id, year_id=m.year_id, run_id=m.run_id, performed_on=m.performed_on, planned_on=m.planned_on, method=m.method,
                method_label=METHOD_LABELS.get(m.method, m.method), performed_by=m.performed_by, participants=m.participants,
                summary=m.summary, status=m.status, completed_on=m.completed_on, report_evidence_id=m.report_evidence_id,
                report_pending=m.report_version > (m.report_generated_version or 0), report_status=report_status(m),
                reviewed_with_management_on=m.reviewed_with_management_on, verified_by=m.verified_by, verified_at=m.verified_at,
                needs_verification=m.method != "provider" and m.verified_at is None)


def psychosocial_dict(p: PsychosocialMapping) -> dict:
    return dict(id=p.id, year_id=p.year_id, method_interviews=p.method_interviews, method_survey=p.method_survey,
                survey_id=p.survey_id, done_by_provider=p.done_by_provider, interviews_from=p.interviews_from,
                completed_on=p.completed_on, conversation_count=p.conversation_count, themes=p.themes, findings=p.findings,
                no_significant_conditions=p.no_significant_conditions, status=p.status, report_evidence_id=p.report_evidence_id,
                report_pending=p.report_version > (p.report_generated_version or 0), report_status=report_status(p),
                reviewed_with_management_on=p.reviewed_with_management_on)


def safety_round_dict(r: SafetyRound) -> dict:
    return dict(id=r.id, year_id=r.year_id, run_id=r.run_id, held_on=r.held_on, planned_on=r.planned_on, location=r.location,
                participants=r.participants, notes=r.notes, status=r.status, completed_on=r.completed_on)
