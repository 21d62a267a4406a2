"""Tenants (providers) and the people who log in to them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

DEFAULT_TENANT_SETTINGS = {
    "survey_min_group": 5,
    "certificate_number_format": "{prefix}-{year}-{seq:04d}",
    "certificate_prefix": "HMS",
    "action_reminder_days": [30, 7, 1],
    "renewal_reminder_days": 60,
    "raw_answer_retention_days": 90,
}


class Role(str, enum.Enum):
    ADMIN = "admin"
    CONSULTANT = "consultant"
    REVIEWER = "reviewer"
    CLIENT = "client"

    @property
    def is_staff(self) -> bool:
        return self is not Role.CLIENT


class Tenant(Base):
    """A provider such as Bedriftstjenesten AS.  Platform-level: not tenant-owned itself."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str] = mapped_column(String(9))
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(4), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    vat_registered: Mapped[bool] = mapped_column(Boolean, default=True)
    primary_color: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    accent_color: Mapped[str] = mapped_column(String(7), default="#c8a44d")
    logo_file: Mapped[str | None] = mapped_column(String(80))
    signature_file: Mapped[str | None] = mapped_column(String(80))
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_TENANT_SETTINGS))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the platform operator (saas.tenants.services.suspend_tenant): the tenant's people can't log in or
    # use the API, but its public register and verification keep answering (``active`` stays True).
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    def setting(self, key: str):
        return (self.settings or {}).get(key, DEFAULT_TENANT_SETTINGS.get(key))


class User(TenantOwned, Base):
    """A person who logs in.  Platform operators have no tenant; everyone else has exactly one."""

    __tablename__ = "users"
    __url_param__ = "user_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the password changes or the account is disabled: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str] = mapped_column(String(5), default="nb")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return any(r.is_staff for r in self.roles)

    # flask-login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        # The signed cookie holds the random id of a server-side session (auth.start_session), never the
        # user id: ending the session row ends every copy of the cookie.
        return getattr(self, "session_token", None)


class UserRole(TenantOwned, Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(TenantOwned, Base):
    """A personal API token.  Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    __url_param__ = "token_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class OneTimeToken(TenantOwned, Base):
    """Invitation and password-reset links: single use, expiring, stored hashed."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invite" | "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class OutboxMessage(Base):
    """Every e-mail the product sends, kept for the operator (the embedded default sends nothing)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"), index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class UserSession(Base):
    """One signed-in browser: the cookie carries a random id, the database its SHA-256.

    Platform-level like the user lookup at login (operators have no tenant).  A session ends server-side
    when its row is revoked or expires, so a copied cookie stops working at logout, a password change or
    reset, or when the user is disabled (``auth.end_sessions``).
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
