"""Risk assessments: hazards scored on the tenant's matrix, with a snapshot of the matrix used."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned


class RiskMatrixVersion(TenantOwned, Base):
    """The tenant's risk matrix; every edit is a new version (saas.hms.risk.RiskMatrix.to_dict())."""

    __tablename__ = "risk_matrix_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)
    __url_param__ = "matrix_version_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskAssessment(TenantOwned, Base):
    __tablename__ = "risk_assessments"
    __url_param__ = "assessment_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date | None]
    next_review_on: Mapped[date | None]
    responsible: Mapped[str] = mapped_column(String(200), default="")
    # The matrix as it was when the assessment was made: old reports render the same after edits.
    matrix_snapshot: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | completed
    # An assessment with no hazards counts for B3 only with this explicit conclusion and a note saying why.
    no_significant_hazards: Mapped[bool] = mapped_column(Boolean, default=False)
    conclusion_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    hazards: Mapped[list["Hazard"]] = relationship(back_populates="assessment", order_by="Hazard.id")


class Hazard(TenantOwned, Base):
    __tablename__ = "hazards"
    __url_param__ = "hazard_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risk_assessments.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200), default="")  # location or activity
    area: Mapped[str] = mapped_column(String(20), default="physical")  # physical | psychosocial
    probability: Mapped[int] = mapped_column(Integer)
    consequence: Mapped[int] = mapped_column(Integer)
    probability_after: Mapped[int | None] = mapped_column(Integer)
    consequence_after: Mapped[int | None] = mapped_column(Integer)
    measures: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual | finding | survey
    source_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[RiskAssessment] = relationship(back_populates="hazards")
