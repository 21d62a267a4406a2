"""Recording a job: a new key is written and armed; a pending key is left alone; a done key is armed again
(unless the caller says not to) and a failed one always, with the new arguments."""
from __future__ import annotations

from sqlalchemy import select, update

from saas import outbox
from saas.outbox import DONE, FAILED, PENDING, OutboxJob
from saas.tenancy import bind_tenant, platform_access
from tests import factories


def _row(db, key: str):
    with platform_access(db):
        return db.execute(select(OutboxJob.status, OutboxJob.args, OutboxJob.attempts).where(OutboxJob.job_key == key)).one()


def _set(db, key: str, **values) -> None:
    with platform_access(db):
        db.execute(update(OutboxJob).where(OutboxJob.job_key == key).values(**values))


def test_a_key_is_written_once_and_armed_again_only_when_done_or_failed(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        bind_tenant(db, tenant.id)
        db.info["outbox_armed"] = []  # nothing is handed to a queue here: the rows are what is tested
        assert outbox.record(db, "x.job", [1], tenant.id, "k-1") is True
        assert outbox.record(db, "x.job", [2], tenant.id, "k-1") is False  # pending: left alone
        assert tuple(_row(db, "k-1")) == (PENDING, [1], 0)

        _set(db, "k-1", status=DONE)
        assert outbox.record(db, "x.job", [3], tenant.id, "k-1", rerun_done=False) is False
        assert _row(db, "k-1").status == DONE
        assert outbox.record(db, "x.job", [4], tenant.id, "k-1") is True
        assert tuple(_row(db, "k-1")) == (PENDING, [4], 0)

        _set(db, "k-1", status=FAILED, attempts=4)
        assert outbox.record(db, "x.job", [5], tenant.id, "k-1", rerun_done=False) is True
        assert tuple(_row(db, "k-1")) == (PENDING, [5], 0)
        db.info.pop("outbox_armed", None)
