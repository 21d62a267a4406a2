"""Jobs through a real RQ worker on Redis: a large client import enqueued after commit, processed by a
separate `rq worker` process, ends with every row imported and the task done."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from saas.app import create_app
from saas.clients.jobs import import_file
from saas.clients.models import ClientCompany
from saas.jobs import BackgroundTask
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import REDIS_URL, SECRET_KEY, app_config, create_database, drop_database

pytestmark = [pytest.mark.redis, pytest.mark.real_clock]  # the worker subprocess keeps the real time


@pytest.fixture
def rq_app(tmp_path):
    url = create_database(f"saas_test_rq_{os.getpid()}")
    app = create_app(app_config(url, tmp_path, JOBS_MODE="rq", REDIS_URL=REDIS_URL))
    Redis.from_url(REDIS_URL).flushdb()
    yield app
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def test_a_real_worker_runs_an_import_enqueued_after_commit(rq_app, tmp_path):
    db = rq_app.extensions["saas.db"]
    numbers = generate_valid_org_numbers(7301, 300)
    csv = "navn;organisasjonsnummer\n" + "".join(f"Arbeider {i} AS;{n}\n" for i, n in enumerate(numbers))
    with rq_app.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="rq")
        actor = factories.make_user(session, tenant, roles=("consultant",))
        started = import_file(session, actor, csv.encode(), "kunder.csv")
        task_id, tenant_id = started.task_id, tenant.id
    env = {**os.environ, "DATABASE_URL": db.url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL, "JOBS_MODE": "rq",
           "STORAGE_DIR": rq_app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path)}
    # The Procfile's worker class: the application is built and warmed once (saas/worker.py).
    worker = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--worker-class",
                             "saas.jobs.PreloadedWorker", "--url", REDIS_URL, "default"],
                            env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr[-2000:]
    with db.session_scope() as session:
        bind_tenant(session, tenant_id)
        task = session.get(BackgroundTask, task_id)
        assert (task.status, task.done, task.total) == ("done", 300, 300)
        assert session.scalar(select(func.count(ClientCompany.id))) == 300
