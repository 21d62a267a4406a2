"""Written reports of mappings, generated as PDFs by a job and kept as evidence.

A request bumps the mapping's ``report_version`` and enqueues one job for that version after the commit
(job id ``mapping-report-<id>-<version>``).  The job re-reads the mapping under a row lock and returns
early when that version is already rendered or a newer one was asked for, so running it twice leaves one
report.  The PDF is stored through the evidence area (generated, verified), which points the mapping's
``report_evidence_id`` at it.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from saas.audit.services import record
from saas.hms.models import ActionItem, CertificationYear, Evidence, PhysicalMapping, PsychosocialMapping
from saas.hms.services import checklists
from saas.hms.services.years import METHOD_LABELS, check_open, physical_mapping_dict, psychosocial_dict
from saas.jobs import enqueue
from saas.pdf import render_pdf
from saas.schemas import FieldErrors
from saas.tenancy import bound_tenant
from saas.tenants.models import Tenant, User
from saas.tenants.services import branding

GRADE_LABELS = {"serious": "Alvorlig avvik", "minor": "Mindre alvorlig avvik", "observation": "Observasjon"}
ACTION_STATUS_LABELS = {"open": "Åpen", "in_progress": "Pågår", "done": "Utført"}


def request_physical_report(session: Session, actor: User, year: CertificationYear, mapping: PhysicalMapping) -> int:
    """Ask for a new generated report of a completed mapping; returns the report version asked for."""
    check_open(year)
    if mapping.status != "completed":
        raise FieldErrors({"_schema": "Fullfør kartleggingen før rapporten lages."})
    from saas.hms.jobs import generate_mapping_report

    version = _bump(session, PhysicalMapping, mapping)
    enqueue(session, generate_mapping_report, mapping.id, version, actor.id, tenant_id=mapping.tenant_id,
            job_id=f"mapping-report-{mapping.id}-{version}")
    record(session, actor, "physical_mapping.report_requested", mapping, f"{year.company.name} {year.year}", version=version)
    return version


def request_psychosocial_report(session: Session, actor: User, year: CertificationYear, mapping: PsychosocialMapping) -> int:
    check_open(year)
    if mapping.status != "completed":
        raise FieldErrors({"_schema": "Fullfør kartleggingen før rapporten lages."})
    from saas.hms.jobs import generate_psychosocial_report

    version = _bump(session, PsychosocialMapping, mapping)
    enqueue(session, generate_psychosocial_report, mapping.id, version, actor.id, tenant_id=mapping.tenant_id,
            job_id=f"psychosocial-report-{mapping.id}-{version}")
    record(session, actor, "psychosocial_mapping.report_requested", mapping, f"{year.company.name} {year.year}", version=version)
    return version


def _bump(session: Session, model, mapping) -> int:
    # The row lock makes two simultaneous requests ask for versions n+1 and n+2, not n+1 twice.
    session.scalar(select(model.id).where(model.id == mapping.id).with_for_update())
    session.refresh(mapping, ["report_version"])
    mapping.report_version += 1
    session.flush()
    return mapping.report_version


def generate_physical_report(session: Session, mapping_id: int, version: int, user_id: int | None) -> int | None:
    """Render and store report ``version`` of a physical mapping; returns the evidence id, or None when
    there was nothing to do (already rendered, superseded by a newer request, or the mapping is gone)."""
    mapping = session.scalar(select(PhysicalMapping).where(PhysicalMapping.id == mapping_id).with_for_update())
    if mapping is None or not _due(mapping, version):
        return None
    context = physical_report_context(session, mapping)
    pdf = render_pdf("mapping_report.html", **context)
    evidence = _store(session, "physical_mapping_report", mapping, pdf, user_id,
                      _file_name("kartleggingsrapport", context["company"]["name"], context["year"], version),
                      f"Rapport fra fysisk kartlegging, versjon {version}")
    mapping.report_generated_version = version
    return evidence.id


def generate_psychosocial_report(session: Session, mapping_id: int, version: int, user_id: int | None) -> int | None:
    mapping = session.scalar(select(PsychosocialMapping).where(PsychosocialMapping.id == mapping_id).with_for_update())
    if mapping is None or not _due(mapping, version):
        return None
    context = psychosocial_report_context(session, mapping)
    pdf = render_pdf("psychosocial_report.html", **context)
    evidence = _store(session, "psychosocial_mapping_report", mapping, pdf, user_id,
                      _file_name("psykososial-rapport", context["company"]["name"], context["year"], version),
                      f"Rapport fra psykososial kartlegging, versjon {version}")
    mapping.report_generated_version = version
    return evidence.id


REPORT_JOBS = {"saas.hms.jobs.generate_mapping_report": PhysicalMapping,
               "saas.hms.jobs.generate_psychosocial_report": PsychosocialMapping}
STATUS_LABELS = {"none": "Ingen rapport ennå", "pending": "Rapporten lages nå", "ready": "Rapporten er klar",
                 "failed": "Rapporten kunne ikke lages"}


def report_status(mapping) -> dict:
    """Where the newest asked-for report stands: {"state": none | pending | ready | failed, "label", "error",
    "version"}.  "pending" covers queued and rendering (the job commits once, when it is done)."""
    asked, made = mapping.report_version or 0, mapping.report_generated_version or 0
    if asked == 0:
        state = "none"
    elif made >= asked:
        state = "ready"
    elif mapping.report_failed_version == asked:
        state = "failed"
    else:
        state = "pending"
    return dict(state=state, label=STATUS_LABELS[state], error=mapping.report_error if state == "failed" else "",
                version=asked)


def record_report_failure(app, name: str, tenant_id: int | None, args: list, error: Exception) -> None:
    """Receiver of ``saas.jobs.job_failed``: remember that this version of a report failed, and why, so the
    page can say so and offer to try again.  A session of its own: the job's rolled back."""
    model = REPORT_JOBS.get(name)
    if model is None or tenant_id is None or len(args) < 2:
        return
    from saas.tenancy import bind_tenant

    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, tenant_id)
        mapping = session.get(model, args[0])
        if mapping is not None and mapping.report_version == args[1]:
            mapping.report_failed_version = args[1]
            mapping.report_error = (str(error) or type(error).__name__)[:500]


def _due(mapping, version: int) -> bool:
    return mapping.report_version == version and (mapping.report_generated_version or 0) < version


def _store(session: Session, target_type: str, mapping, pdf: bytes, user_id: int | None, filename: str, description: str) -> Evidence:
    from saas.hms.services import evidence

    actor = session.get(User, user_id) if user_id else None
    target = evidence.resolve_target(session, target_type, mapping.id)
    return evidence.store_generated(session, actor, target, pdf, filename, description)


def _file_name(prefix: str, company: str, year: int, version: int) -> str:
    ascii_name = unicodedata.normalize("NFKD", company.replace("Æ", "AE").replace("æ", "ae").replace("Ø", "O")
                                       .replace("ø", "o")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60] or "kunde"
    return f"{prefix}-{slug}-{year}-v{version}.pdf"


# -- what the PDFs show (plain data only) ----------------------------------------------------------------

def _common(session: Session, year_id: int) -> dict:
    year = session.scalar(select(CertificationYear).where(CertificationYear.id == year_id)
                          .options(joinedload(CertificationYear.company), joinedload(CertificationYear.consultant)))
    company = year.company
    tenant = session.get(Tenant, bound_tenant(session))
    return dict(
        tenant=branding(tenant), year=year.year,
        consultant_name=year.consultant.name if year.consultant else "",
        company=dict(name=company.name, org_number=company.org_number, address=company.address, postcode=company.postcode,
                     city=company.city, employee_count=company.employee_count),
    )


def _actions(session: Session, condition) -> list[dict]:
    rows = session.execute(select(ActionItem.id, ActionItem.title, ActionItem.grade, ActionItem.status, ActionItem.deadline,
                                  ActionItem.responsible_name).where(condition).order_by(ActionItem.id)).all()
    return [dict(r._mapping, grade_label=GRADE_LABELS.get(r.grade, ""), status_label=ACTION_STATUS_LABELS.get(r.status, r.status))
            for r in rows]


def physical_report_context(session: Session, mapping: PhysicalMapping) -> dict:
    checklist = checklists.run_sections(session, mapping.run)
    findings = [dict(a, section_title=s["title"], grade_label=GRADE_LABELS.get(a["finding_grade"], ""))
                for s in checklist["sections"] for a in s["answers"] if a["answer"] == "finding"]
    action_ids = [f["action_item_id"] for f in findings if f["action_item_id"]]
    actions = _actions(session, ActionItem.id.in_(action_ids)) if action_ids else []
    by_id = {a["id"]: a for a in actions}
    for finding in findings:
        finding["action"] = by_id.get(finding["action_item_id"])
    return dict(_common(session, mapping.year_id), mapping=dict(physical_mapping_dict(mapping), method_label=METHOD_LABELS.get(mapping.method)),
                checklist=checklist, findings=findings, grade_labels=GRADE_LABELS)


def psychosocial_report_context(session: Session, mapping: PsychosocialMapping) -> dict:
    actions = _actions(session, (ActionItem.year_id == mapping.year_id) & (ActionItem.area == "psychosocial"))
    return dict(_common(session, mapping.year_id), mapping=psychosocial_dict(mapping), actions=actions)
