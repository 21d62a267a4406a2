"""The register: competences a person holds, the cards issued, revocation cases, sent reminders."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.persons.models.people import Person
from saas.persons.models.training import PersonCompetence
from saas.tenancy import TenantOwned


class Holding(TenantOwned, Base):
    """One competence one person holds: the dates the validity rules read, and the register flags."""

    __tablename__ = "person_holdings"
    __table_args__ = (UniqueConstraint("person_id", "competence_id"),)
    __url_param__ = "holding_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("person_competences.id", ondelete="RESTRICT"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"))
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("person_enrolments.id", ondelete="SET NULL"))
    # Who trained: empty when the tenant did; a register keeper records the training company whose
    # documentation it checked (§ 8-2: the keeper is independent of the training company).
    training_company: Mapped[str] = mapped_column(String(200), default="")
    first_issued_on: Mapped[date]
    tested_on: Mapped[date]
    last_used_on: Mapped[date | None]
    absent_since: Mapped[date | None]
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_until: Mapped[date | None]
    revoked_condition: Mapped[str] = mapped_column(String(300), default="")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship()
    competence: Mapped[PersonCompetence] = relationship()


class CardState(str, enum.Enum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"  # a new card with more (or fewer) competences replaced it
    WITHDRAWN = "withdrawn"    # cancelled (lost, issued in error ...); a replacement may have been issued


class WithdrawalReason(str, enum.Enum):
    LOST = "lost"              # lost or stolen: the old card must never verify as valid again
    DAMAGED = "damaged"
    ERROR = "error"            # issued in error (wrong person, competence or details)
    CHANGED = "changed"        # the holder's details changed (name, photo)
    OTHER = "other"


class Card(TenantOwned, Base):
    """A kompetansebevis or certificate as issued: a snapshot of every § 8-2 field, the signed QR
    payload, and the PDFs rendered from it in a background job."""

    __tablename__ = "person_cards"
    __table_args__ = (UniqueConstraint("tenant_id", "number"), UniqueConstraint("verify_code"))
    __url_param__ = "card_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(30))
    verify_code: Mapped[str] = mapped_column(String(40))  # unguessable, in the QR URL
    state: Mapped[str] = mapped_column(String(12), default=CardState.ACTIVE.value)
    issued_on: Mapped[date]
    snapshot: Mapped[dict] = mapped_column(JSON)  # the § 8-2 fields as printed
    token: Mapped[str] = mapped_column(Text)      # the signed QR payload (compact JWS)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    card_pdf_key: Mapped[str] = mapped_column(String(60), default="")
    certificate_pdf_key: Mapped[str] = mapped_column(String(60), default="")
    received_at: Mapped[datetime | None]  # the holder confirmed receipt
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    withdrawal_reason: Mapped[str] = mapped_column(String(12), default="")
    withdrawal_note: Mapped[str] = mapped_column(Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("person_cards.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()


class CaseState(str, enum.Enum):
    OPEN = "open"              # facts being gathered, hearing not yet held
    HEARD = "heard"            # the hearing was held
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"


class RevocationCase(TenantOwned, Base):
    """A revocation case against a person's competences in one scheme (seed 002 § 1.10)."""

    __tablename__ = "person_revocation_cases"
    __url_param__ = "revocation_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    trigger: Mapped[str] = mapped_column(String(30))
    facts: Mapped[str] = mapped_column(Text, default="")
    opened_on: Mapped[date]
    suspend_meanwhile: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10), default=CaseState.OPEN.value)
    hearing_on: Mapped[date | None]
    manager_name: Mapped[str] = mapped_column(String(200), default="")
    manager_present: Mapped[bool] = mapped_column(Boolean, default=False)
    holder_statement: Mapped[str] = mapped_column(Text, default="")
    damage_potential: Mapped[str] = mapped_column(Text, default="")
    mitigating: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(10))
    revoked_until: Mapped[date | None]
    condition: Mapped[str] = mapped_column(String(300), default="")
    decision_text: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[date | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    appeal_received_on: Mapped[date | None]
    appeal_text: Mapped[str] = mapped_column(Text, default="")
    committee: Mapped[str] = mapped_column(String(300), default="")
    committee_result: Mapped[str | None] = mapped_column(String(12))
    committee_outcome: Mapped[str | None] = mapped_column(String(10))
    committee_decided_on: Mapped[date | None]
    committee_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()


class PersonReminder(TenantOwned, Base):
    """A reminder that went out, so the daily job sends each one once."""

    __tablename__ = "person_reminders"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingPlanItem(TenantOwned, Base):
    """One item of an individual training plan for a holder absent from the function over 4 months
    (seed 002 § 1.7).  When every item of the holding's plan is completed the absence is cleared."""

    __tablename__ = "person_training_plan_items"
    __url_param__ = "plan_item_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    holding_id: Mapped[int] = mapped_column(ForeignKey("person_holdings.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    completed_on: Mapped[date | None]
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubmissionState(str, enum.Enum):
    DRAFT = "draft"            # the training company is putting the batch together
    SUBMITTED = "submitted"    # sent (exported) to the register keeper
    RECEIVED = "received"      # a register keeper imported it and checks it
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Submission(TenantOwned, Base):
    """A batch of the basis for kompetansebevis (holder, competences, training and test documentation)
    that a training company submits to an independent register keeper (§ 8-2).  ``direction`` is
    ``outgoing`` at the training company and ``incoming`` at the register keeper, who imports the batch's
    export file.  ``items`` is the batch as plain data: one entry per holder and competence, with the
    keeper's verdict on each."""

    __tablename__ = "person_submissions"
    __table_args__ = (UniqueConstraint("tenant_id", "reference", "direction"),)
    __url_param__ = "submission_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(40))     # stable across both tenants
    state: Mapped[str] = mapped_column(String(10), default=SubmissionState.DRAFT.value)
    training_company: Mapped[str] = mapped_column(String(200), default="")
    register_keeper: Mapped[str] = mapped_column(String(200), default="")
    items: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")  # why rejected
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
