"""What the pages show: a case among the 11 steps (what happens next, who waits for whom, its clocks),
and the provider's programme (every client's coming audits and overdue clocks) in a fixed number of
queries however many clients there are."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from saas.audits import clocks
from saas.audits.models import AuditCase, AuditSample, CaseFile, ConformityEntry, Finding
from saas.audits.services.audit import RECOMMENDATIONS, blocking_open
from saas.audits.services.cases import (AUDIT_ONLY_KINDS, active_team, open_document_findings, requirements,
                                        scopes_by_id, settings_for)
from saas.clients.models import SubUnit
from saas.schemes.impartiality import FUNCTION_LABELS
from saas.tenants.models import User

CLIENT, PROVIDER, NOBODY = "client", "provider", ""
KIND_LABELS = {"initial": "Førstegangssertifisering", "surveillance": "Oppfølgingsrevisjon",
               "recertification": "Resertifisering", "change": "Endring av omfang",
               "extraordinary": "Ekstraordinær revisjon"}
GRADE_LABELS = {"serious": "Alvorlig avvik", "minor": "Mindre alvorlig avvik", "observation": "Observasjon"}
ASSESSMENT_LABELS = {"conform": "Samsvar", "nonconformity": "Avvik", "observation": "Observasjon",
                     "not_applicable": "Ikke relevant"}
SKIPPED = {"surveillance": {"application", "pre_evaluation", "documents", "certificate", "recertification"},
           "extraordinary": {"application", "pre_evaluation", "documents", "certificate", "recertification"},
           "change": {"pre_evaluation", "recertification"}, "initial": {"surveillance", "recertification"},
           "recertification": {"surveillance"}}
# What ``case_page`` reads of a case, loaded with it: the findings with their corrective actions in two
# statements (a lazy load of each finding's corrective actions otherwise).
PAGE_LOADS = (selectinload(AuditCase.findings).selectinload(Finding.corrective_actions),)


def where_it_stands(case: AuditCase) -> tuple[str, str, str]:
    """(step key, who must act: client/provider/"", what happens next in bokmål) for a case."""
    settings = settings_for(case)
    if case.refused_on:
        return "application", NOBODY, "Søknaden er avslått med begrunnelse."
    if case.decision == "refused":
        return "decision", NOBODY, "Sertifisering er avslått med begrunnelse. Bedriften kan fortsette prosessen."
    if case.decision == "approved":
        if case.kind == "surveillance":
            return "surveillance", NOBODY, "Oppfølgingsrevisjonen er avsluttet; sertifikatet opprettholdes."
        if case.kind == "extraordinary":
            return "surveillance", NOBODY, "Den ekstraordinære revisjonen er avsluttet med beslutning."
        return "certificate", NOBODY, "Sertifikatet er utstedt og står i det offentlige registeret."
    if case.accepted_on is None:
        return "application", PROVIDER, "Tilbyderen vurderer søknaden og kontrakten."
    if case.pre_evaluation_returned_on is None:
        return "pre_evaluation", CLIENT, "Bedriften fyller ut og returnerer pre-evalueringsskjemaet."
    if case.documents_received_on is None:
        return "documents", CLIENT, "Bedriften sender inn dokumentasjonen."
    if case.document_review_done_on is None:
        return "documents", PROVIDER, "Revisjonslederen gjennomgår dokumentasjonen i samsvarsmatrisen."
    if settings.close_document_findings_before_audit and open_document_findings(case, settings):
        return "documents", _finding_party(open_document_findings(case, settings)), \
            "Avvik fra dokumentgjennomgangen lukkes før revisjonen avtales."
    if case.team_named_on is None:
        return "team", PROVIDER, "Tilbyderen oppnevner revisjonsgruppen og sender programmet."
    if case.team_settled_on is None:
        if any(m.objection and m.objection_upheld is None for m in active_team(case)):
            return "team", PROVIDER, "Tilbyderen tar stilling til bedriftens innsigelse mot revisjonsgruppen."
        return "team", CLIENT, "Bedriften aksepterer revisjonsgruppen og programmet, eller protesterer med grunn."
    if case.closing_held_on is None:
        return "audit", PROVIDER, "Revisjonen gjennomføres: formøte, revisjon og ettermøte."
    if case.report_sent_on is None:
        return "report", PROVIDER, "Revisjonslederen sender rapporten."
    open_blocking = blocking_open(case)
    if open_blocking:
        return "corrective_actions", _finding_party(open_blocking), \
            "Avvik lukkes: bedriften sender korrigerende tiltak, tilbyderen godtar eller avviser dem."
    if case.reviewed_on is None:
        return "decision", PROVIDER, "En person som ikke har vært involvert, gjennomgår saken."
    return "decision", PROVIDER, "En person som ikke har vært involvert, tar beslutningen."


def _finding_party(findings: list[Finding]) -> str:
    waiting_on_provider = all(any(ca.accepted is None for ca in f.corrective_actions) for f in findings)
    return PROVIDER if waiting_on_provider else CLIENT


def case_dates(case: AuditCase) -> clocks.CaseDates:
    cas = [clocks.CorrectiveActionDates(ca.id, ca.received_on, ca.answered_on)
           for f in case.findings for ca in f.corrective_actions]
    ready = None
    if case.report_sent_on and not blocking_open(case):
        closed = [f.closed_on for f in case.findings if f.closed_on]
        ready = max([case.report_sent_on, *closed])
    return clocks.CaseDates(
        application_received_on=case.application_received_on if case.kind not in AUDIT_ONLY_KINDS else None,
        application_decided_on=case.accepted_on or case.refused_on,
        accepted_on=case.accepted_on if case.kind not in (*AUDIT_ONLY_KINDS, "change") else None,
        pre_evaluation_returned_on=case.pre_evaluation_returned_on,
        documents_received_on=case.documents_received_on if case.kind not in AUDIT_ONLY_KINDS else None,
        document_review_done_on=case.document_review_done_on, team_named_on=case.team_named_on,
        team_settled_on=case.team_settled_on, audit_last_day=case.closing_held_on, report_sent_on=case.report_sent_on,
        findings=tuple(clocks.FindingDates(f.id, f.grade, f.raised_on, f.due_on, f.closed_on) for f in case.findings),
        corrective_actions=tuple(cas), ready_for_decision_on=ready, decided_on=case.decided_on)


def case_clocks(case: AuditCase, today: date) -> list[clocks.Clock]:
    if case.refused_on or case.closed_on:
        return []
    return clocks.case_clocks(case_dates(case), settings_for(case).deadlines, today)


def case_page(session: Session, case: AuditCase, viewer: User, today: date) -> dict:
    """Everything the case page shows, as plain data (a fixed number of statements for a case loaded with
    ``PAGE_LOADS``)."""
    settings = settings_for(case)
    step, party, next_text = where_it_stands(case)
    skipped = SKIPPED.get(case.kind, set())
    order = [k for k in clocks.STEP_KEYS]
    current_index = order.index(step)
    steps = [dict(number=n, key=k, label=label,
                  status="skipped" if k in skipped else "done" if i < current_index or (i == current_index and not party)
                  else "current" if i == current_index else "todo")
             for i, (n, k, label) in enumerate(clocks.STEPS)]
    users = {u.id: u.name for u in session.scalars(select(User))}
    scopes = scopes_by_id(session, case.scheme_id)
    units = {u.id: u for u in session.scalars(select(SubUnit).where(SubUnit.company_id == case.company_id))}
    reqs = requirements(session, case)
    req_by_id = {r.id: r for r in reqs}
    entries = session.scalars(select(ConformityEntry).where(ConformityEntry.case_id == case.id)).all()
    samples = session.scalars(select(AuditSample).where(AuditSample.case_id == case.id).order_by(AuditSample.id)).all()
    files = session.scalars(select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)).all()
    clock_rows = [dict(key=c.key, label=c.label, party=c.party, due=c.due, state=c.state, days_left=c.days_left,
                       done_on=c.done_on) for c in case_clocks(case, today)]
    team = [dict(id=m.id, user_id=m.user_id, name=users.get(m.user_id, ""), role=m.role,
                 role_label=FUNCTION_LABELS[m.role], objection=m.objection, objection_upheld=m.objection_upheld,
                 removed=m.removed_on is not None) for m in case.team]
    findings = [dict(id=f.id, stage=f.stage, grade=f.grade, grade_label=(settings.grade(f.grade).label
                     if settings.grade(f.grade) else f.grade), description=f.description, evidence=f.evidence,
                     requirement=(f"{req_by_id[f.requirement_id].clause} {req_by_id[f.requirement_id].title}"
                                  if f.requirement_id in req_by_id else ""),
                     raised_on=f.raised_on, due_on=f.due_on, closed_on=f.closed_on,
                     verified_by_method=f.verified_by_method,
                     corrective_actions=[dict(id=ca.id, root_cause=ca.root_cause, correction=ca.correction,
                                              corrective_action=ca.corrective_action, evidence=ca.evidence,
                                              received_on=ca.received_on, accepted=ca.accepted,
                                              answered_on=ca.answered_on, answer_note=ca.answer_note,
                                              file_id=ca.file_id)
                                         for ca in f.corrective_actions])
                for f in case.findings]
    follow_ups = session.scalars(select(AuditCase).where(AuditCase.origin_case_id == case.id)
                                 .order_by(AuditCase.id)).all()
    is_team = any(m.user_id == viewer.id and not m.removed_on for m in case.team)
    is_lead = any(m.user_id == viewer.id and m.role == "lead_auditor" and not m.removed_on for m in case.team)
    return dict(
        id=case.id, kind=case.kind, kind_label=KIND_LABELS[case.kind], company_id=case.company_id,
        company_name=case.company.name, scheme_id=case.scheme_id, scheme_name=case.scheme.name,
        scheme_version=case.scheme_version.number, certificate_id=case.certificate_id,
        step=step, party=party, waiting_label={CLIENT: "Venter på bedriften", PROVIDER: "Venter på tilbyderen",
                                                NOBODY: "Avsluttet"}[party],
        next_text=next_text, steps=steps, clocks=clock_rows,
        scopes=[dict(id=i, code=scopes[i].code, name=scopes[i].name) for i in case.scope_ids if i in scopes],
        sub_units=[dict(name=units[u["sub_unit_id"]].name, address=units[u["sub_unit_id"]].address,
                        responsible=units[u["sub_unit_id"]].responsible,
                        scopes=[scopes[i].name for i in u["scope_ids"] if i in scopes])
                   for u in case.sub_units if u["sub_unit_id"] in units],
        contact_name=case.contact_name, contract_signed_by=case.contract_signed_by,
        contract_signed_on=case.contract_signed_on, application_received_on=case.application_received_on,
        application_note=case.application_note, change_note=case.change_note,
        accepted_on=case.accepted_on, refused_on=case.refused_on, refusal_reason=case.refusal_reason,
        pre_evaluation=case.pre_evaluation, pre_evaluation_returned_on=case.pre_evaluation_returned_on,
        documents_note=case.documents_note, documents_received_on=case.documents_received_on,
        document_review_done_on=case.document_review_done_on, programme=case.programme,
        audit_planned_on=case.audit_planned_on, team_named_on=case.team_named_on, team_settled_on=case.team_settled_on,
        document_only=case.document_only, opening_held_on=case.opening_held_on,
        opening_attendance=case.opening_attendance, confidentiality_accepted=case.confidentiality_accepted,
        closing_held_on=case.closing_held_on, closing_accepted_by=case.closing_accepted_by,
        report_sent_on=case.report_sent_on, report_summary=case.report_summary,
        recommendation=case.recommendation, recommendation_label=RECOMMENDATIONS.get(case.recommendation, ""),
        follow_up_on=case.follow_up_on, reviewed_on=case.reviewed_on, reviewed_by=users.get(case.reviewed_by, ""),
        review_note=case.review_note, decision=case.decision, decided_on=case.decided_on,
        decided_by=users.get(case.decided_by, ""), decision_reason=case.decision_reason,
        team=team, findings=findings,
        matrix=[dict(requirement_id=e.requirement_id, stage=e.stage, assessment=e.assessment,
                     assessment_label=ASSESSMENT_LABELS[e.assessment], where_documented=e.where_documented,
                     note=e.note) for e in entries],
        samples=[dict(kind=s.kind, description=s.description, result=s.result, taken_on=s.taken_on) for s in samples],
        files=[dict(id=f.id, kind=f.kind, filename=f.filename, size=f.size) for f in files],
        requirements=[dict(id=r.id, clause=r.clause, title=r.title, text=r.text, section=r.section) for r in reqs],
        grades=[dict(code=g.code, label=g.label) for g in settings.grades],
        reason=case.reason, origin_case_id=case.origin_case_id, origin_finding_id=case.origin_finding_id,
        complaint_id=case.complaint_id,
        follow_ups=[dict(id=k.id, kind_label=KIND_LABELS[k.kind], finding_id=k.origin_finding_id, reason=k.reason,
                         closed=bool(k.closed_on or k.refused_on)) for k in follow_ups],
        is_team=is_team, is_lead=is_lead, viewer_is_staff=viewer.is_staff,
        open=not (case.refused_on or case.closed_on),
    )


def list_cases(session: Session, company_ids, today: date, *, include_closed: bool = False) -> list[dict]:
    """Cases (of the visible companies) with where each stands, newest first."""
    query = (select(AuditCase).where(AuditCase.company_id.in_(company_ids))
             .options(selectinload(AuditCase.company), selectinload(AuditCase.scheme),
                      selectinload(AuditCase.scheme_version), selectinload(AuditCase.team),
                      selectinload(AuditCase.findings).selectinload(Finding.corrective_actions))
             .order_by(AuditCase.id.desc()))
    if not include_closed:
        query = query.where(AuditCase.closed_on.is_(None), AuditCase.refused_on.is_(None))
    out = []
    for case in session.scalars(query):
        step, party, next_text = where_it_stands(case)
        out.append(dict(id=case.id, company_name=case.company.name, scheme_name=case.scheme.name,
                        kind_label=KIND_LABELS[case.kind], step=step,
                        step_label=next(label for _, k, label in clocks.STEPS if k == step), party=party,
                        next_text=next_text, audit_planned_on=case.audit_planned_on))
    return out
