from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.clients.models import ClientCompany
from saas.db import Base, utcnow
from saas.schemes.models import SchemeVersion, current_hms_version_id
from saas.tenancy import TenantOwned
from saas.tenants.models import User


class CertificationYear(TenantOwned, Base):
    """One client company's certification cycle for one year: everything that earns its certificate."""

    __tablename__ = "certification_years"
    __table_args__ = (UniqueConstraint("company_id", "year"),)
    __url_param__ = "year_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Filled when the year was started from the previous one ("Start from last year").
    previous_year_id: Mapped[int | None] = mapped_column(ForeignKey("certification_years.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, decided, closed
    self_mapping: Mapped[bool] = mapped_column(Boolean, default=False)  # the company maps itself
    # The HMS-sertifikat version the year runs under (its validity, catalogue, certificate fields).
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"), index=True,
                                                   default=current_hms_version_id)

    company: Mapped[ClientCompany] = relationship()
    consultant: Mapped[User | None] = relationship(foreign_keys=[consultant_id])
    scheme_version: Mapped[SchemeVersion] = relationship()
