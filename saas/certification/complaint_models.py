"""Complaints and appeals (seed 000 § 7.13) about any scheme's certificates and decisions."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

__all__ = ["Complaint"]


class Complaint(TenantOwned, Base):
    """A complaint (about a certified company or the provider) or an appeal (against a decision): received,
    acknowledged, assessed for relevance, handled and decided by people not involved, outcome told."""

    __tablename__ = "complaints"
    __table_args__ = (CheckConstraint("kind IN ('complaint', 'appeal')", name="kind"),)
    __url_param__ = "complaint_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="complaint")
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    certificate_ref: Mapped[str] = mapped_column(String(60), default="")  # the certificate number it concerns
    from_public: Mapped[bool] = mapped_column(Boolean, default=True)
    from_name: Mapped[str] = mapped_column(String(200))
    from_email: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date]
    acknowledged_on: Mapped[date | None]
    relevant: Mapped[bool | None]
    assessment: Mapped[str] = mapped_column(Text, default="")
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    handling_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_on: Mapped[date | None]
    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_told_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
