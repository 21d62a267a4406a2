"""Certification schemes as data: a tenant's schemes, their versions, scopes and requirement catalogue.

A scheme's settings live on its versions: publishing a change makes a new version, and whatever was
issued under an older one (a certificate, an audit case, an HMS year) keeps pointing at that version.
Versions and requirements are never deleted (seed 000 § 7.12: what decided a certificate is kept).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

__all__ = ["Scheme", "SchemeKind", "SchemeVersion", "SchemeScope", "Requirement"]


class SchemeKind(str, enum.Enum):
    HMS = "hms"        # the yearly HMS-sertifikat, class B / A / A+ (seed 001)
    AUDIT = "audit"    # audit-based company certification (seeds 000, 004)
    PERSON = "person"  # person certification (seeds 002, 003)


class Scheme(TenantOwned, Base):
    """One certification scheme a tenant runs, e.g. "Sertifisert opplæringsvirksomhet (§ 8-1)"."""

    __tablename__ = "schemes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("kind IN ('hms', 'audit', 'person')", name="kind"),
    )
    __url_param__ = "scheme_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40))  # stable, e.g. "hms", "opplaering-8-1"
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)  # came from the product's library
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list["SchemeVersion"]] = relationship(back_populates="scheme", order_by="SchemeVersion.number")
    scopes: Mapped[list["SchemeScope"]] = relationship(order_by="SchemeScope.position")


class SchemeVersion(TenantOwned, Base):
    """The settings of a scheme from ``published_at`` on (None: a draft not yet in use).

    ``settings`` is a ``saas.schemes.settings.SchemeSettings`` document, validated on every write
    (``saas.schemes.services.publish_version``); read it through ``SchemeVersion.parsed``.
    """

    __tablename__ = "scheme_versions"
    __table_args__ = (UniqueConstraint("scheme_id", "number"),)
    __url_param__ = "scheme_version_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime | None]
    settings: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")  # what changed, for the history
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scheme: Mapped[Scheme] = relationship(back_populates="versions")
    requirements: Mapped[list["Requirement"]] = relationship(order_by="Requirement.position")

    @property
    def parsed(self):
        from saas.schemes.settings import SchemeSettings

        return SchemeSettings.from_document(self.settings)


class SchemeScope(TenantOwned, Base):
    """A fagområde of a scheme, e.g. an equipment category a training company may teach."""

    __tablename__ = "scheme_scopes"
    __table_args__ = (UniqueConstraint("scheme_id", "code"),)
    __url_param__ = "scope_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Requirement(TenantOwned, Base):
    """One requirement of a scheme version's catalogue: a clause id and a title.

    ``text`` holds the wording only where it is law (forskrift § 8-1 a–n, § 8-6 a–e); a standard's own
    text is copyrighted and is never stored, only its clause number and a title in our own words.
    """

    __tablename__ = "scheme_requirements"
    __table_args__ = (UniqueConstraint("version_id", "clause"),)
    __url_param__ = "requirement_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"), index=True)
    clause: Mapped[str] = mapped_column(String(40))  # e.g. "§ 8-1 c", "NS 9600-5 K3"
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(String(120), default="")  # grouping for checklists
    position: Mapped[int] = mapped_column(Integer, default=0)
