"""Outgoing e-mail.  Every message is written to the outbox in the sender's transaction; with
``SMTP_URL`` set, a job delivers it after the commit.  Without it the outbox is the mail.

Links that carry a secret (password reset, invitation, survey links) never reach the log, and leave the
outbox table once they are of no more use: the body is redacted right after delivery, and without SMTP
once the longest-lived link has expired (``purge_link_secrets``, daily).  In production the log shows
only who got which subject; in development the body too, with its secrets redacted.
"""
from __future__ import annotations

import logging
import re
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlparse

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.db import utcnow
from saas.jobs import enqueue, job
from saas.scheduler import daily_job
from saas.tenancy import platform_access
from saas.tenants.models import OutboxMessage

log = logging.getLogger("saas.mail")

# A URL path segment or query value of 20+ URL-safe characters is a token (ours are 43): it is replaced.
_SECRET_IN_LINK = re.compile(r"(https?://\S+)")
_SECRET_PART = re.compile(r"(?<=[/=])[A-Za-z0-9_-]{20,}")
REDACTED = "[fjernet]"
SECRET_LINKS_LIVE = timedelta(days=8)  # longer than any link we send lives (invitations: 7 days)
RESEND_AFTER = timedelta(minutes=10)


def redact_links(text: str) -> str:
    """``text`` with the secret part of every link replaced by ``[fjernet]``."""
    return _SECRET_IN_LINK.sub(lambda m: _SECRET_PART.sub(REDACTED, m.group(1)), text)


def send_mail(session: Session, to: str, subject: str, template: str, tenant_id: int | None = None, **context) -> OutboxMessage:
    """Queue a message rendered from ``templates/email/<template>.txt`` with plain-data ``context``."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(to=to, subject=subject, body=body, tenant_id=tenant_id)
    with platform_access(session):  # the outbox is the platform's; a message may belong to no tenant
        session.add(message)
        session.flush()
    message_id = message.id
    if current_app.config.get("PRODUCTION"):
        log.info("mail %s queued: %s", message_id, subject)
    else:
        log.info("mail %s to %s: %s\n%s", message_id, to, subject, redact_links(body))
    if current_app.config.get("SMTP_URL"):
        enqueue(session, deliver, message_id, tenant_id=None, job_id=f"mail-{message_id}")
    return message


@job
def deliver(session: Session, message_id: int) -> None:
    with platform_access(session):
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id))
        if message is None or message.sent_at is not None:
            return
        url = urlparse(current_app.config["SMTP_URL"])
        email = EmailMessage()
        email["From"] = current_app.config["MAIL_FROM"]
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(url.hostname, url.port or 587, timeout=30) as smtp:
            if url.scheme == "smtps" or url.port == 587:
                smtp.starttls()
            if url.username:
                smtp.login(url.username, url.password or "")
            smtp.send_message(email)
        message.sent_at = utcnow()
        message.body = redact_links(message.body)  # delivered: the outbox keeps no working link


@daily_job
@job
def send_unsent_mail(session: Session, today_iso: str) -> int:
    """Repair what a crash can leave: with SMTP, every queued message is sent.  Enqueues the delivery of
    each message still unsent after ten minutes; returns how many."""
    if not current_app.config.get("SMTP_URL"):
        return 0
    with platform_access(session):
        ids = session.scalars(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None),
                                                             OutboxMessage.created_at < utcnow() - RESEND_AFTER)).all()
    for message_id in ids:
        enqueue(session, deliver, message_id, tenant_id=None, job_id=f"mail-{message_id}")
    return len(ids)


@daily_job
@job
def purge_link_secrets(session: Session, today_iso: str) -> int:
    """Redact the links of messages older than any link lives (delivered ones were redacted when sent);
    looks 60 days back, so a clock that stopped for a while catches up.  Returns how many bodies changed."""
    cutoff = utcnow() - SECRET_LINKS_LIVE
    changed = 0
    with platform_access(session):
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.created_at < cutoff, OutboxMessage.created_at >= cutoff - timedelta(days=60)))
        for message in rows:
            redacted = redact_links(message.body)
            if redacted != message.body:
                message.body = redacted
                changed += 1
    return changed
