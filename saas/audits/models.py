"""An audit case: one pass through seed 000's steps for one company and scheme.

Kinds: ``initial`` (application to certificate), ``surveillance`` (an audit during the validity),
``recertification`` (the same process again before expiry), ``change`` (the company reported a change:
scope extended or reduced, a new certificate supersedes the old), ``extraordinary`` (a follow-up or
extraordinary audit: opened from a nonconformity's follow-up in another case, or from a complaint's
decision; it starts at the team, like surveillance, and keeps the certificate).  Nothing in a case is deleted before
its scheme's retention ends (saas.audits.archive refuses it); the dates are the case's history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.clients.models import ClientCompany
from saas.db import Base, utcnow
from saas.schemes.models import Scheme, SchemeVersion
from saas.tenancy import TenantOwned

__all__ = ["AuditCase", "TeamMember", "ConformityEntry", "Finding", "CorrectiveAction", "AuditSample", "CaseFile",
           "CASE_KINDS", "GRADES", "ASSESSMENTS"]

CASE_KINDS = ("initial", "surveillance", "recertification", "change", "extraordinary")
GRADES = ("serious", "minor", "observation")
ASSESSMENTS = ("conform", "nonconformity", "observation", "not_applicable")
TEAM_ROLES = ("lead_auditor", "auditor", "expert")


class AuditCase(TenantOwned, Base):
    __tablename__ = "audit_cases"
    __table_args__ = (
        CheckConstraint("kind IN ('initial', 'surveillance', 'recertification', 'change', 'extraordinary')",
                        name="kind"),
        CheckConstraint("decision IS NULL OR decision IN ('approved', 'refused')", name="decision"),
    )
    __url_param__ = "case_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="initial")
    # The certificate a surveillance, recertification or change case concerns (saas.certification).
    certificate_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # kind "extraordinary": what it follows up (a case and its nonconformity, or a complaint), and why.
    origin_case_id: Mapped[int | None] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    # use_alter: audit_findings refers back to audit_cases, so this key is added after both tables exist.
    origin_finding_id: Mapped[int | None] = mapped_column(ForeignKey("audit_findings.id", ondelete="RESTRICT", use_alter=True))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # 1. Application and contract
    scope_ids: Mapped[list] = mapped_column(JSON, default=list)
    # [{"sub_unit_id": 3, "scope_ids": [1, 2]}]: sub-units with their own fagområder and faglig leder
    sub_units: Mapped[list] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    application_note: Mapped[str] = mapped_column(Text, default="")
    change_note: Mapped[str] = mapped_column(Text, default="")  # kind "change": what the company reported
    contract_signed_by: Mapped[str] = mapped_column(String(200), default="")
    contract_signed_on: Mapped[date | None]
    application_received_on: Mapped[date | None]
    accepted_on: Mapped[date | None]
    refused_on: Mapped[date | None]
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    # 2. Pre-evaluation
    pre_evaluation: Mapped[str] = mapped_column(Text, default="")
    pre_evaluation_returned_on: Mapped[date | None]
    # 3. Documents and document review
    documents_note: Mapped[str] = mapped_column(Text, default="")
    documents_received_on: Mapped[date | None]
    document_review_done_on: Mapped[date | None]
    # 4. Team and programme
    programme: Mapped[str] = mapped_column(Text, default="")
    audit_planned_on: Mapped[date | None]
    team_named_on: Mapped[date | None]
    team_settled_on: Mapped[date | None]
    # 5. The audit
    document_only: Mapped[bool] = mapped_column(Boolean, default=False)
    opening_held_on: Mapped[date | None]
    opening_attendance: Mapped[str] = mapped_column(Text, default="")
    confidentiality_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    closing_held_on: Mapped[date | None]  # the audit's last day
    closing_accepted_by: Mapped[str] = mapped_column(String(200), default="")
    closing_note: Mapped[str] = mapped_column(Text, default="")
    # 6. Report
    report_sent_on: Mapped[date | None]
    report_summary: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(String(16), default="")  # issue | refuse | maintain | follow_up
    follow_up_on: Mapped[date | None]
    # 8. Review and decision
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewed_on: Mapped[date | None]
    review_note: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_on: Mapped[date | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[ClientCompany] = relationship()
    scheme: Mapped[Scheme] = relationship()
    scheme_version: Mapped[SchemeVersion] = relationship()
    team: Mapped[list["TeamMember"]] = relationship(order_by="TeamMember.id")
    findings: Mapped[list["Finding"]] = relationship(order_by="Finding.id", foreign_keys="Finding.case_id")


class TeamMember(TenantOwned, Base):
    """A member of the audit team, named in writing; the client may object with a reason."""

    __tablename__ = "audit_team_members"
    __table_args__ = (CheckConstraint("role IN ('lead_auditor', 'auditor', 'expert')", name="role"),)
    __url_param__ = "member_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    named_on: Mapped[date]
    objection: Mapped[str] = mapped_column(Text, default="")
    objected_on: Mapped[date | None]
    objection_upheld: Mapped[bool | None]
    removed_on: Mapped[date | None]


class ConformityEntry(TenantOwned, Base):
    """One requirement assessed: in the document review (the conformity matrix: where the company
    documents it) or in the audit (the checklist built from the catalogue)."""

    __tablename__ = "audit_conformity"
    __table_args__ = (UniqueConstraint("case_id", "stage", "requirement_id"),
                      CheckConstraint("stage IN ('document', 'audit')", name="stage"),
                      CheckConstraint("assessment IN ('conform', 'nonconformity', 'observation', 'not_applicable')",
                                      name="assessment"))
    __url_param__ = "entry_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    stage: Mapped[str] = mapped_column(String(10))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("scheme_requirements.id", ondelete="RESTRICT"))
    where_documented: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    assessed_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    assessed_on: Mapped[date]


class Finding(TenantOwned, Base):
    """A nonconformity or observation, graded, with the objective evidence and the requirement broken."""

    __tablename__ = "audit_findings"
    __table_args__ = (CheckConstraint("stage IN ('document', 'audit', 'follow_up')", name="stage"),)
    __url_param__ = "finding_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    stage: Mapped[str] = mapped_column(String(10))
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("scheme_requirements.id", ondelete="RESTRICT"))
    grade: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")  # the objective evidence
    raised_on: Mapped[date]
    due_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    verified_by_method: Mapped[str] = mapped_column(String(20), default="")  # visit | document_review | samples
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))

    corrective_actions: Mapped[list["CorrectiveAction"]] = relationship(order_by="CorrectiveAction.id")


class CorrectiveAction(TenantOwned, Base):
    """The client's answer to a finding; the provider accepts or rejects it within the scheme's deadline."""

    __tablename__ = "audit_corrective_actions"
    __url_param__ = "corrective_action_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("audit_findings.id", ondelete="RESTRICT"), index=True)
    root_cause: Mapped[str] = mapped_column(Text)
    correction: Mapped[str] = mapped_column(Text)
    corrective_action: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("audit_case_files.id", ondelete="RESTRICT"))
    received_on: Mapped[date]
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    accepted: Mapped[bool | None]
    answered_on: Mapped[date | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    answer_note: Mapped[str] = mapped_column(Text, default="")


class AuditSample(TenantOwned, Base):
    """A sample taken during the audit: a course or inspection observed, an instructor or inspector verified."""

    __tablename__ = "audit_samples"
    __table_args__ = (CheckConstraint("kind IN ('course', 'inspection', 'instructor', 'inspector', 'project')",
                                      name="kind"),)
    __url_param__ = "sample_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text, default="")
    taken_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    taken_on: Mapped[date]


class CaseFile(TenantOwned, Base):
    """A file in the case: the signed contract, documents sent in, evidence of corrective action."""

    __tablename__ = "audit_case_files"
    __url_param__ = "file_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # contract | document | evidence
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
