"""People the tenant trains, tests and certifies (candidates and holders), their documents, and the
tenant's person-register settings and card-signing keys."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.clients.models import ClientCompany
from saas.db import Base, utcnow
from saas.tenancy import TenantOwned


class RegisterMode(str, enum.Enum):
    # A training company trains, tests and issues the card, and reports to an outside register (§ 8-2).
    TRAINING_COMPANY = "training_company"
    # An independent register keeper checks the basis from the training company and issues the card.
    REGISTER_KEEPER = "register_keeper"


class PersonRegisterSettings(TenantOwned, Base):
    """The tenant's person register: its mode, the name on its cards, its card-number counter."""

    __tablename__ = "person_register_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), default=RegisterMode.TRAINING_COMPANY.value)
    outside_register: Mapped[str] = mapped_column(String(200), default="")  # where a training company reports
    card_prefix: Mapped[str] = mapped_column(String(10), default="KB")
    last_card_number: Mapped[int] = mapped_column(Integer, default=0)
    issuer_name: Mapped[str] = mapped_column(String(200), default="")      # the person who signs the cards
    closed_at: Mapped[datetime | None]                                     # register closed: export for transfer
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PersonSigningKey(TenantOwned, Base):
    """An Ed25519 key pair that signs the tenant's card QR payloads.  The private key is stored encrypted
    with a key derived from SECRET_KEY; the public key is published, retired keys too (old cards)."""

    __tablename__ = "person_signing_keys"
    __table_args__ = (UniqueConstraint("kid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(40))
    public_key: Mapped[str] = mapped_column(String(60))       # base64url of 32 raw bytes
    private_key_encrypted: Mapped[str] = mapped_column(Text)  # Fernet token of the 32 raw bytes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class Person(TenantOwned, Base):
    """A candidate or holder.  The employer is one of the tenant's client companies, or none."""

    __tablename__ = "persons"
    __url_param__ = "person_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[date]
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("client_companies.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(60), default="")  # candidate category of the requirement matrix
    photo_key: Mapped[str] = mapped_column(String(60), default="")
    photo_consent_at: Mapped[datetime | None]     # consent to keep and print the photo, when recorded
    photo_consent_note: Mapped[str] = mapped_column(String(300), default="")
    public_details_consent: Mapped[bool] = mapped_column(Boolean, default=False)  # birth date/photo in /verify
    approved_instructor: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    employer: Mapped[ClientCompany | None] = relationship()


class PersonDocument(TenantOwned, Base):
    """A document kept for a person's training or case (course plans, test forms, reports, decisions)."""

    __tablename__ = "person_documents"
    __url_param__ = "person_document_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="other")
    title: Mapped[str] = mapped_column(String(200))
    file_key: Mapped[str] = mapped_column(String(60))
    content_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
