"""The action plan: items that correct findings, with progress notes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned
from saas.tenants.models import User


class ActionItem(TenantOwned, Base):
    __tablename__ = "action_items"
    __url_param__ = "action_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[str] = mapped_column(String(20), default="physical")  # physical | psychosocial
    # Where it came from: finding (checklist answer), hazard, survey, safety_round, manual
    source_type: Mapped[str] = mapped_column(String(20), default="manual")
    source_id: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(20))  # serious | minor | observation
    responsible_name: Mapped[str] = mapped_column(String(200), default="")
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    deadline: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | in_progress | done
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Done by a client contact: a consultant checks the evidence and verifies it (staff closing verifies by that act).
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    # "Start from last year": the item carried over from the previous year
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    responsible_user: Mapped[User | None] = relationship(foreign_keys=[responsible_user_id])
    notes: Mapped[list["ActionNote"]] = relationship(back_populates="item", order_by="ActionNote.id")


class ActionNote(TenantOwned, Base):
    """A progress note on an action item (and the status it moved to, if any)."""

    __tablename__ = "action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    new_status: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[ActionItem] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
