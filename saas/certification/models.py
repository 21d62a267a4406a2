"""Attestations, proposals, decisions and certificates of a certification year.

Nothing here is ever deleted: everything that decided a certificate is kept for 10 years (seed 000
§7.12), and a certificate's number is never reused.
"""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.clients.models import ClientCompany
from saas.db import Base, utcnow
from saas.hms.models import CertificationYear
from saas.schemes.models import SchemeVersion
from saas.tenancy import TenantOwned
from saas.tenants.models import User

__all__ = ["Attestation", "CertificationProposal", "CertificationDecision", "Certificate", "CertificateEvent",
           "CertificateCounter", "CertificateState", "ProposalStatus", "CLASSES"]

CLASSES = ("B", "A", "A+")


class CertificateState(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class ProposalStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


def _year_scheme_version_id(context) -> int:
    """Column default: a proposal or certificate runs under its year's scheme version."""
    from sqlalchemy import select

    years = CertificationYear.__table__
    return context.connection.execute(
        select(years.c.scheme_version_id).where(years.c.id == context.get_current_parameters()["year_id"])).scalar_one()


class Attestation(TenantOwned, Base):
    """A person's written confirmation of a criterion the records cannot show: A4 (the consultant: the
    company works continuously on psychosocial improvements) or A+2 (the deciding person: management's
    continuous focus on HMS).  Later ones do not replace earlier ones; the newest counts."""

    __tablename__ = "certification_attestations"
    __table_args__ = (CheckConstraint("kind IN ('a4', 'a_plus_2')", name="kind"),)
    __url_param__ = "attestation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    on: Mapped[date] = mapped_column("attested_on")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    by_user: Mapped[User] = relationship()


class CertificationProposal(TenantOwned, Base):
    """A consultant's proposal of a class for a year, waiting for a reviewer's decision."""

    __tablename__ = "certification_proposals"
    __table_args__ = (
        CheckConstraint("cert_class IN ('B', 'A', 'A+')", name="cert_class"),
        # One proposal at a time waits for a decision; the database says so even under a race.
        Index("uq_certification_proposals_pending_year", "year_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )
    __url_param__ = "proposal_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    cert_class: Mapped[str] = mapped_column(String(2))
    # "B for other reasons" (B-alt): class B with a written justification.
    b_alternative: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    eligible_class: Mapped[str | None] = mapped_column(String(2))  # what the rules said when proposed
    ruleset_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=ProposalStatus.PENDING.value)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str] = mapped_column(Text, default="")
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"), index=True,
                                                   default=_year_scheme_version_id)

    proposer: Mapped[User] = relationship(foreign_keys=[proposed_by])


class CertificationDecision(TenantOwned, Base):
    """A reviewer's decision on a proposal, with the facts and the verdict it rested on.

    ``facts_snapshot`` is the YearFacts as plain JSON (saas.certification.snapshot) and ``facts_sha256``
    its hash, so the verdict can be re-evaluated and the snapshot shown unchanged years later.
    """

    __tablename__ = "certification_decisions"
    __table_args__ = (CheckConstraint("outcome IN ('approved', 'returned')", name="outcome"),)
    __url_param__ = "decision_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("certification_proposals.id", ondelete="RESTRICT"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10))
    cert_class: Mapped[str | None] = mapped_column(String(2))
    eligible_class: Mapped[str | None] = mapped_column(String(2))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    facts_snapshot: Mapped[dict] = mapped_column(JSON)
    facts_sha256: Mapped[str] = mapped_column(String(64))
    verdict_snapshot: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_on: Mapped[date]
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    decider: Mapped[User] = relationship(foreign_keys=[decided_by])


def _verification_code() -> str:
    return secrets.token_urlsafe(16)


class Certificate(TenantOwned, Base):
    """The certificate of one company for one year.  ``state`` is the stored state; a certificate past
    ``valid_until`` reads as expired even before the daily job stores it (services.certificates)."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        # At most one certificate per company and year: two reviewers deciding at once get one.
        UniqueConstraint("company_id", "year"),
        CheckConstraint("cert_class IN ('B', 'A', 'A+')", name="cert_class"),
    )
    __url_param__ = "certificate_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    decision_id: Mapped[int] = mapped_column(ForeignKey("certification_decisions.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str] = mapped_column(String(60))
    sequence: Mapped[int] = mapped_column(Integer)
    cert_class: Mapped[str] = mapped_column(String(2))
    issued_on: Mapped[date]
    valid_until: Mapped[date] = mapped_column(index=True)  # the last day it is valid
    state: Mapped[str] = mapped_column(String(12), default=CertificateState.ACTIVE.value)
    state_changed_on: Mapped[date]
    # For the public verification page (by number or QR code): random, unguessable, never changes.
    verification_code: Mapped[str] = mapped_column(String(32), unique=True, default=_verification_code)
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The scheme version it was issued under: its validity and fields stay as they were on that day.
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"), index=True,
                                                   default=_year_scheme_version_id)

    company: Mapped[ClientCompany] = relationship()
    scheme_version: Mapped[SchemeVersion] = relationship()
    events: Mapped[list["CertificateEvent"]] = relationship(
        back_populates="certificate", order_by="CertificateEvent.id"
    )


class CertificateEvent(TenantOwned, Base):
    """One change of a certificate's state: from, to, why, when and who (None: the daily job)."""

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="RESTRICT"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    on: Mapped[date] = mapped_column("effective_on")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="events")
    by_user: Mapped[User | None] = relationship()


class CertificateCounter(TenantOwned, Base):
    """The tenant's last certificate sequence number, incremented under a row lock (one per tenant)."""

    __tablename__ = "certificate_counters"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
