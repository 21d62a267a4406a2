"""Demo data for the audit-based schemes: a § 8-1 training company in its second surveillance year
(certified, first surveillance audit held without findings, the second period running) and an NS 9600-5
service company with an open nonconformity waiting for its corrective action.  Runs the real services
with past dates, so the demo is what the product would have recorded."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audits.models import AuditCase
from saas.audits.services import audit, cases
from saas.certification.scheme_models import SchemeCertificate
from saas.clients.models import ClientCompany, ContactPerson, SubUnit
from saas.norway import generate_valid_org_numbers
from saas.schemes import register
from saas.schemes import services as schemes
from saas.tenants import services as tenant_services
from saas.tenants.models import Tenant, User

TRAINING = "Kongsberg Kranskole AS"
SERVICE = "Tinden Tilkomst AS"


def _company(session, name, org_number, address, postcode, city, unit=None):
    company = ClientCompany(name=name, org_number=org_number, org_form="AS", address=address, postcode=postcode,
                            city=city, employee_count=9, consultant_id=None)
    if unit:
        company.sub_units = [SubUnit(**unit)]
    company.contacts = [ContactPerson(name=f"Daglig leder {name.split()[0]}", email=f"post@{name.split()[0].lower()}.example.no",
                                      title="Daglig leder")]
    session.add(company)
    session.flush()
    return company


def load_audit_demo(session: Session, tenant: Tenant, staff: dict[str, User], today: date, password: str) -> bool:
    """Create the two audit clients for ``tenant`` (bound) unless they exist.  ``staff``: lead, auditor,
    reviewer, admin.  True when created."""
    if session.scalar(select(ClientCompany.id).where(ClientCompany.name == TRAINING)):
        return False
    org_numbers = list(generate_valid_org_numbers(9551, 2))
    lead, auditor, reviewer, admin = staff["lead"], staff["auditor"], staff["reviewer"], staff["admin"]
    start = today - timedelta(days=3 * 365)
    for code in ("opplaering-8-1", "ns9600-5"):
        scheme = schemes.scheme_by_code(session, code)
        for user, function in ((lead, "lead_auditor"), (auditor, "auditor"), (reviewer, "reviewer")):
            register.add_competence(session, admin, dict(user_id=user.id, scheme_id=scheme.id, scope_id=None,
                                                         function=function, valid_from=start,
                                                         expires_on=today + timedelta(days=3 * 365),
                                                         note="Revisorkurs og observerte revisjoner"))
    training = _company(session, TRAINING, org_numbers[0], "Kirkegårdsveien 20", "3616", "Kongsberg",
                        dict(name="Kranskolen avd. Drammen", address="Kaia 4, 3015 Drammen", responsible="Per Faglig"))
    service = _company(session, SERVICE, org_numbers[1], "Strandkaien 8", "5013", "Bergen")
    login = tenant_services.create_user(session, tenant.id, "kranskole@bedriftstjenesten.no",
                                        training.contacts[0].name, ["client"], password=password)
    training.contacts[0].user_id, training.contacts[0].email = login.id, login.email

    # The training company: certified about 16 months ago, first surveillance held, second period running.
    issued = today - timedelta(days=490)
    _certify(session, training, "opplaering-8-1", 3, staff, issued, unit_id=training.sub_units[0].id)
    certificate = session.scalar(select(SchemeCertificate).where(SchemeCertificate.company_id == training.id))
    held = issued + timedelta(days=300)
    surveillance = cases.open_follow_on(session, admin, company_id=training.id, scheme_id=certificate.scheme_id,
                                        kind="surveillance", certificate_id=certificate.id,
                                        scope_ids=[s["id"] for s in certificate.scopes],
                                        sub_units=session.get(AuditCase, certificate.case_id).sub_units,
                                        today=held - timedelta(days=30))
    _audit(session, surveillance, staff, held, minor=False, recommendation="maintain")
    audit.review(session, reviewer, surveillance, "Oppfølgingsrevisjonen er gjennomført uten avvik.", held + timedelta(days=10))
    audit.decide(session, reviewer, surveillance, True, "", held + timedelta(days=10))

    # The service company: audited three weeks ago, one minor nonconformity still open.
    case = _through_documents(session, service, "ns9600-5", 2, staff, today - timedelta(days=70))
    _audit(session, case, staff, today - timedelta(days=21), minor=True, recommendation="issue")
    return True


def _through_documents(session, company, code, scopes, staff, day, unit_id=None):
    scheme = schemes.scheme_by_code(session, code)
    scope_ids = [s.id for s in schemes.scopes_of(session, scheme.id)[:scopes]]
    contact = staff["admin"]
    case = cases.apply(session, contact, dict(
        company_id=company.id, scheme_id=scheme.id, scope_ids=scope_ids,
        sub_units=[{"sub_unit_id": unit_id, "scope_ids": scope_ids[:1]}] if unit_id else [],
        contact_name=company.contacts[0].name, contact_email=company.contacts[0].email, note="",
        contract_accepted=True, contract_signed_by=company.contacts[0].name), day)
    cases.accept(session, staff["admin"], case, day + timedelta(days=2))
    cases.return_pre_evaluation(session, contact, case, "Dokumentasjonen er beskrevet i kvalitetshåndboken.",
                                day + timedelta(days=10))
    cases.submit_documents(session, contact, case, "Kvalitetshåndbok, instruktøroversikt, utstyrsliste.",
                           day + timedelta(days=14))
    rows = {r.id: {"assessment": "conform", "where_documented": f"Håndbok kap. {i + 1}", "note": ""}
            for i, r in enumerate(cases.requirements(session, case))}
    cases.save_matrix(session, staff["lead"], case, rows, day + timedelta(days=20))
    cases.complete_document_review(session, staff["lead"], case, day + timedelta(days=20))
    cases.name_team(session, staff["admin"], case, [{"user_id": staff["lead"].id, "role": "lead_auditor"},
                                                    {"user_id": staff["auditor"].id, "role": "auditor"}],
                    "Formøte 09:00, revisjon av dokumentasjonssystemet og stikkprøver, ettermøte 15:00.",
                    day + timedelta(days=40), day + timedelta(days=25))
    cases.accept_team(session, contact, case, day + timedelta(days=27))
    return case


def _audit(session, case, staff, day, *, minor: bool, recommendation: str):
    if case.team_named_on is None:
        cases.name_team(session, staff["admin"], case, [{"user_id": staff["lead"].id, "role": "lead_auditor"}],
                        "Dokumentrevisjon og stikkprøver av kurs.", day, day - timedelta(days=20))
        cases.accept_team(session, staff["admin"], case, day - timedelta(days=18))
    audit.hold_opening(session, staff["lead"], case, "Revisjonsleder, daglig leder, faglig leder", True, day)
    audit.add_sample(session, staff["auditor"] if any(m.user_id == staff["auditor"].id for m in case.team) else staff["lead"],
                     case, dict(kind="course" if case.scheme.code.startswith("opplaering") else "project",
                                description="Stikkprøve observert", result="I samsvar"), day)
    if minor:
        audit.raise_finding(session, staff["lead"], case, dict(
            grade="minor", requirement_id=cases.requirements(session, case)[7].id,
            description="Kontroll av tau og seler er ikke dokumentert for to av seks sett.",
            evidence="Utstyrsliste 2026, sett 4 og 6 uten kontrolldato"), day)
    audit.hold_closing(session, staff["lead"], case, case.company.contacts[0].name, "", day)
    audit.send_report(session, staff["lead"], case, dict(recommendation=recommendation, follow_up_on=None,
                                                         summary="Revisjonen er gjennomført etter programmet."),
                      day + timedelta(days=7))


def _certify(session, company, code, scopes, staff, issued, unit_id=None):
    case = _through_documents(session, company, code, scopes, staff, issued - timedelta(days=90), unit_id)
    _audit(session, case, staff, issued - timedelta(days=20), minor=False, recommendation="issue")
    audit.review(session, staff["reviewer"], case, "Saken er komplett og dokumentert.", issued)
    audit.decide(session, staff["reviewer"], case, True, "", issued)
    return case
