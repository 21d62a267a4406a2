"""Compliance checks class A needs when mappings were done by others (DOMAIN.md A2)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned


class ComplianceCheck(TenantOwned, Base):
    __tablename__ = "compliance_checks"
    __table_args__ = (UniqueConstraint("year_id", "key"),)
    __url_param__ = "check_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    key: Mapped[str] = mapped_column(String(40))  # saas.hms.checklist_defaults.COMPLIANCE_CHECKS
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | verified | not_ok
    note: Mapped[str] = mapped_column(Text, default="")
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
