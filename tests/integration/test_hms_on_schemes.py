"""The HMS-sertifikat runs on the scheme model: its year, proposal and certificate keep the version they
were issued under, and the validity comes from that version (12 months in the library)."""
from datetime import date

import pytest

from saas.certification.demo import complete_year
from saas.certification.documents import certificate_data
from saas.certification.services import decisions
from saas.schemes import services as schemes
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        tenant = factories.make_tenant(db)
        consultant = factories.make_user(db, tenant, roles=("consultant",))
        reviewer = factories.make_user(db, tenant, roles=("reviewer",))
        company = factories.make_company(db, tenant, consultant_id=consultant.id, works_off_premises=True)
        yield dict(db=db, tenant=tenant, consultant=consultant, reviewer=reviewer, company=company)


def _certify(ctx, year):
    db = ctx["db"]
    proposal = decisions.propose(db, ctx["consultant"], year.id,
                                 {"cert_class": "A", "b_alternative": False, "justification": ""}, TODAY)
    _, certificate = decisions.decide(db, ctx["tenant"], ctx["reviewer"], proposal.id, approve=True, reason="",
                                      today=TODAY)
    return proposal, certificate


def test_year_proposal_and_certificate_keep_the_hms_version_they_were_issued_under(ctx):
    db = ctx["db"]
    version = schemes.hms_version(db)
    year = complete_year(db, ctx["company"], ctx["consultant"], TODAY)
    proposal, certificate = _certify(ctx, year)
    assert year.scheme_version_id == proposal.scheme_version_id == certificate.scheme_version_id == version.id
    assert certificate.valid_until == date(2027, 6, 14)
    assert certificate_data(db, certificate.id)["certificate"]["duration"] == "12 måneder"


def test_a_new_hms_version_changes_new_years_only(ctx):
    db = ctx["db"]
    old = schemes.hms_version(db)
    year = complete_year(db, ctx["company"], ctx["consultant"], TODAY)
    scheme = schemes.scheme_by_code(db, "hms")
    new = schemes.publish_version(db, scheme, dict(old.settings, validity_months=24), note="To år")
    _, certificate = _certify(ctx, year)
    # The year was opened under version 1: its certificate keeps 12 months.
    assert certificate.scheme_version_id == old.id and certificate.valid_until == date(2027, 6, 14)

    other = factories.make_company(db, ctx["tenant"], consultant_id=ctx["consultant"].id, works_off_premises=True)
    year2 = complete_year(db, other, ctx["consultant"], TODAY)
    assert year2.scheme_version_id == new.id
    _, certificate2 = _certify(ctx, year2)
    assert certificate2.valid_until == date(2028, 6, 14)
    assert certificate_data(db, certificate2.id)["certificate"]["duration"] == "2 år"
