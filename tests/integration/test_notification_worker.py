"""The daily notification jobs through a real RQ worker on Redis: the clock enqueues them, a separate
`rq worker` process runs them, and an opted-in user gets one digest e-mail and an overdue notice."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from saas.app import create_app
from saas.hms.services import actions, years
from saas.i18n import today_in_oslo
from saas.notifications import services as notifications
from saas.notifications.models import Notification
from saas.scheduler import run_daily
from saas.tenancy import bind_tenant
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.conftest import REDIS_URL, SECRET_KEY, app_config, create_database, drop_database

pytestmark = [pytest.mark.redis]


@pytest.fixture
def rq_app(tmp_path):
    url = create_database(f"saas_test_rq_daily_{os.getpid()}")
    app = create_app(app_config(url, tmp_path, JOBS_MODE="rq", REDIS_URL=REDIS_URL))
    Redis.from_url(REDIS_URL).flushdb()
    yield app
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def test_a_real_worker_sends_the_daily_digest_and_the_overdue_notices(rq_app, tmp_path):
    db = rq_app.extensions["saas.db"]
    today = today_in_oslo()
    with rq_app.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="rq-daily")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email="kari@rq-daily.example.no")
        company = factories.make_company(session, tenant, consultant_id=consultant.id)
        year = years.open_year(session, consultant, company, {"year": today.year})
        actions.create_action_item(session, consultant, year, title="Nødlys i trappa", deadline=today - timedelta(days=2))
        notifications.save_settings(session, consultant.id, True)
        tenant_id, user_id = tenant.id, consultant.id
    started = run_daily(rq_app, today)
    assert any("send_daily_digests" in key for key in started) and any("notify_overdue_actions" in key for key in started)
    env = {**os.environ, "DATABASE_URL": db.url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL, "JOBS_MODE": "rq",
           "STORAGE_DIR": rq_app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path)}
    worker = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--worker-class",
                             "saas.jobs.PreloadedWorker", "--url", REDIS_URL, "default"],
                            env=env, capture_output=True, text=True, timeout=240)
    assert worker.returncode == 0, worker.stderr[-2000:]
    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        notes = session.scalars(select(Notification).where(Notification.user_id == user_id)).all()
        assert [n.kind for n in notes] == ["action_overdue"]
        bind_tenant(session, None)
        from saas.tenancy import platform_access
        with platform_access(session):
            mails = session.scalars(select(OutboxMessage).where(OutboxMessage.to == "kari@rq-daily.example.no")).all()
    # One worker takes the queue in order: the overdue notices (registered first) are in the digest.
    digests = [m for m in mails if "nye varsler" in m.subject]
    assert len(digests) == 1 and "Nødlys i trappa" in digests[0].body
