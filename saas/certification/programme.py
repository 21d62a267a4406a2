"""The provider's audit programme: every client of the audit-based schemes with its next surveillance
audit, its recertification clock, its open case (where it stands) and every overdue clock.

A fixed number of queries however many clients (bench/audit_programme.py measures it): the live
certificates, the cases, and their related rows are each loaded in one go.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from saas.audits import clocks
from saas.audits.models import AuditCase, Finding
from saas.audits.services import overview
from saas.certification.scheme_certificates import withdrawal_notices
from saas.certification.scheme_models import SchemeCertificate
from saas.certification.services.certificates import effective_state
from saas.schemes.models import Scheme, SchemeVersion
from saas.schemes.services import settings_of

LIVE = ("active", "suspended")


def programme(session: Session, today: date, company_ids=None) -> dict:
    """Rows (one per live certificate, plus one per open initial case) sorted by what is due first, and
    the overdue clocks."""
    cert_query = (select(SchemeCertificate).where(SchemeCertificate.state.in_(LIVE))
                  .options(joinedload(SchemeCertificate.company)))
    case_query = (select(AuditCase)
                  # Joined loads: one statement however many rows (selectinload adds one per 500 ids).
                  .options(joinedload(AuditCase.company), joinedload(AuditCase.team),
                           joinedload(AuditCase.findings).joinedload(Finding.corrective_actions)))
    if company_ids is not None:
        cert_query = cert_query.where(SchemeCertificate.company_id.in_(company_ids))
        case_query = case_query.where(AuditCase.company_id.in_(company_ids))
    # The tenant's few schemes and versions, loaded once: every row's scheme and version then come from the
    # identity map (a many-to-one lazy load of a loaded row issues no SQL).
    list(session.scalars(select(Scheme)))
    list(session.scalars(select(SchemeVersion)))
    certificates = list(session.scalars(cert_query))
    notices = withdrawal_notices(session) if certificates else {}
    all_cases = list(session.scalars(case_query).unique())
    by_key: dict[tuple[int, int], list[AuditCase]] = defaultdict(list)
    for case in all_cases:
        by_key[(case.company_id, case.scheme_id)].append(case)

    rows, overdue = [], []
    for c in certificates:
        settings = settings_of(c.scheme_version)
        related = by_key.get((c.company_id, c.scheme_id), [])
        held = [clocks.AuditDone(k.closing_held_on, _clean(k), k.document_only) for k in related
                if k.kind == "surveillance" and k.closing_held_on and k.closing_held_on >= c.cycle_started_on]
        initial = next((clocks.AuditDone(k.closing_held_on, _clean(k)) for k in related
                        if k.id == c.case_id and k.closing_held_on), None)
        slots = clocks.surveillance_plan(c.cycle_started_on, c.valid_until, settings.surveillance, held, today,
                                         initial=initial)
        nxt = clocks.next_surveillance(slots)
        applied = next((k.application_received_on for k in related if k.kind == "recertification"
                        and k.application_received_on and k.application_received_on >= c.cycle_started_on), None)
        recert = clocks.recertification(c.valid_until, settings.recertification_lead_months,
                                        settings.recertification_warning_days, today, applied_on=applied,
                                        notice_given_on=notices.get(c.id),
                                        withdrawal_notice_days=settings.deadlines.withdrawal_notice_days)
        open_case = next((k for k in sorted(related, key=lambda k: -k.id) if not k.closed_on and not k.refused_on), None)
        row = dict(company_id=c.company_id, company_name=c.company.name, scheme_name=c.scheme.name,
                   certificate_id=c.id, number=c.number, state=effective_state(c.state, c.valid_until, today),
                   valid_until=c.valid_until, increased_surveillance=c.increased_surveillance,
                   next_due=nxt.due if nxt else None, next_state=nxt.state if nxt else "",
                   document_only_allowed=bool(nxt and nxt.document_only_allowed),
                   surveillance_done=sum(1 for s in slots if s.done_on), surveillance_total=len(slots),
                   recert_state=recert.state, apply_by=recert.apply_by, withdrawal_on=recert.withdrawal_on,
                   withdrawal_notice_days=settings.deadlines.withdrawal_notice_days,
                   recert_warning=min(recert.warnings_due) if recert.warnings_due else None,
                   **_case_fields(open_case, today))
        rows.append(row)
        if nxt and nxt.state == clocks.OVERDUE:
            overdue.append(dict(company_name=c.company.name, label="Oppfølgingsrevisjon", due=nxt.due,
                                case_id=None, certificate_id=c.id))
        if recert.state == "notice":
            overdue.append(dict(company_name=c.company.name, label="Søknad om resertifisering", due=recert.apply_by,
                                case_id=None, certificate_id=c.id))
    certified = {(c.company_id, c.scheme_id) for c in certificates}
    for case in all_cases:
        if case.closed_on or case.refused_on:
            continue
        if (case.company_id, case.scheme_id) not in certified:
            rows.append(dict(company_id=case.company_id, company_name=case.company.name, scheme_name=case.scheme.name,
                             certificate_id=None, number="", state="", valid_until=None, increased_surveillance=False,
                             next_due=case.audit_planned_on, next_state="", document_only_allowed=False,
                             surveillance_done=0, surveillance_total=0, recert_state="", apply_by=None, recert_warning=None,
                             withdrawal_on=None, withdrawal_notice_days=0,
                             **_case_fields(case, today)))
        for clock in overview.case_clocks(case, today):
            if clock.state == clocks.OVERDUE:
                overdue.append(dict(company_name=case.company.name, label=clock.label, due=clock.due, case_id=case.id,
                                    certificate_id=None))
    rows.sort(key=lambda r: (r["next_due"] or date.max, r["company_name"]))
    overdue.sort(key=lambda o: o["due"])
    return dict(rows=rows, overdue=overdue, today=today)


def _clean(case: AuditCase) -> bool:
    return not any(f.grade != "observation" for f in case.findings)


def _case_fields(case: AuditCase | None, today: date) -> dict:
    if case is None:
        return dict(case_id=None, case_step="", case_party="", case_next="", case_audit_on=None)
    step, party, next_text = overview.where_it_stands(case)
    return dict(case_id=case.id, case_step=next(label for _, k, label in clocks.STEPS if k == step),
                case_party=party, case_next=next_text, case_audit_on=case.audit_planned_on)


def ics(page: dict, tenant_slug: str) -> str:
    """The programme as an iCalendar feed (all-day events): planned audits, surveillance audits due,
    recertification application deadlines, and overdue clocks, for the provider's own calendar."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")

    events = []
    for r in page["rows"]:
        if r["case_audit_on"]:
            events.append((f"case-{r['case_id']}-audit", r["case_audit_on"], f"Revisjon: {r['company_name']}"))
        if r["next_due"] and r["certificate_id"]:
            events.append((f"cert-{r['certificate_id']}-surveillance-{r['next_due']:%Y%m%d}", r["next_due"],
                           f"Oppfølgingsrevisjon senest: {r['company_name']}"))
        if r["apply_by"]:
            events.append((f"cert-{r['certificate_id']}-recert", r["apply_by"],
                           f"Frist for søknad om resertifisering: {r['company_name']}"))
    for o in page["overdue"]:
        label = "".join(ch if ch.isalnum() else "-" for ch in o["label"].lower())
        events.append((f"overdue-{o.get('case_id') or o.get('certificate_id')}-{o['due']:%Y%m%d}-{label}",
                       o["due"], f"Over fristen: {o['label']} ({o['company_name']})"))
    stamp = f"{page['today']:%Y%m%d}T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hms-sertifisering//revisjonsprogram//NO",
             "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{escape('Revisjonsprogram ' + tenant_slug)}"]
    for uid, day, summary in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}@{tenant_slug}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}", f"SUMMARY:{escape(summary)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
