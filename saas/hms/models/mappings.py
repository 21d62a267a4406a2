"""Physical and psychosocial mappings and safety rounds of a certification year."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.hms.models.checklists import ChecklistRun
from saas.tenancy import TenantOwned


class PhysicalMapping(TenantOwned, Base):
    __tablename__ = "physical_mappings"
    __url_param__ = "mapping_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id", ondelete="RESTRICT"))
    performed_on: Mapped[date | None]
    # When it is planned (the calendar shows it); may lie ahead, unlike the dates the rules count.
    planned_on: Mapped[date | None]
    method: Mapped[str] = mapped_column(String(20), default="provider")  # provider | self | third_party
    performed_by: Mapped[str] = mapped_column(String(200), default="")  # the third party's name, when used
    participants: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | completed
    completed_on: Mapped[date | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    # The written report: a generated PDF or an upload (an Evidence row with target "physical_mapping_report")
    report_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))
    # Each request for a generated report bumps report_version; the job writes the version it rendered,
    # so a repeated or stale job run changes nothing.
    report_version: Mapped[int] = mapped_column(Integer, default=0)
    report_generated_version: Mapped[int | None] = mapped_column(Integer)
    # The version whose rendering failed, and why (saas.hms.services.reports.report_status).
    report_failed_version: Mapped[int | None] = mapped_column(Integer)
    report_error: Mapped[str] = mapped_column(Text, default="")
    reviewed_with_management_on: Mapped[date | None]
    # For a mapping done by the company itself or a third party: a consultant verified the documentation.
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[ChecklistRun] = relationship()


class PsychosocialMapping(TenantOwned, Base):
    __tablename__ = "psychosocial_mappings"
    __url_param__ = "psy_mapping_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    method_interviews: Mapped[bool] = mapped_column(Boolean, default=True)
    method_survey: Mapped[bool] = mapped_column(Boolean, default=False)
    survey_id: Mapped[int | None] = mapped_column(Integer)  # the survey used as basis (surveys feature)
    done_by_provider: Mapped[bool] = mapped_column(Boolean, default=True)
    interviews_from: Mapped[date | None]
    completed_on: Mapped[date | None]
    conversation_count: Mapped[int | None] = mapped_column(Integer)
    themes: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")  # no personal data
    no_significant_conditions: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    report_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))
    report_version: Mapped[int] = mapped_column(Integer, default=0)
    report_generated_version: Mapped[int | None] = mapped_column(Integer)
    report_failed_version: Mapped[int | None] = mapped_column(Integer)
    report_error: Mapped[str] = mapped_column(Text, default="")
    reviewed_with_management_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafetyRound(TenantOwned, Base):
    """A vernerunde: pre-meeting, walk-through, closing meeting, checklist and findings."""

    __tablename__ = "safety_rounds"
    __url_param__ = "round_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id", ondelete="RESTRICT"))
    held_on: Mapped[date | None]
    planned_on: Mapped[date | None]  # when it is planned (the calendar); may lie ahead
    location: Mapped[str] = mapped_column(String(300), default="")
    participants: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | completed
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[ChecklistRun] = relationship()
