"""The daily audit reminders: overdue case clocks, surveillance and recertification warnings, each sent
once; and the same daily job through a real RQ worker."""
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from saas.app import create_app
from saas.certification import audit_reminders
from saas.certification.scheme_models import SchemeCertificate
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import OutboxMessage
from tests.audit_helpers import applied, audit_world, certified
from tests.conftest import REDIS_URL, SECRET_KEY, app_config, create_database, drop_database


def _subjects(session):
    with platform_access(session):
        return sorted(m.subject for m in session.scalars(select(OutboxMessage)))


def test_an_overdue_pre_evaluation_reminds_the_company_once(app, db):
    with app.test_request_context():
        w = audit_world(db)
        case = applied(w)
        from saas.audits.services import cases

        cases.accept(db, w["admin"], case, date(2026, 1, 6))
        first = audit_reminders.send_for_tenant(db, w["tenant"], date(2026, 1, 21))
        again = audit_reminders.send_for_tenant(db, w["tenant"], date(2026, 1, 22))
        assert first == 1 and again == 0
        assert any("Pre-evalueringsskjema returneres" in s for s in _subjects(db))


def test_recertification_warnings_go_once_per_threshold_then_the_notice(app, db):
    with app.test_request_context():
        w = audit_world(db)
        certified(w)  # issued 10.03.2026, valid to 09.03.2030: apply by 09.12.2029
        tenant = w["tenant"]
        audit_reminders.send_for_tenant(db, tenant, date(2029, 9, 10))   # 90 days before
        audit_reminders.send_for_tenant(db, tenant, date(2029, 9, 11))   # same threshold: nothing new
        audit_reminders.send_for_tenant(db, tenant, date(2029, 11, 9))   # 30 days before
        audit_reminders.send_for_tenant(db, tenant, date(2029, 12, 10))  # past the deadline: notice
        recert = [s for s in _subjects(db) if "resertifisering" in s]
        assert len(recert) == 1 + 1 + 2  # the contact at 90 and at 30 days; the notice to the contact and the admin
        with platform_access(db):
            bodies = [m.body for m in db.scalars(select(OutboxMessage)) if "varsel om tilbaketrekking" in m.body]
        assert len(bodies) == 2




def test_the_daily_job_withdraws_once_the_notice_deadline_has_passed(app, db):
    from saas import scheduler
    from saas.audit.models import AuditEvent
    from saas.certification import scheme_certificates
    from saas.certification.scheme_models import SchemeCertificateEvent

    with app.test_request_context():
        w = audit_world(db)
        case = certified(w)  # valid to 09.03.2030: apply by 09.12.2029; notice 30 days (seed 000)
        tenant_id = w["tenant"].id
        db.commit()
    scheduler.run_daily(app, date(2029, 12, 10))  # past the deadline: the notice, its deadline 09.01.2030
    bind_tenant(db, tenant_id)
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    code = certificate.verification_code
    assert certificate.state == "active"
    assert scheme_certificates.withdrawal_notices(db, [certificate.id]) == {certificate.id: date(2029, 12, 10)}
    with platform_access(db):
        notice = [m.body for m in db.scalars(select(OutboxMessage)) if "varsel om tilbaketrekking" in m.body]
    assert notice and all("trekkes sertifiseringen tilbake 09.01.2030" in b for b in notice)
    from saas.certification import programme

    row = next(r for r in programme.programme(db, date(2029, 12, 11))["rows"] if r["certificate_id"] == certificate.id)
    assert row["recert_state"] == "notice" and row["withdrawal_on"] == date(2030, 1, 9)  # shown on the programme

    scheduler.run_daily(app, date(2030, 1, 8))  # the day before: still valid
    db.expire_all()
    bind_tenant(db, tenant_id)
    assert db.get(SchemeCertificate, certificate.id).state == "active"

    scheduler.run_daily(app, date(2030, 1, 9))  # the notice's deadline: withdrawn by the daily job
    scheduler.run_daily(app, date(2030, 1, 10))  # and only once
    db.expire_all()
    bind_tenant(db, tenant_id)
    certificate = db.get(SchemeCertificate, certificate.id)
    assert certificate.state == "withdrawn" and certificate.state_changed_on == date(2030, 1, 9)
    withdrawals = db.scalars(select(SchemeCertificateEvent).where(SchemeCertificateEvent.certificate_id == certificate.id,
                                                                  SchemeCertificateEvent.action == "withdraw")).all()
    assert len(withdrawals) == 1 and withdrawals[0].by_user_id is None
    logged = db.scalars(select(AuditEvent).where(AuditEvent.action == "scheme_certificate.withdraw")).all()
    assert len(logged) == 1 and logged[0].object_id == certificate.id and logged[0].actor_id is None
    # The register and /verify show it at once.
    assert certificate.id not in [r["id"] for r in scheme_certificates.register_rows(db, date(2030, 1, 9))]
    public = scheme_certificates.verification(db, code, date(2030, 1, 9))
    assert public["state"] == "withdrawn" and "markedsføring" in public["marketing_notice"]
    # The company and the admins were told, each once.
    with platform_access(db):
        subjects = [m.subject for m in db.scalars(select(OutboxMessage))]
    assert sum(1 for s in subjects if s == f"Sertifikat {certificate.number}: trukket tilbake") == 1
    assert sum(1 for s in subjects if s.endswith(f"sertifikat {certificate.number} er trukket tilbake")) == 1


def test_an_application_after_the_notice_stops_the_withdrawal(app, db):
    from saas import scheduler

    with app.test_request_context():
        w = audit_world(db)
        case = certified(w)
        tenant_id = w["tenant"].id
        db.commit()
    scheduler.run_daily(app, date(2029, 12, 10))
    bind_tenant(db, tenant_id)
    certificate = db.scalar(select(SchemeCertificate).where(SchemeCertificate.case_id == case.id))
    from saas.audits.services import cases

    with app.test_request_context():
        bind_tenant(db, tenant_id)
        cases.open_follow_on(db, w["admin"], company_id=certificate.company_id, scheme_id=certificate.scheme_id,
                             kind="recertification", certificate_id=certificate.id,
                             scope_ids=[s["id"] for s in certificate.scopes], sub_units=[], today=date(2029, 12, 20))
        db.commit()
    scheduler.run_daily(app, date(2030, 1, 9))
    db.expire_all()
    bind_tenant(db, tenant_id)
    assert db.get(SchemeCertificate, certificate.id).state == "active"


@pytest.fixture
def rq_app(tmp_path):
    url = create_database(f"saas_test_rq_audit_{os.getpid()}")
    app = create_app(app_config(url, tmp_path, JOBS_MODE="rq", REDIS_URL=REDIS_URL))
    Redis.from_url(REDIS_URL).flushdb()
    yield app
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


@pytest.mark.redis
def test_the_daily_job_runs_through_a_real_worker(rq_app, tmp_path):
    db = rq_app.extensions["saas.db"]
    with rq_app.test_request_context(), db.session_scope() as session:
        w = audit_world(session)
        case = certified(w)
        tenant_id = w["tenant"].id
    today = date(2027, 3, 1)  # the first surveillance period ends 09.03.2027: due soon, none held
    from saas import scheduler
    from saas.jobs import JOBS, _import_job_modules, enqueue

    _import_job_modules()
    name = audit_reminders.send_audit_reminders.job_name
    assert name in scheduler.DAILY_JOBS
    # Enqueued through the outbox as run_daily does, for a chosen day; handed to RQ when the session commits.
    with rq_app.app_context(), db.session_scope() as session:
        enqueue(session, JOBS[name], today.isoformat(), tenant_id=None, job_id=f"daily-audit-reminders-{today.isoformat()}")
    env = {**os.environ, "DATABASE_URL": db.url, "SECRET_KEY": SECRET_KEY, "REDIS_URL": REDIS_URL, "JOBS_MODE": "rq",
           "STORAGE_DIR": rq_app.config["STORAGE_DIR"], "SAAS_ROOT": str(tmp_path),
           "PUBLIC_BASE_URL": "http://localhost"}
    worker = subprocess.run([str(Path(sys.executable).parent / "rq"), "worker", "--burst", "--worker-class",
                             "saas.jobs.PreloadedWorker", "--url", REDIS_URL, "default"],
                            env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr[-2000:]
    with db.session_scope() as session:
        subjects = _subjects(session)
        assert any("oppfølgingsrevisjon senest 09.03.2027" in s for s in subjects), subjects
        bind_tenant(session, tenant_id)
        assert session.scalar(select(SchemeCertificate.state).where(SchemeCertificate.case_id == case.id)) == "active"
