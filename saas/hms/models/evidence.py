"""Files that document any piece of the year's work.  Nothing is deleted; a replaced file stays in history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned
from saas.tenants.models import User


class Evidence(TenantOwned, Base):
    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_target", "target_type", "target_id"),)
    __url_param__ = "evidence_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int | None] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    # What it documents: "action_item", "checklist_answer", "physical_mapping", "psychosocial_mapping",
    # "hazard", "safety_round", "compliance_check", "physical_mapping_report", ...
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column(Integer)
    file_key: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    generated: Mapped[bool] = mapped_column(default=False)  # made by the product (e.g. a report PDF)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))
    superseded: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | verified | rejected
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(Text, default="")

    uploader: Mapped[User | None] = relationship(foreign_keys=[uploaded_by])
    verifier: Mapped[User | None] = relationship(foreign_keys=[verified_by])
