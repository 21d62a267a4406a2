"""Checklist templates (versioned per tenant) and filled-in checklists (runs) with their answers."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned


class ChecklistTemplate(TenantOwned, Base):
    __tablename__ = "checklist_templates"
    # One seeded default per kind and tenant, even when two first requests race to seed it.
    __table_args__ = (UniqueConstraint("tenant_id", "default_key"),)
    __url_param__ = "template_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "physical" | "safety_round"
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # The shipped checklist it was seeded from ("physical_mapping" | "safety_round"); NULL for the tenant's own.
    default_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list["ChecklistTemplateVersion"]] = relationship(
        back_populates="template", order_by="ChecklistTemplateVersion.version"
    )


class ChecklistTemplateVersion(TenantOwned, Base):
    """An immutable version of a template: every edit makes a new one; runs keep the version they used."""

    __tablename__ = "checklist_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)
    __url_param__ = "template_version_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # {"sections": [{"key", "title_nb", "title_en", "items": [{"key", "text_nb", "text_en", "guidance_nb", "unit"}]}]}
    content: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="versions")


class ChecklistRun(TenantOwned, Base):
    """One filled-in checklist (of a physical mapping or a safety round)."""

    __tablename__ = "checklist_runs"
    __url_param__ = "run_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_template_versions.id", ondelete="RESTRICT"), index=True)
    # Filled in by the client company itself (self-service) rather than the consultant.
    filled_by_client: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "Start from last year": the run this one was copied from (its answers are the hints).
    previous_run_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_runs.id", ondelete="SET NULL"))

    template_version: Mapped[ChecklistTemplateVersion] = relationship()
    answers: Mapped[list["ChecklistAnswer"]] = relationship(back_populates="run", order_by="ChecklistAnswer.id",
                                                            cascade="all, delete-orphan")


class ChecklistAnswer(TenantOwned, Base):
    __tablename__ = "checklist_answers"
    __table_args__ = (UniqueConstraint("run_id", "item_key"),)
    __url_param__ = "answer_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(20))
    item_key: Mapped[str] = mapped_column(String(20))
    item_text: Mapped[str] = mapped_column(Text)  # snapshot: reports render as filled in
    answer: Mapped[str | None] = mapped_column(String(20))  # ok | finding | not_relevant
    comment: Mapped[str] = mapped_column(Text, default="")
    measured_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(20), default="")
    finding_grade: Mapped[str | None] = mapped_column(String(20))  # serious | minor | observation
    action_item_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id", ondelete="SET NULL"))
    # "Start from last year": what changed against the previous year's answer
    change_flag: Mapped[str | None] = mapped_column(String(10))  # new | changed | removed
    # Last year's answer and comment, shown as hints; the answer itself starts unanswered.
    previous_answer: Mapped[str | None] = mapped_column(String(20))
    previous_comment: Mapped[str] = mapped_column(Text, default="")

    run: Mapped[ChecklistRun] = relationship(back_populates="answers")
