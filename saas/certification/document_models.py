"""The issued certificate document: one stored PDF per certificate, never replaced.

A later state of the certificate (suspended, withdrawn, expired) shows on the public verification page,
never in an edited PDF, so the row and its file are written once.  The unique ``certificate_id`` is what
makes a second render (a retried or duplicated job) unable to store a second document.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

__all__ = ["CertificateDocument"]


class CertificateDocument(TenantOwned, Base):
    """The framed certificate PDF of one certificate, with the SHA-256 of the stored bytes."""

    __tablename__ = "certificate_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="RESTRICT"), unique=True)
    file_key: Mapped[str] = mapped_column(String(80), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    template_version: Mapped[str] = mapped_column(String(40))
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)
