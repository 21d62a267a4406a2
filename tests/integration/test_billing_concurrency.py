"""The invoice number series under concurrency, on PostgreSQL with real threads and committed transactions
in a database of its own: certificates issued at the same moment give consecutive invoice numbers, no gaps,
no duplicates; the same certificate's job run twice at once gives one invoice."""
from __future__ import annotations

import os
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from saas.app import create_app
from saas.db import Database
from saas.billing.models import Invoice, InvoiceCounter
from saas.billing.services import invoices
from saas.certification.models import Certificate, CertificationDecision, CertificationProposal
from saas.certification.services import certificates
from saas.hms.models import CertificationYear
from saas.tenancy import bind_tenant
from saas.tenants.models import Tenant, User
from tests import factories
from tests.conftest import app_config, create_database, drop_database

pytestmark = pytest.mark.postgres
TODAY = date(2026, 6, 15)
COUNT = 20


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    url = create_database(f"saas_invoice_race_{os.getpid()}")
    application = create_app(app_config(url, tmp_path_factory.mktemp("invoice-race")))
    # Each of the 20 threads holds its issuing connection while its invoice job takes a second one.
    application.extensions["saas.db"].engine.dispose()
    application.extensions["saas.db"] = Database(url, secret_key=application.config["SECRET_KEY"],
                                                 pool_size=2 * COUNT + 5, max_overflow=0)
    yield application
    application.extensions["saas.db"].engine.dispose()
    drop_database(url)


def _decided_years(app, count: int) -> dict:
    """A tenant with ``count`` companies whose year is decided (approved) and waits for its certificate."""
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session)
        factories.give_bank_account(session)
        consultant = factories.make_user(session, tenant, roles=("consultant",))
        reviewer = factories.make_user(session, tenant, roles=("reviewer",))
        pairs = []
        for _ in range(count):
            company = factories.make_company(session, tenant, consultant_id=consultant.id)
            factories.make_contact(session, company, email=f"kontakt{company.id}@example.no")
            year = CertificationYear(company_id=company.id, year=TODAY.year, consultant_id=consultant.id,
                                     opened_by=consultant.id, status="decided")
            session.add(year)
            session.flush()
            proposal = CertificationProposal(year_id=year.id, cert_class="A", ruleset_version="test", status="approved",
                                             proposed_by=consultant.id)
            session.add(proposal)
            session.flush()
            decision = CertificationDecision(year_id=year.id, proposal_id=proposal.id, outcome="approved", cert_class="A",
                                             ruleset_version="test", facts_snapshot={}, facts_sha256="0" * 64,
                                             verdict_snapshot={}, decided_by=reviewer.id, decided_on=TODAY)
            session.add(decision)
            session.flush()
            pairs.append((decision.id, year.id))
        return dict(tenant=tenant.id, reviewer=reviewer.id, pairs=pairs)


def _session(app, tenant_id):
    session = app.extensions["saas.db"].sessionmaker()
    bind_tenant(session, tenant_id)
    return session


def _all_at_once(app, count: int, work) -> list:
    barrier, errors = threading.Barrier(count), []

    def run(n):
        with app.app_context():
            try:
                barrier.wait()
                work(n)
            except Exception as error:  # the test reports every thread's failure, not just the first
                errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_twenty_certificates_issued_at_once_give_twenty_invoices_with_consecutive_numbers(app):
    world = _decided_years(app, COUNT)

    def issue(n):
        decision_id, year_id = world["pairs"][n]
        session = _session(app, world["tenant"])
        try:
            tenant, reviewer = session.get(Tenant, world["tenant"]), session.get(User, world["reviewer"])
            certificates.issue_certificate(session, tenant, reviewer, session.get(CertificationDecision, decision_id),
                                           session.get(CertificationYear, year_id))
            session.commit()  # the invoice job runs after this commit (JOBS_MODE sync), in this thread
        finally:
            session.close()

    assert _all_at_once(app, COUNT, issue) == []

    session = _session(app, world["tenant"])
    try:
        numbers = sorted(session.scalars(select(Invoice.number)))
        assert numbers == list(range(1, COUNT + 1))  # consecutive: no gaps, no duplicates
        assert session.scalar(select(InvoiceCounter.last_number)) == COUNT
        certificate_ids = set(session.scalars(select(Certificate.id)))
        invoiced = list(session.scalars(select(Invoice.certificate_id)))
        assert len(certificate_ids) == COUNT and sorted(invoiced) == sorted(certificate_ids)
        kids = set(session.scalars(select(Invoice.kid)))
        assert len(kids) == COUNT
    finally:
        session.close()


def test_the_same_certificates_job_run_twice_at_once_gives_one_invoice_and_no_gap(app):
    world = _decided_years(app, 1)
    decision_id, year_id = world["pairs"][0]
    with app.app_context():
        session = _session(app, world["tenant"])
        certificate = certificates.issue_certificate(session, session.get(Tenant, world["tenant"]), session.get(User, world["reviewer"]),
                                                     session.get(CertificationDecision, decision_id),
                                                     session.get(CertificationYear, year_id))
        session.info.pop("after_commit", None)  # this test runs the job itself, twice
        session.commit()
        certificate_id = certificate.id
        session.close()

    def run_job(n):
        session = _session(app, world["tenant"])
        try:
            invoices.invoice_certificate(session, certificate_id, TODAY)
            session.info.pop("after_commit", None)
            session.commit()
        finally:
            session.close()

    assert _all_at_once(app, 2, run_job) == []
    session = _session(app, world["tenant"])
    try:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 1
        assert session.scalar(select(InvoiceCounter.last_number)) == 1
    finally:
        session.close()
