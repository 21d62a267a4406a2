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


def bulk_programme_clients(session, tenant_id: int, staff_id: int, count: int, today: date, start: int = 0) -> None:
    """``count`` audit-scheme clients with 3 years of history, inserted in bulk (under platform access):
    each has an initial case, an active 4-year certificate issued 3 years ago, two closed surveillance
    cases (every other one with a minor finding and its accepted corrective action), and every fifth an
    open recertification case waiting for its pre-evaluation."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from saas.audits.models import AuditCase, CorrectiveAction, Finding, TeamMember
    from saas.certification.scheme_models import SchemeCertificate
    from saas.clients.models import ClientCompany
    from saas.norway import generate_valid_org_numbers
    from saas.schemes.models import Scheme, SchemeScope, SchemeVersion
    from saas.tenancy import platform_access

    with platform_access(session):
        scheme = session.scalar(select(Scheme).where(Scheme.tenant_id == tenant_id, Scheme.code == "opplaering-8-1"))
        version = session.scalar(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id))
        scope = session.scalar(select(SchemeScope).where(SchemeScope.scheme_id == scheme.id).limit(1))
        issued = today - timedelta(days=3 * 365)
        org = generate_valid_org_numbers(6100 + start, count)
        companies = session.execute(insert(ClientCompany).returning(ClientCompany.id), [
            dict(tenant_id=tenant_id, name=f"Opplæring {start + i:04d} AS", org_number=o, org_form="AS",
                 city="Kongsberg", employee_count=10) for i, o in zip(range(count), org)]).scalars().all()
        base = dict(tenant_id=tenant_id, scheme_id=scheme.id, scheme_version_id=version.id, scope_ids=[scope.id],
                    sub_units=[], contract_signed_by="Daglig leder", created_by=staff_id)

        def case_row(company_id, kind, day, closed=True, **extra):
            row = dict(base, company_id=company_id, kind=kind, application_received_on=day - timedelta(days=90),
                       contract_signed_on=day - timedelta(days=90), accepted_on=day - timedelta(days=88),
                       pre_evaluation_returned_on=day - timedelta(days=80),
                       documents_received_on=day - timedelta(days=75), document_review_done_on=day - timedelta(days=60),
                       team_named_on=day - timedelta(days=40), team_settled_on=day - timedelta(days=38),
                       opening_held_on=day - timedelta(days=20), closing_held_on=day - timedelta(days=20),
                       report_sent_on=day - timedelta(days=10), recommendation="issue",
                       reviewed_by=staff_id, reviewed_on=day, decision="approved", decided_by=staff_id,
                       decided_on=day, closed_on=day)
            if not closed:
                for key in list(row):
                    if key.endswith("_on") and key not in ("application_received_on", "contract_signed_on",
                                                            "accepted_on"):
                        row[key] = None
                row.update(decision=None, decided_by=None, reviewed_by=None, recommendation="")
            row.update(extra)
            return row

        initial = session.execute(insert(AuditCase).returning(AuditCase.id),
                                  [case_row(c, "initial", issued) for c in companies]).scalars().all()
        certs = session.execute(insert(SchemeCertificate).returning(SchemeCertificate.id), [
            dict(tenant_id=tenant_id, company_id=c, scheme_id=scheme.id, scheme_version_id=version.id, case_id=k,
                 number=f"BENCH-{start + i:05d}", sequence=100000 + start + i, issued_on=issued,
                 valid_until=issued.replace(year=issued.year + 4) - timedelta(days=1), cycle_started_on=issued,
                 state="active", state_changed_on=issued, holder={"name": "x", "org_number": "x"},
                 scopes=[{"id": scope.id, "code": scope.code, "name": scope.name}], sub_units=[], signatory="S",
                 issued_by=staff_id, verification_code=f"benchcode{tenant_id}x{start + i:08d}")
            for i, (c, k) in enumerate(zip(companies, initial))]).scalars().all()
        surveillance = []
        for year in (1, 2):
            day = issued + timedelta(days=365 * year - 30)
            surveillance += session.execute(insert(AuditCase).returning(AuditCase.id), [
                case_row(c, "surveillance", day, certificate_id=cert) for c, cert in zip(companies, certs)]).scalars().all()
        open_cases = session.execute(insert(AuditCase).returning(AuditCase.id), [
            case_row(c, "recertification", today - timedelta(days=10), closed=False, certificate_id=cert)
            for i, (c, cert) in enumerate(zip(companies, certs)) if i % 5 == 0]).scalars().all()
        all_cases = list(initial) + list(surveillance) + list(open_cases)
        session.execute(insert(TeamMember), [dict(tenant_id=tenant_id, case_id=k, user_id=staff_id, role="lead_auditor",
                                                  named_on=today) for k in all_cases])
        findings = session.execute(insert(Finding).returning(Finding.id), [
            dict(tenant_id=tenant_id, case_id=k, stage="audit", grade="minor", description="Mindre avvik",
                 raised_on=issued, due_on=issued + timedelta(days=30), closed_on=issued + timedelta(days=20),
                 raised_by=staff_id, verified_by_method="document_review")
            for k in surveillance[::2]]).scalars().all()
        session.execute(insert(CorrectiveAction), [
            dict(tenant_id=tenant_id, finding_id=f, root_cause="Årsak", correction="Rettet", corrective_action="Tiltak",
                 received_on=issued, submitted_by=staff_id, accepted=True, answered_on=issued, answered_by=staff_id)
            for f in findings])
