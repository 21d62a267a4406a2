"""Steps 5–8: the audit (opening meeting, checklist, samples, findings, closing meeting), the report,
corrective actions and their answers, the review and the decision by people not involved."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.audits import clocks, hooks
from saas.audits.models import AuditCase, AuditSample, ConformityEntry, CorrectiveAction, Finding
from saas.audits.services import NotFound, Refused
from saas.audits.services.cases import (_require_open, active_team, require_staff, require_team_member,
                                        settings_for)
from saas.schemas import FieldErrors
from saas.schemes.impartiality import competence_problem, impartiality_problem
from saas.tenants.models import User


def _require_audit_running(case: AuditCase) -> None:
    if case.team_settled_on is None:
        raise Refused(_l("Revisjonsgruppen og programmet må være akseptert av bedriften først."))
    if case.closing_held_on is not None:
        raise Refused(_l("Revisjonen er avsluttet."))


def hold_opening(session: Session, actor: User, case: AuditCase, attendance: str, confidentiality: bool,
                 today: date) -> AuditCase:
    """The opening meeting: method agreed, team presented, attendance signed, confidentiality accepted."""
    _require_open(case)
    require_team_member(case, actor, lead=True)
    _require_audit_running(case)
    if not (attendance or "").strip():
        raise FieldErrors({"attendance": _l("Skriv hvem som var til stede.")})
    if not confidentiality:
        raise FieldErrors({"confidentiality": _l("Taushetsplikten må aksepteres av begge parter.")})
    case.opening_held_on, case.opening_attendance, case.confidentiality_accepted = today, attendance.strip(), True
    record(session, actor, "audit.opening_held", case)
    return case


def add_sample(session: Session, actor: User, case: AuditCase, data: dict, today: date) -> AuditSample:
    _require_open(case)
    require_team_member(case, actor)
    if case.opening_held_on is None or case.closing_held_on is not None:
        raise Refused(_l("Stikkprøver tas under revisjonen (etter formøtet, før ettermøtet)."))
    sample = AuditSample(case_id=case.id, kind=data["kind"], description=data["description"].strip(),
                         result=(data.get("result") or "").strip(), taken_by=actor.id, taken_on=today)
    session.add(sample)
    session.flush()
    record(session, actor, "audit.sample", case, sample.description[:200])
    return sample


def raise_finding(session: Session, actor: User, case: AuditCase, data: dict, today: date) -> Finding:
    """A graded finding with its objective evidence and the requirement it breaks; its deadline is the
    grade's default unless one is agreed."""
    _require_open(case)
    require_team_member(case, actor)
    settings = settings_for(case)
    grade = settings.grade(data["grade"])
    if grade is None:
        raise FieldErrors({"grade": _l("Ukjent avviksgrad for ordningen.")})
    stage = "audit" if case.closing_held_on is None else "follow_up"
    if case.opening_held_on is None:
        raise Refused(_l("Funn registreres under revisjonen, etter formøtet."))
    if grade.code != "observation" and not (data.get("evidence") or "").strip():
        raise FieldErrors({"evidence": _l("Et avvik må ha objektive bevis.")})
    if data.get("requirement_id") is not None:
        from saas.audits.services.cases import requirements

        if data["requirement_id"] not in {r.id for r in requirements(session, case)}:
            raise FieldErrors({"requirement_id": _l("Ukjent krav.")})
    finding = Finding(case_id=case.id, stage=stage, requirement_id=data.get("requirement_id"), grade=grade.code,
                      description=data["description"].strip(), evidence=(data.get("evidence") or "").strip(),
                      raised_on=today, raised_by=actor.id,
                      due_on=data.get("due_on") or clocks.correction_due(today, grade.correction_days))
    session.add(finding)
    session.flush()
    session.expire(case, ["findings"])
    record(session, actor, "audit.finding", case, f"{grade.label}: {finding.description[:200]}")
    return finding


def hold_closing(session: Session, actor: User, case: AuditCase, accepted_by: str, note: str, today: date) -> AuditCase:
    """The closing meeting: findings handed over and accepted by the company, deadlines agreed.  Its
    date is the audit's last day (the report clock starts)."""
    _require_open(case)
    require_team_member(case, actor, lead=True)
    _require_audit_running(case)
    if case.opening_held_on is None:
        raise Refused(_l("Formøtet er ikke holdt."))
    if not (accepted_by or "").strip():
        raise FieldErrors({"accepted_by": _l("Skriv hvem i bedriften som aksepterte funnene og fristene.")})
    case.closing_held_on, case.closing_accepted_by, case.closing_note = today, accepted_by.strip(), (note or "").strip()
    record(session, actor, "audit.closing_held", case)
    return case


RECOMMENDATIONS = {"issue": "Sertifikat anbefales utstedt", "maintain": "Sertifikatet anbefales opprettholdt",
                   "follow_up": "Etterrevisjon før anbefaling", "refuse": "Sertifikat anbefales ikke"}


def send_report(session: Session, actor: User, case: AuditCase, data: dict, today: date) -> AuditCase:
    """The report with the team's recommendation and any follow-up audit date (lead auditor)."""
    _require_open(case)
    require_team_member(case, actor, lead=True)
    if case.closing_held_on is None:
        raise Refused(_l("Rapporten sendes etter ettermøtet."))
    if case.report_sent_on is not None:
        raise Refused(_l("Rapporten er sendt."))
    if data["recommendation"] not in RECOMMENDATIONS:
        raise FieldErrors({"recommendation": _l("Ugyldig anbefaling.")})
    if data["recommendation"] == "follow_up" and not data.get("follow_up_on"):
        raise FieldErrors({"follow_up_on": _l("Sett dato for etterrevisjonen.")})
    if not (data.get("summary") or "").strip():
        raise FieldErrors({"summary": _l("Skriv rapportens sammendrag.")})
    case.report_sent_on, case.recommendation = today, data["recommendation"]
    case.follow_up_on, case.report_summary = data.get("follow_up_on"), data["summary"].strip()
    record(session, actor, "audit.report_sent", case, RECOMMENDATIONS[case.recommendation])
    return case


def get_finding(session: Session, case: AuditCase, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None or finding.case_id != case.id:
        raise NotFound(finding_id)
    return finding


def submit_corrective_action(session: Session, actor: User, case: AuditCase, finding: Finding, data: dict,
                             today: date, file_id: int | None = None) -> CorrectiveAction:
    """The company's root cause, correction, corrective action and evidence for one finding."""
    _require_open(case)
    if finding.closed_on is not None:
        raise Refused(_l("Avviket er lukket."))
    if any(ca.accepted is None for ca in finding.corrective_actions):
        raise Refused(_l("Et svar venter allerede på tilbyderens vurdering."))
    missing = {k: "Feltet må fylles ut." for k in ("root_cause", "correction", "corrective_action")
               if not (data.get(k) or "").strip()}
    if missing:
        raise FieldErrors(missing)
    ca = CorrectiveAction(finding_id=finding.id, root_cause=data["root_cause"].strip(),
                          correction=data["correction"].strip(), corrective_action=data["corrective_action"].strip(),
                          evidence=(data.get("evidence") or "").strip(), file_id=file_id, received_on=today,
                          submitted_by=actor.id)
    session.add(ca)
    session.flush()
    session.expire(finding, ["corrective_actions"])
    record(session, actor, "audit.corrective_action", case, finding.description[:200], finding_id=finding.id)
    return ca


def answer_corrective_action(session: Session, actor: User, case: AuditCase, ca: CorrectiveAction, accepted: bool,
                             note: str, method: str, today: date) -> CorrectiveAction:
    """Accept (the finding closes, verified by a visit, a document review or samples) or reject with a
    note (the company sends a new one).  By the audit team."""
    _require_open(case)
    finding = session.get(Finding, ca.finding_id)
    if finding is None or finding.case_id != case.id:
        raise NotFound(ca.id)
    reviewers = set(session.scalars(select(ConformityEntry.assessed_by).where(
        ConformityEntry.case_id == case.id, ConformityEntry.stage == "document"))) if finding.stage == "document" else set()
    if actor.id not in reviewers:  # the document review's own findings: whoever reviewed the documents
        require_team_member(case, actor)
    if ca.accepted is not None:
        raise Refused(_l("Svaret er allerede vurdert."))
    if not accepted and len((note or "").strip()) < 5:
        raise FieldErrors({"note": _l("Skriv hvorfor tiltaket ikke godtas.")})
    if accepted and method not in ("visit", "document_review", "samples"):
        raise FieldErrors({"method": _l("Velg hvordan tiltaket er verifisert.")})
    ca.accepted, ca.answered_on, ca.answered_by, ca.answer_note = accepted, today, actor.id, (note or "").strip()
    if accepted:
        finding.closed_on, finding.verified_by_method = today, method
    record(session, actor, "audit.corrective_action_answered", case, "godtatt" if accepted else "avvist",
           finding_id=finding.id)
    return ca


# -- 8. review and decision -------------------------------------------------------------------------

def involved(session: Session, case: AuditCase) -> set[int]:
    """Everyone involved in the case's process: the team (ever named), who assessed the matrix or the
    checklist, raised findings or answered corrective actions."""
    people = {m.user_id for m in case.team}
    people |= set(session.scalars(select(ConformityEntry.assessed_by).where(ConformityEntry.case_id == case.id)))
    people |= {f.raised_by for f in case.findings}
    people |= set(session.scalars(select(CorrectiveAction.answered_by).join(Finding, Finding.id == CorrectiveAction.finding_id)
                                  .where(Finding.case_id == case.id, CorrectiveAction.answered_by.is_not(None))))
    return people


def uninvolved_problem(session: Session, case: AuditCase, user: User, today: date) -> str | None:
    """Why ``user`` may not review or decide the case (bokmål), or None.  No override, for anyone."""
    if user.id in involved(session, case):
        return "Personen har vært involvert i sertifiseringsprosessen for saken."
    return impartiality_problem(session, user.id, case.company_id, today, settings_for(case).impartiality_months) \
        or competence_problem(session, user.id, case.scheme_id, "reviewer", today)


def blocking_open(case: AuditCase) -> list[Finding]:
    blocking = set(settings_for(case).grades_blocking_issue)
    return [f for f in case.findings if f.closed_on is None and f.grade in blocking]


def review(session: Session, actor: User, case: AuditCase, note: str, today: date) -> AuditCase:
    """§ 7.5: the whole case reviewed by someone not otherwise involved."""
    require_staff(actor)
    _require_open(case)
    if case.report_sent_on is None:
        raise Refused(_l("Rapporten er ikke sendt."))
    problem = uninvolved_problem(session, case, actor, today)
    if problem:
        raise Refused(problem)
    if len((note or "").strip()) < 5:
        raise FieldErrors({"note": _l("Skriv vurderingen.")})
    case.reviewed_by, case.reviewed_on, case.review_note = actor.id, today, note.strip()
    record(session, actor, "audit.reviewed", case)
    return case


def decide(session: Session, actor: User, case: AuditCase, approve: bool, reason: str, today: date) -> AuditCase:
    """§ 7.6: the decision by someone not involved in the process (may be the reviewer).  Approving needs
    the review and every finding of a blocking grade closed, and tells saas.certification (hooks) to
    issue the certificate; a refusal is written, with reasons."""
    require_staff(actor)
    _require_open(case)
    if case.reviewed_on is None:
        raise Refused(_l("Saken må gjennomgås før beslutningen."))
    problem = uninvolved_problem(session, case, actor, today)
    if problem:
        raise Refused(problem)
    if approve and blocking_open(case):
        raise Refused(_l("Alle avvik av en grad som må lukkes før utstedelse, må være lukket."))
    if not approve and len((reason or "").strip()) < 10:
        raise FieldErrors({"reason": _l("Et avslag skrives med begrunnelse (minst 10 tegn).")})
    case.decision = "approved" if approve else "refused"
    case.decided_by, case.decided_on, case.decision_reason = actor.id, today, (reason or "").strip()
    record(session, actor, f"audit.{case.decision}", case, case.decision_reason[:400])
    if approve:
        hooks.case_approved(session, case, actor, today)
    case.closed_on = today
    return case


def team_user_ids(case: AuditCase) -> list[int]:
    return [m.user_id for m in active_team(case)]
