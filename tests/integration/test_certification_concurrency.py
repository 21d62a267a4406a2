"""Two reviewers deciding the same year at the same moment, on PostgreSQL with real committed transactions
in a database of its own (not the savepoint-per-test one): exactly one certificate, one clear message."""
from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from saas.certification.demo import complete_year
from saas.certification.models import Certificate, CertificateCounter, CertificationDecision, CertificationProposal
from saas.certification.services import Conflict, certificates, decisions
from saas.hms.models import CertificationYear
from saas.tenancy import bind_tenant
from saas.tenants.models import Tenant, User
from tests import factories
from tests.integration.conftest import app_on_own_database

pytestmark = pytest.mark.postgres
TODAY = date(2026, 6, 15)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with app_on_own_database("cert_race", tmp_path_factory.mktemp("race"), JOBS_MODE="sync") as application:
        yield application


@pytest.fixture
def world(app):
    """A tenant with a class-A year and two reviewers, committed."""
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session)
        consultant = factories.make_user(session, tenant, roles=("consultant",))
        reviewers = [factories.make_user(session, tenant, roles=("reviewer",), name=f"Sertifisør {n}") for n in (1, 2)]
        company = factories.make_company(session, tenant, consultant_id=consultant.id)
        year = complete_year(session, company, consultant, TODAY)
        ids = dict(tenant=tenant.id, consultant=consultant.id, reviewers=[r.id for r in reviewers], company=company.id,
                   year=year.id)
    return ids


def _session(app, tenant_id):
    session = app.extensions["saas.db"].sessionmaker()
    bind_tenant(session, tenant_id)
    return session


def _race(app, tenant_id, work) -> list:
    """Run ``work(session, n)`` in two threads that start together and commit after a pause, so the second
    one meets the first one's uncommitted rows and locks.  Returns each thread's outcome."""
    barrier, outcomes = threading.Barrier(2), [None, None]

    def run(n):
        with app.app_context():
            session = _session(app, tenant_id)
            try:
                barrier.wait()
                result = work(session, n)
                time.sleep(0.5)  # hold the locks: the other thread is now waiting on them
                session.commit()
                outcomes[n] = ("ok", result)
            except Conflict as error:
                session.rollback()
                outcomes[n] = ("conflict", str(error))
            finally:
                session.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _count(app, tenant_id, model) -> int:
    with app.app_context():
        session = _session(app, tenant_id)
        try:
            return session.scalar(select(func.count()).select_from(model))
        finally:
            session.close()


def test_two_reviewers_approving_the_same_proposal_at_once_give_one_certificate_and_one_clear_message(app, world):
    with app.app_context():
        session = _session(app, world["tenant"])
        proposal = decisions.propose(session, session.get(User, world["consultant"]), world["year"],
                                     {"cert_class": "A"}, TODAY)
        session.commit()
        proposal_id = proposal.id
        session.close()

    def approve(session, n):
        tenant, reviewer = session.get(Tenant, world["tenant"]), session.get(User, world["reviewers"][n])
        _, certificate = decisions.decide(session, tenant, reviewer, proposal_id, approve=True, reason="", today=TODAY)
        return certificate.number

    outcomes = _race(app, world["tenant"], approve)

    assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"], outcomes
    message = next(text for kind, text in outcomes if kind == "conflict")
    assert "allerede godkjent av Sertifisør" in message
    assert _count(app, world["tenant"], Certificate) == 1
    assert _count(app, world["tenant"], CertificationDecision) == 1


def test_the_unique_constraint_alone_stops_a_second_certificate_and_its_number_is_not_used(app, world):
    """Below the proposal lock: two decisions (as if from two proposals) issuing for the same year at once."""
    with app.app_context():
        session = _session(app, world["tenant"])
        decision_ids = []
        for n in (0, 1):
            proposal = CertificationProposal(year_id=world["year"], cert_class="A", ruleset_version="test", status="approved",
                                             proposed_by=world["consultant"])
            session.add(proposal)
            session.flush()
            decision = CertificationDecision(year_id=world["year"], proposal_id=proposal.id, outcome="approved", cert_class="A",
                                             ruleset_version="test", facts_snapshot={}, facts_sha256="0" * 64, verdict_snapshot={},
                                             decided_by=world["reviewers"][n], decided_on=TODAY)
            session.add(decision)
            session.flush()
            decision_ids.append(decision.id)
        session.commit()
        session.close()

    def issue(session, n):
        tenant, reviewer = session.get(Tenant, world["tenant"]), session.get(User, world["reviewers"][n])
        decision = session.get(CertificationDecision, decision_ids[n])
        year = session.get(CertificationYear, world["year"])
        return certificates.issue_certificate(session, tenant, reviewer, decision, year).number

    outcomes = _race(app, world["tenant"], issue)

    assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"], outcomes
    assert "allerede utstedt et sertifikat for 2026" in next(text for kind, text in outcomes if kind == "conflict")
    assert _count(app, world["tenant"], Certificate) == 1
    with app.app_context():
        session = _session(app, world["tenant"])
        assert session.scalar(select(CertificateCounter.last_seq)) == 1  # the loser's increment rolled back with it
        assert session.scalar(select(Certificate.sequence)) == 1
        session.close()


def test_concurrent_issuers_for_different_companies_never_share_a_number(app, world):
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, world["tenant"])
        tenant = session.get(Tenant, world["tenant"])
        consultant = session.get(User, world["consultant"])
        years = [complete_year(session, factories.make_company(session, tenant), consultant, TODAY).id for _ in (0, 1)]
        proposals = [decisions.propose(session, consultant, year_id, {"cert_class": "A"}, TODAY).id for year_id in years]

    def approve(session, n):
        tenant, reviewer = session.get(Tenant, world["tenant"]), session.get(User, world["reviewers"][n])
        return decisions.decide(session, tenant, reviewer, proposals[n], approve=True, reason="", today=TODAY)[1].number

    outcomes = _race(app, world["tenant"], approve)

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert sorted(number for _, number in outcomes) == ["HMS-2026-0001", "HMS-2026-0002"]
