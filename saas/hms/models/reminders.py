"""Which reminders went out: a unique key per reminder makes the scheduled job send each one once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned


class SentReminder(TenantOwned, Base):
    __tablename__ = "sent_reminders"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "action:42:due-7:user:5" or "action:42:overdue:2026-11-22:user:5"
    key: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
