"""Certification schemes as data: a tenant's schemes, their versions, scopes and requirement catalogue.

A scheme's settings live on its versions: publishing a change makes a new version, and whatever was
issued under an older one (a certificate, an audit case, an HMS year) keeps pointing at that version.
Versions and requirements are never deleted (seed 000 § 7.12: what decided a certificate is kept).
"""
from __future__ import annotations

import enum
from datetime import datetime

from datetime import date

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

__all__ = ["Scheme", "SchemeKind", "SchemeVersion", "VersionPublished", "SchemeScope", "Requirement", "StaffTie", "Competence",
           "TIE_KINDS", "COMPETENCE_FUNCTIONS"]


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


class VersionPublished(Exception):
    """A published scheme version (and its catalogue) cannot change: publish a new version instead."""


def _was_published(version: "SchemeVersion") -> bool:
    history = inspect(version).attrs.published_at.history
    before = history.deleted[0] if history.deleted else version.published_at
    return before is not None


@event.listens_for(Session, "before_flush")
def _published_versions_never_change(session, flush_context, instances) -> None:
    """The second wall behind the editor's services: a certificate, case or HMS year issued under a version
    must always read the settings and catalogue it was issued under."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, SchemeVersion):
            state = inspect(obj)
            changed = obj in session.deleted or any(
                state.attrs[name].history.has_changes() for name in ("settings", "number", "scheme_id"))
            if changed and _was_published(obj):
                raise VersionPublished(obj.id)
        elif isinstance(obj, Requirement) and (obj in session.deleted or session.is_modified(obj)):
            with session.no_autoflush:
                version = session.get(SchemeVersion, obj.version_id)
            if version is not None and _was_published(version):
                raise VersionPublished(version.id)


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



# -- impartiality and competence register (ISO/IEC 17021-1 5.2, seed 003 § 7-1) ----------------------

TIE_KINDS = ("consulted", "trained", "employed", "family", "financial")
COMPETENCE_FUNCTIONS = ("lead_auditor", "auditor", "expert", "reviewer")


class StaffTie(TenantOwned, Base):
    """A staff member's tie to a client company, from ``from_on`` to ``to_on`` (None: still ongoing).

    Ties are never deleted: a tie that ended is ended by its ``to_on``.  Ties that follow from the
    product's own records (HMS work for the company) are derived, not stored (saas.schemes.impartiality).
    """

    __tablename__ = "staff_ties"
    __table_args__ = (CheckConstraint("kind IN ('consulted', 'trained', 'employed', 'family', 'financial')",
                                      name="kind"),
                      CheckConstraint("to_on IS NULL OR to_on >= from_on", name="period"))
    __url_param__ = "tie_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    from_on: Mapped[date]
    to_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Competence(TenantOwned, Base):
    """A staff member's approved competence in a function for a scheme (and a scope; None: every scope
    of the scheme), valid from ``valid_from`` up to and including ``expires_on`` (None: no expiry)."""

    __tablename__ = "staff_competences"
    __table_args__ = (CheckConstraint("function IN ('lead_auditor', 'auditor', 'expert', 'reviewer')",
                                      name="function"),)
    __url_param__ = "competence_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("scheme_scopes.id", ondelete="RESTRICT"))
    function: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date]
    expires_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")  # the basis: courses, audits observed, ...
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

class NoSchemeVersion(RuntimeError):
    """A row needs a scheme version and the tenant has none for it (the library was never seeded)."""


def current_hms_version_id(context) -> int:
    """Column default for rows of the HMS-sertifikat made without a version: the tenant's current one.

    Services set the version explicitly; this keeps every other insert (old code paths, tests,
    fixtures) on the version in force, the same rule the 0009 migration used to backfill.
    """
    tenant_id = context.get_current_parameters()["tenant_id"]
    schemes, versions = Scheme.__table__, SchemeVersion.__table__
    from sqlalchemy import select

    version_id = context.connection.execute(
        select(versions.c.id).join(schemes, schemes.c.id == versions.c.scheme_id)
        .where(schemes.c.tenant_id == tenant_id, schemes.c.code == "hms", versions.c.published_at.is_not(None))
        .order_by(versions.c.number.desc()).limit(1)).scalar()
    if version_id is None:
        raise NoSchemeVersion(f"tenant {tenant_id} has no published HMS-sertifikat version")
    return version_id
