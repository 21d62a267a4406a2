"""Certificates of the audit-based schemes (seeds 000, 004): what a certificate shows is a snapshot taken
at issue (§ 7.7: holder, scope, sub-units with faglig leder and fagområder, validity, signatory), so a
later change of the company or scheme never rewrites an issued certificate; a change of scope issues a
new certificate that supersedes the old.  Numbers come from the tenant's one certificate counter, so
they never clash with the HMS-sertifikat's.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.clients.models import ClientCompany
from saas.db import Base, utcnow
from saas.schemes.models import Scheme, SchemeVersion
from saas.tenancy import TenantOwned

__all__ = ["SchemeCertificate", "SchemeCertificateEvent"]


def _code() -> str:
    return secrets.token_urlsafe(16)


class SchemeCertificate(TenantOwned, Base):
    __tablename__ = "scheme_certificates"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    __url_param__ = "scheme_certificate_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"))
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(60))
    sequence: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date]
    valid_until: Mapped[date] = mapped_column(index=True)
    # The certification cycle's first day: a new certificate after a scope change keeps the cycle.
    cycle_started_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(12), default="active")
    state_changed_on: Mapped[date]
    scope_reduced: Mapped[bool] = mapped_column(Boolean, default=False)
    increased_surveillance: Mapped[bool] = mapped_column(Boolean, default=False)
    # Snapshots of what the certificate shows.
    holder: Mapped[dict] = mapped_column(JSON)       # name, org_number, address, postcode, city
    scopes: Mapped[list] = mapped_column(JSON)       # [{"id", "code", "name"}]
    sub_units: Mapped[list] = mapped_column(JSON)    # [{"name", "address", "responsible", "scopes": [names]}]
    signatory: Mapped[str] = mapped_column(String(200), default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("scheme_certificates.id", ondelete="RESTRICT"))
    verification_code: Mapped[str] = mapped_column(String(32), unique=True, default=_code)
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The PDF, rendered once by a job (saas.certification.scheme_documents); never re-rendered.
    document_key: Mapped[str | None] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64))

    company: Mapped[ClientCompany] = relationship()
    scheme: Mapped[Scheme] = relationship()
    scheme_version: Mapped[SchemeVersion] = relationship()
    events: Mapped[list["SchemeCertificateEvent"]] = relationship(order_by="SchemeCertificateEvent.id")


class SchemeCertificateEvent(TenantOwned, Base):
    """A change of a scheme certificate: issued, suspended, reinstated, withdrawn, scope reduced,
    superseded, increased surveillance, expired; with the reason, and who (None: the daily job)."""

    __tablename__ = "scheme_certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("scheme_certificates.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    on: Mapped[date] = mapped_column("effective_on")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
