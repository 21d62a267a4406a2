"""Real e-mail delivery: with ``SMTP_URL`` set, the in-process job thread hands a password-reset mail to a
real SMTP server (aiosmtpd on a loopback port); the recipient's link works, the outbox keeps no working
link, and a mail whose server was down is delivered once the server is back (the sweeper)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from saas.app import create_app
from saas.db import utcnow
from saas.outbox import DONE, PENDING, OutboxJob, sweep, wait_until_idle
from saas.tenancy import platform_access
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.conftest import app_config, create_database, drop_database
from tests.integration.rq_helpers import free_port

RESET_LINK = re.compile(r"http://localhost/password/reset/([A-Za-z0-9_-]{20,})")


class Mailbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self):
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.content.decode("utf-8", "replace")})
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def mail_app(tmp_path, smtp_port):
    url = create_database("saas_test_smtp")
    app = create_app(app_config(url, tmp_path, JOBS_MODE="thread", SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                                JOB_RETRY_INTERVALS=(1, 1, 1)))
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session, slug="post")
        user = factories.make_user(session, tenant, roles=("admin",), email="kari@post.example.no")
        app.config["TEST_USER"] = user.email
    yield app
    wait_until_idle(app, 60)
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def _server(port: int, mailbox: Mailbox) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def _outbox(app) -> tuple[OutboxMessage, OutboxJob]:
    with app.app_context(), app.extensions["saas.db"].session_scope() as session, platform_access(session):
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.to == app.config["TEST_USER"]))
        job = session.scalar(select(OutboxJob).where(OutboxJob.job_key == f"mail-{message.id}"))
        return message, job


def test_a_reset_mail_goes_through_a_real_smtp_server_and_its_link_works(mail_app, smtp_port):
    mailbox = Mailbox()
    controller = _server(smtp_port, mailbox)
    try:
        client = mail_app.test_client()
        assert client.post("/password/forgot", data={"email": mail_app.config["TEST_USER"]}).status_code == 302
        assert wait_until_idle(mail_app, 60)
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["to"] == [mail_app.config["TEST_USER"]] and mail["from"] == mail_app.config["MAIL_FROM"]
    assert "Subject: Tilbakestill passordet ditt" in mail["data"]
    token = RESET_LINK.search(mail["data"]).group(1)
    response = client.post(f"/password/reset/{token}", data={"password": "Et nytt og langt passord 9", "password_repeat": "Et nytt og langt passord 9"})
    assert response.status_code == 302  # the link the recipient got is the one that works
    message, job = _outbox(mail_app)
    assert message.sent_at is not None and token not in message.body and "/password/reset/[fjernet]" in message.body
    assert job.status == DONE


def test_a_mail_whose_server_was_down_is_delivered_once_when_it_is_back(mail_app, smtp_port):
    client = mail_app.test_client()
    assert client.post("/password/forgot", data={"email": mail_app.config["TEST_USER"]}).status_code == 302
    assert wait_until_idle(mail_app, 60)
    message, job = _outbox(mail_app)
    assert message.sent_at is None and job.status == PENDING and job.attempts == 1
    assert "ConnectionRefusedError" in job.last_error  # what the admin sees on the jobs page

    mailbox = Mailbox()
    controller = _server(smtp_port, mailbox)
    try:
        later = utcnow() + timedelta(minutes=5)
        assert sweep(mail_app, now=later) == 1
        assert wait_until_idle(mail_app, 60)
        assert sweep(mail_app, now=later + timedelta(minutes=5)) == 0  # done: nothing is handed over again
        assert wait_until_idle(mail_app, 60)
    finally:
        controller.stop()
    assert [m["to"] for m in mailbox.messages] == [[mail_app.config["TEST_USER"]]]
    message, job = _outbox(mail_app)
    assert message.sent_at is not None and job.status == DONE
