"""Certificates after issue: numbers, states and history, expiry, renewal reminders, the lists other pages
use, and the yearly run."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from saas.certification import jobs
from saas.certification.demo import complete_year, previous_certificate
from saas.certification.models import CertificateEvent, CertificationProposal
from saas.certification.services import Refused, certificates, yearly_run
from saas.certification.services.certificates import effective_state, format_number, valid_until_for
from saas.clients.models import ClientCompany
from saas.db import utcnow
from saas.hms.models import SentReminder
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant
from saas.tenants.models import OutboxMessage
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        tenant.settings = {**tenant.settings, "certificate_prefix": "BT"}
        consultant = factories.make_user(db, tenant, roles=("consultant",), email="kari@bt.example.no", name="Kari")
        reviewer = factories.make_user(db, tenant, roles=("reviewer",), name="Siri")
        company = factories.make_company(db, tenant, consultant_id=consultant.id, name="Verkstedet AS")
        yield dict(db=db, tenant=tenant, consultant=consultant, reviewer=reviewer, company=company)


def issued(ctx, company=None, days_ago=300, cert_class="A"):
    return previous_certificate(ctx["db"], ctx["tenant"], company or ctx["company"], ctx["consultant"], ctx["reviewer"],
                                TODAY, cert_class=cert_class, issued_days_ago=days_ago)


# -- numbers and validity --------------------------------------------------------------------------------

def test_numbers_follow_the_tenants_format_and_never_repeat(ctx):
    first = issued(ctx)
    second = issued(ctx, factories.make_company(ctx["db"], ctx["tenant"]))

    assert (first.number, second.number) == ("BT-2025-0001", "BT-2025-0002")


def test_a_rolled_back_number_is_handed_out_again_but_a_committed_one_never(ctx):
    db = ctx["db"]
    issued(ctx)
    with pytest.raises(RuntimeError):
        with db.begin_nested():
            certificates.next_sequence(db)
            raise RuntimeError("the decision failed")
    assert certificates.next_sequence(db) == 2  # the rolled-back 2 was never issued; 1 is never given again


@pytest.mark.parametrize(("fmt", "expected"), [
    ("{prefix}/{seq}", "BT/7"),
    ("{year}-{seq:05d}", "2026-00007"),
    ("{prefix}-{year}", "BT-2026-0007"),       # no {seq}: numbers would repeat, so the default is used
    ("{prefix}-{unknown}-{seq}", "BT-2026-0007"),
    ("{seq:d}{" , "BT-2026-0007"),
])
def test_a_format_that_cannot_give_unique_numbers_falls_back_to_the_default(ctx, fmt, expected):
    ctx["tenant"].settings = {**ctx["tenant"].settings, "certificate_number_format": fmt}
    assert format_number(ctx["tenant"], 2026, 7) == expected


@pytest.mark.parametrize(("issued_on", "last_day"), [
    (date(2026, 6, 15), date(2027, 6, 14)),
    (date(2026, 1, 1), date(2026, 12, 31)),
    (date(2028, 2, 29), date(2029, 2, 28)),
])
def test_a_certificate_is_valid_twelve_months(issued_on, last_day):
    assert valid_until_for(issued_on) == last_day


def test_a_certificate_past_its_last_day_reads_as_expired_before_the_job_runs():
    assert effective_state("active", date(2026, 6, 14), date(2026, 6, 14)) == "active"
    assert effective_state("active", date(2026, 6, 14), date(2026, 6, 15)) == "expired"
    assert effective_state("suspended", date(2026, 6, 14), date(2026, 6, 15)) == "expired"
    assert effective_state("withdrawn", date(2026, 6, 14), date(2026, 6, 15)) == "withdrawn"


# -- states ----------------------------------------------------------------------------------------------

def test_suspend_reinstate_and_withdraw_each_leave_a_reason_a_date_and_a_person(ctx):
    db, cert, reviewer = ctx["db"], issued(ctx), ctx["reviewer"]
    certificates.change_state(db, reviewer, cert.id, "suspend", "Avvik ved kontroll", TODAY)
    certificates.change_state(db, reviewer, cert.id, "reinstate", "Avvik lukket", TODAY + timedelta(days=3))
    certificates.change_state(db, reviewer, cert.id, "withdraw", "Misbruk av sertifikatet", TODAY + timedelta(days=9))

    detail = certificates.certificate_detail(db, cert.id, TODAY + timedelta(days=10))
    assert [(e["to_state"], e["reason"], e["on"], e["by"]) for e in detail["events"][1:]] == [
        ("suspended", "Avvik ved kontroll", TODAY, "Siri"),
        ("active", "Avvik lukket", TODAY + timedelta(days=3), "Siri"),
        ("withdrawn", "Misbruk av sertifikatet", TODAY + timedelta(days=9), "Siri"),
    ]
    assert detail["state"] == "withdrawn" and detail["actions"] == []


def test_a_withdrawn_certificate_cannot_be_reinstated_and_a_reason_is_required(ctx):
    db, cert = ctx["db"], issued(ctx)
    with pytest.raises(FieldErrors):
        certificates.change_state(db, ctx["reviewer"], cert.id, "withdraw", " ", TODAY)
    certificates.change_state(db, ctx["reviewer"], cert.id, "withdraw", "Trukket etter klage", TODAY)
    with pytest.raises(Refused, match="trukket tilbake"):
        certificates.change_state(db, ctx["reviewer"], cert.id, "reinstate", "Angret", TODAY)


def test_an_expired_certificate_cannot_be_suspended(ctx):
    cert = issued(ctx, days_ago=400)
    with pytest.raises(Refused, match="utløpt"):
        certificates.change_state(ctx["db"], ctx["reviewer"], cert.id, "suspend", "For sent", TODAY)


def test_the_daily_job_stores_expiry_once_with_the_day_after_the_last_valid_day(ctx, app):
    db = ctx["db"]
    old, current = issued(ctx, days_ago=400), issued(ctx, factories.make_company(db, ctx["tenant"]), days_ago=10)
    bind_tenant(db, None)

    assert jobs.expire_certificates(db, TODAY.isoformat()) == 1
    assert jobs.expire_certificates(db, TODAY.isoformat()) == 0

    bind_tenant(db, ctx["tenant"].id)
    assert (old.state, current.state) == ("expired", "active")
    event = db.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == old.id).order_by(CertificateEvent.id)).all()[-1]
    assert (event.to_state, event.on, event.by_user_id) == ("expired", old.valid_until + timedelta(days=1), None)


# -- lists for other pages -------------------------------------------------------------------------------

def _ids(db, clause):
    return set(db.scalars(select(ClientCompany.id).where(clause)))


def test_the_company_filter_finds_companies_by_current_class_and_expiry(ctx):
    db = ctx["db"]
    soon = issued(ctx, days_ago=340, cert_class="A")  # ends in about 25 days
    later = issued(ctx, factories.make_company(db, ctx["tenant"]), days_ago=10, cert_class="B")
    withdrawn = issued(ctx, factories.make_company(db, ctx["tenant"]), days_ago=10, cert_class="A")
    certificates.change_state(db, ctx["reviewer"], withdrawn.id, "withdraw", "Trukket", TODAY)
    none = factories.make_company(db, ctx["tenant"])

    assert _ids(db, certificates.company_filter_clause("A", None, TODAY)) == {soon.company_id}
    assert _ids(db, certificates.company_filter_clause("B", None, TODAY)) == {later.company_id}
    assert _ids(db, certificates.company_filter_clause(None, 30, TODAY)) == {soon.company_id}
    assert _ids(db, certificates.company_filter_clause("B", 30, TODAY)) == set()
    assert _ids(db, certificates.company_filter_clause("none", None, TODAY)) == {withdrawn.company_id, none.id}
    assert len(_ids(db, certificates.company_filter_clause(None, None, TODAY))) == 4


def test_expiring_lists_the_consultants_certificates_soonest_first(ctx):
    db = ctx["db"]
    other_consultant = factories.make_user(db, ctx["tenant"])
    a = issued(ctx, days_ago=340)
    b = issued(ctx, factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id), days_ago=350)
    issued(ctx, factories.make_company(db, ctx["tenant"], consultant_id=other_consultant.id), days_ago=345)
    issued(ctx, factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id), days_ago=100)

    mine = certificates.expiring(db, ctx["consultant"].id, 90, TODAY)

    assert [c["id"] for c in mine] == [b.id, a.id]
    assert mine[0]["company_name"] and mine[0]["days_left"] == (b.valid_until - TODAY).days
    assert len(certificates.expiring(db, None, 90, TODAY)) == 3


# -- renewal reminders -----------------------------------------------------------------------------------

def test_renewal_reminders_go_to_contacts_and_the_consultant_once(ctx, app):
    db = ctx["db"]
    login = factories.make_user(db, ctx["tenant"], roles=("client",), email="leder@verkstedet.example.no")
    factories.make_contact(db, ctx["company"], user=login, name="Lise Leder")
    factories.make_contact(db, ctx["company"], name="Per Post", email="post@verkstedet.example.no")
    factories.make_contact(db, ctx["company"], name="Uten E-post", email="")
    cert = issued(ctx, days_ago=320)  # ends in about 44 days: inside the 60-day window
    issued(ctx, factories.make_company(db, ctx["tenant"]), days_ago=200)  # ends in about 164 days: not yet
    bind_tenant(db, None)

    with app.app_context():  # a job: no request to build links from
        assert jobs.send_renewal_reminders(db, TODAY.isoformat()) == 3
        assert jobs.send_renewal_reminders(db, TODAY.isoformat()) == 0

    bind_tenant(db, ctx["tenant"].id)
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("Sertifikatet til Verkstedet AS%"))).all()
    assert sorted(m.to for m in messages) == ["kari@bt.example.no", "leder@verkstedet.example.no", "post@verkstedet.example.no"]
    body = next(m.body for m in messages if m.to == "leder@verkstedet.example.no")
    assert cert.number in body and f"/certification/certificates/{cert.id}" in body
    assert "/certification/" not in next(m.body for m in messages if m.to == "post@verkstedet.example.no")  # no login, no link
    assert db.scalar(select(func.count()).select_from(SentReminder)) == 3


def test_the_reminder_window_follows_the_tenant_setting(ctx, app):
    db = ctx["db"]
    ctx["tenant"].settings = {**ctx["tenant"].settings, "renewal_reminder_days": 30}
    issued(ctx, days_ago=320)  # about 44 days left
    with app.app_context():
        assert jobs.send_renewal_reminders(db, TODAY.isoformat()) == 0
        assert jobs.send_renewal_reminders(db, (TODAY + timedelta(days=15)).isoformat()) == 1


# -- the yearly run --------------------------------------------------------------------------------------

def test_the_yearly_run_lists_expiring_and_open_companies_with_their_eligible_class(ctx):
    db = ctx["db"]
    expiring_with_year = ctx["company"]
    issued(ctx, days_ago=320)
    complete_year(db, expiring_with_year, ctx["consultant"], TODAY)
    expiring_without_year = factories.make_company(db, ctx["tenant"], name="Uten år AS")
    issued(ctx, expiring_without_year, days_ago=330)
    open_year = factories.make_company(db, ctx["tenant"], name="Åpent år AS")
    complete_year(db, open_year, ctx["consultant"], TODAY)
    not_due = factories.make_company(db, ctx["tenant"], name="Ikke aktuell AS")
    issued(ctx, not_due, days_ago=10)
    archived = factories.make_company(db, ctx["tenant"], name="Arkivert AS", archived_at=utcnow())
    complete_year(db, archived, ctx["consultant"], TODAY)

    rows = {r["company_name"]: r for r in yearly_run.evaluate_run(db, TODAY, 90)}

    assert set(rows) == {"Verkstedet AS", "Uten år AS", "Åpent år AS"}
    assert rows["Verkstedet AS"]["current_class"] == "A" and rows["Verkstedet AS"]["eligible"] == "A"
    assert rows["Verkstedet AS"]["missing"] == ["A+2"]  # last year's A counts for A+1
    assert rows["Uten år AS"]["missing"] == [yearly_run.NO_OPEN_YEAR] and rows["Uten år AS"]["year_id"] is None
    assert rows["Åpent år AS"]["eligible"] == "A" and rows["Åpent år AS"]["missing"] == ["A+1", "A+2"]


def test_bulk_proposals_propose_the_eligible_class_and_skip_the_rest(ctx):
    db = ctx["db"]
    ready = complete_year(db, ctx["company"], ctx["consultant"], TODAY)
    empty_company = factories.make_company(db, ctx["tenant"], name="Tom AS")
    from saas.hms.models import CertificationYear

    empty = CertificationYear(company_id=empty_company.id, year=2026)
    db.add(empty)
    db.flush()

    outcome = yearly_run.propose_bulk(db, ctx["consultant"], [ready.id, empty.id], TODAY)
    again = yearly_run.propose_bulk(db, ctx["consultant"], [ready.id], TODAY)

    assert outcome == {"created": ["Verkstedet AS"], "skipped": [("Tom AS", "oppfyller ikke kravene til noen klasse")]}
    assert again["skipped"] == [("Verkstedet AS", "har allerede et forslag som venter")]
    proposal = db.scalar(select(CertificationProposal).where(CertificationProposal.year_id == ready.id))
    assert (proposal.cert_class, proposal.status) == ("A", "pending")
    with pytest.raises(Refused):
        yearly_run.propose_bulk(db, ctx["reviewer"], [ready.id], TODAY)


def test_the_yearly_run_costs_the_same_queries_for_more_companies(ctx, count_queries):
    db = ctx["db"]

    def add(n):
        for _ in range(n):
            company = factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id)
            complete_year(db, company, ctx["consultant"], TODAY)
            issued(ctx, company, days_ago=330)

    add(2)
    with count_queries() as few:
        assert len(yearly_run.evaluate_run(db, TODAY, 90)) == 2
    add(8)
    with count_queries() as many:
        assert len(yearly_run.evaluate_run(db, TODAY, 90)) == 10
    assert few.count == many.count
