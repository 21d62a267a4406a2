"""Plain helpers for the audit-process tests: a tenant with competent staff and a case at any step."""
from __future__ import annotations

from datetime import date

from saas.audits.services import audit, cases
from saas.schemes import register, services as schemes
from tests import factories


def audit_world(db, scheme_code: str = "opplaering-8-1"):
    tenant = factories.make_tenant(db)
    admin = factories.make_user(db, tenant, roles=("admin",), name="Anne Admin")
    lead = factories.make_user(db, tenant, roles=("consultant",), name="Lars Leder")
    auditor = factories.make_user(db, tenant, roles=("consultant",), name="Rita Revisor")
    reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri Sertifisør")
    outsider = factories.make_user(db, tenant, roles=("consultant",), name="Ukvalifisert Uno")
    client_user = factories.make_user(db, tenant, roles=("client",), name="Kari Kunde")
    company = factories.make_company(db, tenant, name="Kranskolen AS", consultant_id=None)
    factories.make_contact(db, company, user=client_user)
    unit = factories.make_sub_unit(db, company, name="Avdeling Drammen", address="Kaia 1, 3015 Drammen",
                                   responsible="Per Faglig")
    scheme = schemes.scheme_by_code(db, scheme_code)
    scopes = schemes.scopes_of(db, scheme.id)
    since = date(2024, 1, 1)
    for user, function in ((lead, "lead_auditor"), (auditor, "auditor"), (reviewer, "reviewer")):
        register.add_competence(db, admin, dict(user_id=user.id, scheme_id=scheme.id, scope_id=None,
                                                function=function, valid_from=since, expires_on=None, note=""))
    return dict(db=db, tenant=tenant, admin=admin, lead=lead, auditor=auditor, reviewer=reviewer, outsider=outsider,
                client=client_user, company=company, unit=unit, scheme=scheme, scopes=scopes)


def applied(w, today=date(2026, 1, 5), scope_count=2):
    scope_ids = [s.id for s in w["scopes"][:scope_count]]
    return cases.apply(w["db"], w["client"], dict(
        company_id=w["company"].id, scheme_id=w["scheme"].id, scope_ids=scope_ids,
        sub_units=[{"sub_unit_id": w["unit"].id, "scope_ids": scope_ids[:1]}], contact_name="Kari Kunde",
        contact_email="kari@example.no", note="", contract_accepted=True, contract_signed_by="Kari Kunde"), today)


def reviewed_documents(w, case, today=date(2026, 1, 20), nonconformity=True):
    db = w["db"]
    cases.accept(db, w["admin"], case, date(2026, 1, 6))
    cases.return_pre_evaluation(db, w["client"], case, "Alt er beskrevet i håndboken.", date(2026, 1, 12))
    cases.submit_documents(db, w["client"], case, "Kvalitetshåndbok v3", date(2026, 1, 15))
    reqs = cases.requirements(db, case)
    rows = {r.id: {"assessment": "conform", "where_documented": f"Håndbok kap. {i}", "note": ""}
            for i, r in enumerate(reqs)}
    if nonconformity:
        rows[reqs[2].id] = {"assessment": "nonconformity", "where_documented": "",
                            "note": "Instruktørenes kompetanse er ikke dokumentert"}
    cases.save_matrix(db, w["lead"], case, rows, today)
    cases.complete_document_review(db, w["lead"], case, today)
    return case


def team_named(w, case, today=date(2026, 2, 1)):
    cases.name_team(w["db"], w["admin"], case, [{"user_id": w["lead"].id, "role": "lead_auditor"},
                                                 {"user_id": w["auditor"].id, "role": "auditor"}],
                    "Dag 1: formøte kl. 9, revisjon av kurs, ettermøte kl. 15.", date(2026, 2, 20), today)
    cases.accept_team(w["db"], w["client"], case, date(2026, 2, 3))
    return case


def audited(w, case, day=date(2026, 2, 20), minor=True):
    db = w["db"]
    audit.hold_opening(db, w["lead"], case, "Lars Leder, Rita Revisor, Kari Kunde", True, day)
    audit.add_sample(db, w["auditor"], case, dict(kind="course", description="Kurs G4 observert", result="OK"), day)
    if minor:
        audit.raise_finding(db, w["auditor"], case, dict(grade="minor", requirement_id=None,
                                                         description="Kursbevis mangler dato",
                                                         evidence="Kursbevis nr. 12 og 14"), day)
    audit.hold_closing(db, w["lead"], case, "Kari Kunde", "", day)
    audit.send_report(db, w["lead"], case, dict(recommendation="issue", follow_up_on=None,
                                                summary="Virksomheten oppfyller kravene med ett mindre avvik."),
                      date(2026, 3, 1))
    return case


def close_all_findings(w, case, today=date(2026, 3, 5)):
    db = w["db"]
    for finding in list(case.findings):
        if finding.closed_on is None and finding.grade != "observation":
            ca = audit.submit_corrective_action(db, w["client"], case, finding, dict(
                root_cause="Rutinen manglet", correction="Rettet", corrective_action="Ny rutine innført",
                evidence="Rutine 4.2"), today)
            audit.answer_corrective_action(db, w["lead"], case, ca, True, "", "document_review", today)
    return case


def certified(w, case=None):
    db = w["db"]
    case = case or applied(w)
    reviewed_documents(w, case)
    close_all_findings(w, case, date(2026, 1, 25))
    team_named(w, case)
    audited(w, case)
    close_all_findings(w, case)
    audit.review(db, w["reviewer"], case, "Saken er komplett.", date(2026, 3, 10))
    audit.decide(db, w["reviewer"], case, True, "", date(2026, 3, 10))
    return case
