"""An audit case with every row a case can have, and a certificate of an audit-based scheme."""
import hashlib
from datetime import date

from saas.audits.models import (AuditCase, AuditSample, CaseFile, ConformityEntry, CorrectiveAction, Finding,
                                TeamMember)
from saas.certification.scheme_models import SchemeCertificate, SchemeCertificateEvent


def _case_file_key(key: str) -> str:
    """A key of the shape the store makes (saas.storage.new_key), unique per world: the export reads it."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{digest[:4]}/{digest[4:36]}.pdf"


def populate(session, base):
    key = base["key"].upper()
    scheme, version, company = base["audit_scheme"], base["audit_version"], base["company"]
    admin, requirement, scope = base["admin"], base["requirement"], base["scope"]
    case = AuditCase(company_id=company.id, scheme_id=scheme.id, scheme_version_id=version.id, kind="initial",
                     scope_ids=[scope.id], sub_units=[{"sub_unit_id": base["sub_unit"].id, "scope_ids": [scope.id]}],
                     contact_name=f"Kontakt {key} Hemmelig", contract_signed_by=f"Signert {key} Hemmelig",
                     contract_signed_on=date(2026, 1, 5), application_received_on=date(2026, 1, 5),
                     accepted_on=date(2026, 1, 6), created_by=admin.id)
    session.add(case)
    session.flush()
    member = TeamMember(case_id=case.id, user_id=admin.id, role="lead_auditor", named_on=date(2026, 2, 1))
    entry = ConformityEntry(case_id=case.id, stage="document", requirement_id=requirement.id,
                            where_documented=f"Håndbok {key} Hemmelig", assessment="nonconformity",
                            assessed_by=admin.id, assessed_on=date(2026, 2, 1))
    finding = Finding(case_id=case.id, stage="document", requirement_id=requirement.id, grade="minor",
                      description=f"Avvik {key} Hemmelig", raised_on=date(2026, 2, 1), raised_by=admin.id)
    sample = AuditSample(case_id=case.id, kind="course", description=f"Kurs {key} Hemmelig", taken_by=admin.id,
                         taken_on=date(2026, 3, 1))
    case_file = CaseFile(case_id=case.id, kind="document", storage_key=_case_file_key(key),
                         filename=f"Dokument {key} Hemmelig.pdf", content_type="application/pdf", size=1,
                         sha256="0" * 64, uploaded_by=admin.id)
    session.add_all([member, entry, finding, sample, case_file])
    session.flush()
    corrective = CorrectiveAction(finding_id=finding.id, root_cause=f"Årsak {key} Hemmelig", correction="Rettet",
                                  corrective_action="Ny rutine", received_on=date(2026, 2, 10),
                                  submitted_by=base["client"].id)
    certificate = SchemeCertificate(
        company_id=company.id, scheme_id=scheme.id, scheme_version_id=version.id, case_id=case.id,
        number=f"{key}-2026-0900", sequence=900, issued_on=date(2026, 4, 1), valid_until=date(2030, 3, 31),
        cycle_started_on=date(2026, 4, 1), state="active", state_changed_on=date(2026, 4, 1),
        holder={"name": f"Kunde {key} Hemmelig AS", "org_number": company.org_number, "address": "", "postcode": "",
                "city": ""},
        scopes=[{"id": scope.id, "code": scope.code, "name": scope.name}], sub_units=[], signatory="Signe",
        issued_by=admin.id)
    session.add_all([corrective, certificate])
    session.flush()
    event = SchemeCertificateEvent(certificate_id=certificate.id, action="issued", from_state=None, to_state="active",
                                   reason=f"Utstedt {key} Hemmelig", on=date(2026, 4, 1), by_user_id=admin.id)
    session.add(event)
    session.flush()
    return dict(audit_case=case, team_member=member, conformity_entry=entry, finding=finding, sample=sample,
                case_file=case_file, corrective_action=corrective, scheme_certificate=certificate)
