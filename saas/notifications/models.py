"""In-app notifications and each user's choice of a daily e-mail digest."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

KINDS = ("proposal_made", "decision_made", "evidence_uploaded", "action_assigned", "action_closed", "action_overdue",
         "document_failed")


class Notification(TenantOwned, Base):
    """Something a user waits for happened.  ``target_type``/``target_id`` say which page it opens
    (saas.notifications.services.TARGET_ENDPOINTS)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # A notification that must come once (an action overdue for a given deadline) carries a key.
        Index("uq_notifications_user_dedupe", "user_id", "dedupe_key", unique=True,
              sqlite_where=text("dedupe_key <> ''"), postgresql_where=text("dedupe_key <> ''")),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )
    __url_param__ = "notification_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    target_type: Mapped[str] = mapped_column(String(30), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    dedupe_key: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]


class NotificationSettings(TenantOwned, Base):
    """A user's daily e-mail digest of unread notifications (off by default)."""

    __tablename__ = "notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    last_digest_at: Mapped[datetime | None]
