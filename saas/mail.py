"""Outgoing e-mail.  Every message is written to the outbox in the sender's transaction; with
``SMTP_URL`` set, a job delivers it after the commit.  Without it the outbox and the log are the mail."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import urlparse

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.db import utcnow
from saas.jobs import enqueue, job
from saas.tenancy import platform_access
from saas.tenants.models import OutboxMessage

log = logging.getLogger("saas.mail")


def send_mail(session: Session, to: str, subject: str, template: str, tenant_id: int | None = None, **context) -> OutboxMessage:
    """Queue a message rendered from ``templates/email/<template>.txt`` with plain-data ``context``."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(to=to, subject=subject, body=body, tenant_id=tenant_id)
    with platform_access(session):  # the outbox is the platform's; a message may belong to no tenant
        session.add(message)
        session.flush()
    message_id = message.id
    log.info("mail to %s: %s\n%s", to, subject, body)
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
