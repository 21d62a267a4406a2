"""The case's step actions as one table, so the web form and the JSON API run the same code:
name -> (schema, service call(session, actor, case, data, today), bokmål confirmation, summary)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from saas.audits import schemas as s
from saas.audits.services import audit, cases


def _extraordinary(db, actor, case, data, today):
    from saas.audits.models import Finding
    from saas.audits.services import Refused

    finding = None
    if data.get("finding_id") is not None:
        finding = db.get(Finding, data["finding_id"])
        if finding is None or finding.case_id != case.id:
            raise Refused(_l("Avviket hører ikke til saken."))
    return cases.open_extraordinary(db, actor, company_id=case.company_id, scheme_id=case.scheme_id,
                                    reason=data["reason"], today=today, origin=case, finding=finding,
                                    planned_on=data.get("planned_on"))


CASE_ACTIONS = {
    "accept": (s.EmptySchema, lambda db, a, c, d, t: cases.accept(db, a, c, t),
               "Søknaden er akseptert.", "Accept the application (staff); the pre-evaluation clock starts"),
    "refuse": (s.ReasonSchema, lambda db, a, c, d, t: cases.refuse(db, a, c, d["reason"], t),
               "Søknaden er avslått.", "Refuse the application in writing, with the reason (staff)"),
    "pre-evaluation": (s.PreEvaluationSchema, lambda db, a, c, d, t: cases.return_pre_evaluation(db, a, c, d["answers"], t),
                       "Pre-evalueringen er registrert.", "Return the pre-evaluation form"),
    "documents": (s.DocumentsSchema, lambda db, a, c, d, t: cases.submit_documents(db, a, c, d["note"], t,
                                                                                    d.get("_files", ())),
                  "Dokumentasjonen er mottatt.", "Send in the documentation for the document review"),
    "document-review": (s.EmptySchema, lambda db, a, c, d, t: cases.complete_document_review(db, a, c, t),
                        "Dokumentgjennomgangen er ferdig.", "Complete the document review (every requirement assessed)"),
    "team": (s.TeamSchema, lambda db, a, c, d, t: cases.name_team(db, a, c, d["members"], d["programme"],
                                                                  d["audit_planned_on"], t, d["document_only"]),
             "Revisjonsgruppen og programmet er sendt til bedriften.",
             "Name the audit team and programme (competence and impartiality checked; no override)"),
    "accept-team": (s.EmptySchema, lambda db, a, c, d, t: cases.accept_team(db, a, c, t),
                    "Revisjonsgruppen er akseptert.", "The client accepts the team and programme"),
    "opening": (s.OpeningSchema, lambda db, a, c, d, t: audit.hold_opening(db, a, c, d["attendance"], d["confidentiality"], t),
                "Formøtet er registrert.", "Record the opening meeting (attendance, confidentiality accepted)"),
    "sample": (s.SampleSchema, lambda db, a, c, d, t: audit.add_sample(db, a, c, d, t),
               "Stikkprøven er registrert.", "Record a sample (course, inspection, instructor, inspector, project)"),
    "finding": (s.FindingSchema, lambda db, a, c, d, t: audit.raise_finding(db, a, c, d, t),
                "Funnet er registrert.", "Raise a graded finding with objective evidence and the requirement"),
    "closing": (s.ClosingSchema, lambda db, a, c, d, t: audit.hold_closing(db, a, c, d["accepted_by"], d["note"], t),
                "Ettermøtet er registrert.", "Record the closing meeting (findings and deadlines accepted)"),
    "report": (s.ReportSchema, lambda db, a, c, d, t: audit.send_report(db, a, c, d, t),
               "Rapporten er sendt.", "Send the report with the recommendation and any follow-up date"),
    "review": (s.ReviewSchema, lambda db, a, c, d, t: audit.review(db, a, c, d["note"], t),
               "Gjennomgangen er registrert.", "Review the case (someone not involved)"),
    "decision": (s.DecisionSchema, lambda db, a, c, d, t: audit.decide(db, a, c, d["outcome"] == "approve",
                                                                     d["reason"], t),
                 "Beslutningen er registrert.", "Decide (someone not involved); a refusal needs the reasons"),
    "extraordinary": (s.ExtraordinarySchema, _extraordinary,
                      "Den ekstraordinære revisjonen er opprettet.",
                      "Open a follow-up or extraordinary audit from this case, optionally for one of its "
                      "nonconformities (staff); it is linked both ways (follow_ups, origin_case_id)"),
}
