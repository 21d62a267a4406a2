"""The daily person-certification job: holders and employers are reminded before each validity
deadline, deciders of the revocation clocks, each reminder once; an unappealed decision becomes final
when its window closes.  Run once in-process and once through a real RQ worker on Redis."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from saas.app import create_app
from saas.persons.jobs import send_person_reminders
from saas.persons.models import CaseState, PersonReminder, RevocationCase
from saas.persons.services import register, revocation
from saas.persons.validity import add_months
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.conftest import REDIS_URL, SECRET_KEY, app_config, create_database, drop_database
from tests.person_factories import competence, make_person, make_scheme

TODAY = date(2026, 12, 6)


def _driver_due_in_90_days(session, tenant, admin, reviewer, company):
    scheme = make_scheme(session, admin)
    person = make_person(session, "Dag Frist", employer=company, email="dag@example.no")
    expiry = TODAY + timedelta(days=90)
    holding = register.register_documented(session, reviewer, person, competence(session, scheme, "TYPE-73"),
                                           add_months(expiry, -36), TODAY, "Kontrollert")
    holding.last_used_on = TODAY - timedelta(days=5)
    return scheme, person


def _world(session):
    tenant = factories.make_tenant(session, slug=f"rem-{os.getpid()}")
    admin = factories.make_user(session, tenant, roles=("admin", "reviewer"))
    reviewer = factories.make_user(session, tenant, roles=("reviewer",))
    consultant = factories.make_user(session, tenant, roles=("consultant",))
    company = factories.make_company(session, tenant)
    factories.make_contact(session, company, email="leder@kunde.example.no")
    scheme, _due = _driver_due_in_90_days(session, tenant, admin, reviewer, company)
    person = make_person(session, "Rolf Revokert")
    register.register_documented(session, reviewer, person, competence(session, scheme, "TYPE-73"),
                                 TODAY - timedelta(days=100), TODAY, "Kontrollert")
    # A decided case whose appeal window closed yesterday, and one whose window closes in 3 days.
    for decided_on in (TODAY - timedelta(days=15), TODAY - timedelta(days=11)):
        case = revocation.open_case(session, consultant, person, dict(trigger="incident", scheme_id=scheme.id),
                                    decided_on)
        revocation.record_hearing(session, consultant, case, dict(hearing_on=decided_on, manager_name="L",
                                                                  manager_present=True))
        revocation.decide(session, admin, case, dict(outcome="permanent", decision_text="v"), decided_on)
    return tenant


def test_holder_employer_and_deciders_are_reminded_once(app, db):
    tenant = _world(db)
    db.flush()
    bind_tenant(db, None)
    with app.test_request_context():
        sent = send_person_reminders(db, TODAY.isoformat())
        again = send_person_reminders(db, TODAY.isoformat())
    with platform_access(db):  # the mail outbox is platform-level
        recipients = sorted(m.to for m in db.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id)))
    assert "dag@example.no" in recipients and "leder@kunde.example.no" in recipients
    assert sent == len(recipients) and sent >= 4  # holder + employer, and the 3-days appeal clock to 2 deciders
    assert again == 0  # run twice, send once
    bind_tenant(db, tenant.id)
    states = sorted(c.state for c in db.scalars(select(RevocationCase)))
    assert states == [CaseState.CLOSED.value, CaseState.DECIDED.value]


@pytest.mark.redis
def test_the_daily_job_runs_in_a_real_rq_worker(tmp_path):
    from saas.jobs import enqueue

    url = create_database(f"saas_test_person_rq_{os.getpid()}")
    app = create_app(app_config(url, tmp_path, JOBS_MODE="rq", REDIS_URL=REDIS_URL))
    db = app.extensions["saas.db"]
    Redis.from_url(REDIS_URL).flushdb()
    try:
        with app.test_request_context(), db.session_scope() as session:
            tenant_id = _world(session).id
        with app.app_context(), db.session_scope() as session:  # handed to RQ when this commits
            enqueue(session, send_person_reminders, TODAY.isoformat(), tenant_id=None, job_id=f"daily-persons-{TODAY}")
        env = {**os.environ, "DATABASE_URL": db.url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL,
               "JOBS_MODE": "rq", "STORAGE_DIR": app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path)}
        worker = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--worker-class",
                                 "saas.jobs.PreloadedWorker", "--url", REDIS_URL, "default"],
                                env=env, capture_output=True, text=True, timeout=180)
        assert worker.returncode == 0, worker.stderr[-2000:]
        with db.session_scope() as session:
            bind_tenant(session, tenant_id)
            assert session.scalar(select(func.count(PersonReminder.id))) >= 2
            assert session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.tenant_id == tenant_id)) >= 4
            assert CaseState.CLOSED.value in {c.state for c in session.scalars(select(RevocationCase))}
    finally:
        db.engine.dispose()
        drop_database(url)
