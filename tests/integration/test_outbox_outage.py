"""Redis down while a reviewer decides: the decision answers 2xx, login keeps working, nothing is lost.

A private redis-server (on a free loopback port) is stopped before the requests.  The deciding transaction
records the certificate's render and invoice jobs in the outbox; when Redis is back, the sweeper hands them
to a real `rq worker`, and exactly one invoice, one rendered certificate and one invoice e-mail exist, also
after a second sweep and worker run."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from saas.app import limiter
from saas.auth import create_api_token
from saas.billing.models import Invoice
from saas.certification.demo import complete_year
from saas.certification.document_models import CertificateDocument
from saas.certification.models import Certificate
from saas.db import utcnow
from saas.outbox import DONE, GRACE, PENDING, OutboxJob, sweep
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.integration.conftest import app_on_own_database
from tests.integration.rq_helpers import burst_worker

pytestmark = [pytest.mark.redis]


@pytest.fixture
def outage_app(app, redis_server, tmp_path):
    """An application on its own database whose Redis (queue and rate limits) is ``redis_server``."""
    with app_on_own_database("outage", tmp_path, REDIS_URL=redis_server.url, RATELIMIT_STORAGE_URI=redis_server.url,
                             JOB_RETRY_INTERVALS=(1, 1, 1)) as application:
        yield application
    limiter.init_app(app)  # the limiter is one object: give the session's application its memory storage back
    limiter._storage_dead = False


def _world(application):
    db = application.extensions["saas.db"]
    with application.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bt")
        factories.give_bank_account(session)
        consultant = factories.make_user(session, tenant, roles=("consultant",))
        reviewer = factories.make_user(session, tenant, roles=("reviewer",))
        company = factories.make_company(session, tenant, consultant_id=consultant.id, name="Verkstedet AS")
        factories.make_contact(session, company, email="faktura@verkstedet.no")
        year = complete_year(session, company, consultant, today_in_oslo())
        _, consultant_token = create_api_token(session, consultant, "test")
        _, reviewer_token = create_api_token(session, reviewer, "test")
        return dict(tenant_id=tenant.id, year_id=year.id, reviewer_email=reviewer.email,
                    consultant={"Authorization": f"Bearer {consultant_token}"},
                    reviewer={"Authorization": f"Bearer {reviewer_token}"})


def _effects(application, tenant_id: int) -> dict:
    with application.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, tenant_id)
        counts = dict(certificates=session.scalar(select(func.count(Certificate.id))),
                      invoices=session.scalar(select(func.count(Invoice.id))),
                      documents=session.scalar(select(func.count(CertificateDocument.id))))
        with platform_access(session):
            counts["mails"] = session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.to == "faktura@verkstedet.no"))
            counts["jobs"] = dict(session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).all())
        return counts


def test_with_redis_down_a_decision_answers_2xx_and_its_work_is_done_once_redis_is_back(outage_app, redis_server, tmp_path):
    w = _world(outage_app)
    redis_server.stop()
    client = outage_app.test_client()

    # Login keeps working (the rate limits fall back to memory) ...
    login = client.post("/login", data={"email": w["reviewer_email"], "password": factories.PASSWORD})
    assert login.status_code == 302
    # ... and so does the work: the proposal and the positive decision answer 2xx.
    proposal = client.post(f"/api/v1/t/bt/years/{w['year_id']}/proposals", headers=w["consultant"], json={"cert_class": "A"})
    assert proposal.status_code == 201, proposal.get_data(as_text=True)
    decided = client.post(f"/api/v1/t/bt/proposals/{proposal.get_json()['id']}/decision", headers=w["reviewer"],
                          json={"outcome": "approve"})
    assert decided.status_code == 201, decided.get_data(as_text=True)
    waiting = _effects(outage_app, w["tenant_id"])
    assert (waiting["certificates"], waiting["invoices"], waiting["documents"], waiting["mails"]) == (1, 0, 0, 0)
    assert waiting["jobs"] == {PENDING: 2}  # the certificate's render and its invoice, kept by the outbox

    # Redis is back: the clock's sweeper hands the waiting jobs over, a real worker runs them.
    redis_server.start()
    outage_app.extensions["saas.redis_state"]["paused_until"] = 0.0
    later = utcnow() + GRACE + timedelta(seconds=1)
    assert sweep(outage_app, now=later) == 2
    burst_worker(outage_app, tmp_path, redis_server.url)
    done = _effects(outage_app, w["tenant_id"])
    assert (done["certificates"], done["invoices"], done["documents"], done["mails"]) == (1, 1, 1, 1)
    assert set(done["jobs"]) == {DONE}  # render, invoice, and the invoice's delivery

    # Sweeping and working again changes nothing.
    assert sweep(outage_app, now=later + GRACE * 2) == 0
    burst_worker(outage_app, tmp_path, redis_server.url)
    again = _effects(outage_app, w["tenant_id"])
    assert (again["certificates"], again["invoices"], again["documents"], again["mails"]) == (1, 1, 1, 1)
