"""The password-reset e-mail through a real RQ worker: the request only enqueues (the same for a known and
an unknown address), and the worker looks the address up and mails the one that exists."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from saas.tenancy import platform_access
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.conftest import REDIS_URL, SECRET_KEY
from tests.integration.test_rq_worker import rq_app  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.redis, pytest.mark.real_clock]  # the worker subprocess keeps the real time


def test_a_real_worker_mails_the_reset_link_only_to_a_known_address(rq_app, tmp_path):  # noqa: F811
    db = rq_app.extensions["saas.db"]
    with rq_app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="reset")
        email = factories.make_user(session, tenant).email
    client = rq_app.test_client()
    for address in (email, "ingen@example.no"):
        assert client.post("/password/forgot", data={"email": address}).status_code == 302
    with db.session_scope() as session, platform_access(session):
        assert session.scalar(select(OutboxMessage.id)) is None  # nothing was mailed by the requests themselves
    assert Redis.from_url(REDIS_URL).llen("rq:queue:default") == 2

    env = {**os.environ, "DATABASE_URL": db.url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL, "JOBS_MODE": "rq",
           "STORAGE_DIR": rq_app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path), "PUBLIC_BASE_URL": "http://localhost"}
    worker = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--url", REDIS_URL, "default"],
                            env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr[-2000:]

    with db.session_scope() as session, platform_access(session):
        mails = session.execute(select(OutboxMessage.to, OutboxMessage.body)).all()
    assert [to for to, _body in mails] == [email]
    link = re.search(r"http://localhost(/password/reset/\S+)", mails[0].body).group(1)
    form = {"password": "et-helt-nytt-passord", "password_repeat": "et-helt-nytt-passord"}
    assert client.post(link, data=form).status_code == 302
