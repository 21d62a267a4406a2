"""Demo HMS work: a complete class-A year for two of a tenant's companies, and for the first of them a
previous year's class-A certificate plus the A+2 attestation, so it shows as eligible for A+.

``load_demo_work(session, tenant)`` is idempotent (a company that already has this year is left alone);
``complete_year`` builds one year's work and is what the tests use too.  Every date is relative to
``today``, so the demo stays valid whatever day it is loaded.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas import storage
from saas.certification import snapshot
from saas.certification.models import (Attestation, Certificate, CertificateEvent, CertificationDecision,
                                       CertificationProposal)
from saas.certification.services.certificates import format_number, next_sequence, valid_until_for
from saas.clients.models import ClientCompany
from saas.db import utcnow
from saas.hms import rules
from saas.hms.checklist_defaults import COMPLIANCE_CHECKS, PHYSICAL_MAPPING_CHECKLIST, SAFETY_ROUND_CHECKLIST
from saas.hms.models import (ActionItem, CertificationYear, ChecklistAnswer, ChecklistRun, ChecklistTemplate,
                             ChecklistTemplateVersion, ComplianceCheck, Evidence, Hazard, PhysicalMapping,
                             PsychosocialMapping, RiskAssessment, SafetyRound)
from saas.hms.risk import default_matrix
from saas.schemes.services import hms_version, settings_of
from saas.tenancy import bind_tenant
from saas.tenants.models import Role, Tenant, User, UserRole

DEMO_COMPANIES = ("Kongsberg Mek. Verksted AS", "Lågen Rør og Varme AS")


def _tiny_pdf(title: str) -> bytes:
    """A small, valid one-page PDF saying ``title`` (demo reports; real ones are rendered by the HMS work)."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _template_version(session: Session, kind: str, content: dict, name: str) -> ChecklistTemplateVersion:
    """The tenant's default template of ``kind`` (its newest version), created from the shipped one if missing."""
    version = session.scalar(
        select(ChecklistTemplateVersion).join(ChecklistTemplate, ChecklistTemplate.id == ChecklistTemplateVersion.template_id)
        .where(ChecklistTemplate.kind == kind, ChecklistTemplate.is_default.is_(True), ChecklistTemplate.archived.is_(False))
        .order_by(ChecklistTemplateVersion.version.desc()))
    if version is not None:
        return version
    template = ChecklistTemplate(kind=kind, name=name, is_default=True)
    session.add(template)
    session.flush()
    version = ChecklistTemplateVersion(template_id=template.id, version=1, content=json.loads(json.dumps(content)))
    session.add(version)
    session.flush()
    return version


def _report(session: Session, year: CertificationYear, target_type: str, target_id: int, title: str, by: User) -> Evidence:
    stored = storage.save_bytes(_tiny_pdf(title), "pdf", f"{title}.pdf", "application/pdf")
    storage.remove_on_rollback(session, stored)
    evidence = Evidence(year_id=year.id, target_type=target_type, target_id=target_id, file_key=stored.key,
                        original_name=stored.original_name, content_type=stored.content_type, size=stored.size,
                        sha256=stored.sha256, generated=True, uploaded_by=by.id, status="verified", verified_by=by.id,
                        verified_at=utcnow(), description=title)
    session.add(evidence)
    session.flush()
    return evidence


def _run(session: Session, version: ChecklistTemplateVersion, by: User, findings: int) -> ChecklistRun:
    run = ChecklistRun(template_version_id=version.id, submitted_at=utcnow(), submitted_by=by.id)
    session.add(run)
    session.flush()
    items = [(s["key"], i) for s in version.content.get("sections", []) for i in s.get("items", [])][:8]
    for n, (section, item) in enumerate(items):
        session.add(ChecklistAnswer(run_id=run.id, section_key=section, item_key=item["key"], item_text=item.get("text_nb", ""),
                                    answer="finding" if n < findings else "ok", finding_grade="minor" if n < findings else None))
    session.flush()
    return run


def complete_year(session: Session, company: ClientCompany, consultant: User, today: date, *, year: int | None = None) -> CertificationYear:
    """A year of ``company`` whose records meet every criterion of class A as of ``today``: a provider's
    physical mapping with report and an action plan in progress, a completed risk assessment, a safety
    round, a psychosocial mapping reviewed with management, verified compliance checks and the A4
    attestation.  Returns the (flushed) year."""
    def ago(days: int) -> date:
        return today - timedelta(days=days)

    cert_year = CertificationYear(company_id=company.id, year=year or today.year, consultant_id=consultant.id,
                                  opened_by=consultant.id, status="open", scheme_version_id=hms_version(session).id)
    session.add(cert_year)
    session.flush()
    physical = _template_version(session, "physical", PHYSICAL_MAPPING_CHECKLIST, "Fysisk kartlegging av arbeidsplassen")
    run = _run(session, physical, consultant, findings=2)
    mapping = PhysicalMapping(year_id=cert_year.id, run_id=run.id, performed_on=ago(60), method="provider", status="completed",
                              completed_on=ago(60), participants="Daglig leder, verneombud, HMS-rådgiver",
                              summary="To forhold må følges opp: støy i verkstedet og belysning på lageret.")
    session.add(mapping)
    session.flush()
    mapping.report_evidence_id = _report(session, cert_year, "physical_mapping_report", mapping.id,
                                         f"Rapport fysisk kartlegging {company.name}", consultant).id
    session.add_all([
        ActionItem(year_id=cert_year.id, title="Skjerme støyende kompressor i verkstedet", area="physical", source_type="finding",
                   status="done", deadline=ago(10), started_at=utcnow(), completed_at=utcnow(), created_by=consultant.id,
                   grade="minor", responsible_name="Verkstedleder"),
        ActionItem(year_id=cert_year.id, title="Bytte lysarmaturer på lageret", area="physical", source_type="finding",
                   status="in_progress", deadline=today + timedelta(days=60), started_at=utcnow(), created_by=consultant.id,
                   grade="minor", responsible_name="Lagerleder"),
        ActionItem(year_id=cert_year.id, title="Avklare roller og ansvar i prosjektteamene", area="psychosocial",
                   source_type="manual", status="in_progress", deadline=today + timedelta(days=90), started_at=utcnow(),
                   created_by=consultant.id, responsible_name="Daglig leder"),
    ])
    assessment = RiskAssessment(year_id=cert_year.id, title="Risikovurdering verksted og lager", assessed_on=ago(55),
                                next_review_on=today + timedelta(days=310), responsible="Daglig leder",
                                matrix_snapshot=default_matrix().to_dict(), status="completed")
    session.add(assessment)
    session.flush()
    session.add_all([
        Hazard(assessment_id=assessment.id, description="Støy fra kompressor", location="Verksted", probability=4,
               consequence=3, probability_after=2, consequence_after=3, measures="Skjerming og hørselvern"),
        Hazard(assessment_id=assessment.id, description="Fall fra stige ved høylager", location="Lager", probability=2,
               consequence=4, probability_after=1, consequence_after=4, measures="Fast trapp og opplæring"),
    ])
    if company.works_off_premises:
        round_version = _template_version(session, "safety_round", SAFETY_ROUND_CHECKLIST, "Vernerunde")
        session.add(SafetyRound(year_id=cert_year.id, run_id=_run(session, round_version, consultant, findings=0).id,
                                held_on=ago(40), location="Byggeplasser og verksted", status="completed",
                                participants="Daglig leder, verneombud"))
    psy = PsychosocialMapping(year_id=cert_year.id, method_interviews=True, method_survey=False, done_by_provider=True,
                              interviews_from=ago(45), completed_on=ago(30), conversation_count=company.employee_count or 10,
                              themes="Krav og forventninger, arbeidsmengde, støtte fra leder og kolleger",
                              findings="Noe uklare roller i prosjektteamene.", status="completed",
                              reviewed_with_management_on=ago(20))
    session.add(psy)
    session.flush()
    psy.report_evidence_id = _report(session, cert_year, "psychosocial_mapping_report", psy.id,
                                     f"Rapport psykososial kartlegging {company.name}", consultant).id
    session.add_all([ComplianceCheck(year_id=cert_year.id, key=c["key"], status="verified", verified_by=consultant.id,
                                     verified_at=utcnow(), note="Kontrollert ved kartleggingen") for c in COMPLIANCE_CHECKS])
    session.add(Attestation(year_id=cert_year.id, kind="a4", by_user_id=consultant.id, on=ago(10),
                            note="Bedriften har månedlige trivselsmøter og følger opp sykefravær tett."))
    session.flush()
    return cert_year


def previous_certificate(session: Session, tenant: Tenant, company: ClientCompany, consultant: User, reviewer: User,
                         today: date, cert_class: str = "A", issued_days_ago: int = 300):
    """Last year's decided year with a certificate of ``cert_class`` (issued ``issued_days_ago`` days ago)."""
    issued_on = today - timedelta(days=issued_days_ago)
    version = hms_version(session)
    year = CertificationYear(company_id=company.id, year=today.year - 1, consultant_id=consultant.id,
                             opened_by=consultant.id, status="decided", scheme_version_id=version.id)
    session.add(year)
    session.flush()
    proposal = CertificationProposal(year_id=year.id, cert_class=cert_class, eligible_class=cert_class,
                                     ruleset_version=rules.RULESET_VERSION, status="approved", proposed_by=consultant.id,
                                     closed_by=reviewer.id, closed_at=utcnow())
    session.add(proposal)
    session.flush()
    facts = snapshot.facts_to_dict(rules.YearFacts(as_of=issued_on, year=year.year))
    decision = CertificationDecision(year_id=year.id, proposal_id=proposal.id, outcome="approved", cert_class=cert_class,
                                     eligible_class=cert_class, ruleset_version=rules.RULESET_VERSION, facts_snapshot=facts,
                                     facts_sha256=snapshot.digest(facts), verdict_snapshot={},
                                     reason="Overført fra tidligere system (demodata).", decided_by=reviewer.id,
                                     decided_on=issued_on)
    session.add(decision)
    session.flush()
    seq = next_sequence(session)
    certificate = Certificate(company_id=company.id, year_id=year.id, year=year.year, decision_id=decision.id,
                              number=format_number(tenant, year.year, seq), sequence=seq, cert_class=cert_class,
                              issued_on=issued_on,
                              valid_until=valid_until_for(issued_on, settings_of(version).validity_months),
                              state="active", state_changed_on=issued_on, issued_by=reviewer.id,
                              scheme_version_id=version.id)
    session.add(certificate)
    session.flush()
    session.add(CertificateEvent(certificate_id=certificate.id, from_state=None, to_state="active", on=issued_on,
                                 by_user_id=reviewer.id, reason=f"Utstedt i klasse {cert_class} etter beslutning."))
    session.flush()
    return certificate


def _first_with_role(session: Session, role: Role, exclude: tuple[Role, ...] = ()) -> User | None:
    users = session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                            .where(UserRole.role == role.value, User.active.is_(True)).order_by(User.id)).all()
    return next((u for u in users if not u.has_role(*exclude)), users[0] if users else None)


def load_demo_work(session: Session, tenant: Tenant, today: date | None = None) -> bool:
    """Create the demo HMS work for two of ``tenant``'s companies (DEMO_COMPANIES, else its first two);
    True when anything was made.  Leaves the session bound to ``tenant``."""
    from saas.scheduler import today_in_oslo

    today = today or today_in_oslo()
    bind_tenant(session, tenant.id)
    reviewer = _first_with_role(session, Role.REVIEWER, exclude=(Role.ADMIN,))
    companies = session.scalars(select(ClientCompany).where(ClientCompany.name.in_(DEMO_COMPANIES))).all()
    companies = sorted(companies, key=lambda c: DEMO_COMPANIES.index(c.name)) or \
        session.scalars(select(ClientCompany).order_by(ClientCompany.id).limit(2)).all()
    if reviewer is None:
        return False
    made = False
    for index, company in enumerate(companies):
        years = set(session.scalars(select(CertificationYear.year).where(CertificationYear.company_id == company.id)))
        if today.year in years:
            continue
        consultant = company.consultant or _first_with_role(session, Role.CONSULTANT)
        if index == 0 and today.year - 1 not in years:
            previous_certificate(session, tenant, company, consultant, reviewer, today)
        year = complete_year(session, company, consultant, today)
        if index == 0:
            session.add(Attestation(year_id=year.id, kind="a_plus_2", by_user_id=reviewer.id, on=today - timedelta(days=5),
                                    note="Ledelsen har HMS som fast sak på hvert ledermøte og følger opp trivsel jevnlig."))
            session.flush()
        made = True
    return made
