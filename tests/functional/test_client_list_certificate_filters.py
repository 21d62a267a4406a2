"""The client list filters by certificate class and by certificates expiring soon."""
from datetime import timedelta

from sqlalchemy import select

from saas.certification.models import Certificate
from saas.scheduler import today_in_oslo
from saas.tenancy import bind_tenant
from tests.conftest import login


def _names(client, query):
    body = client.get(f"/t/tenant-a/companies/?{query}").get_data(as_text=True)
    return {name for name in ("Kunde A Hemmelig AS", "Annen kunde A AS") if name in body}


def test_filters_by_class_and_by_expiry(client, db, two_tenants):
    a = two_tenants["a"]
    login(client, a["consultant"])
    # tests/worlds gives tenant A's main company a certificate; find its class and expiry
    bind_tenant(db, a["tenant"].id)
    certificate = db.scalars(select(Certificate).where(Certificate.company_id == a["company"].id)).one()
    certificate.valid_until = today_in_oslo() + timedelta(days=20)
    certificate.state = "active"
    certificate.issued_on = today_in_oslo() - timedelta(days=300)
    cert_class = certificate.cert_class
    db.commit()
    assert _names(client, f"class={cert_class.replace('+', '%2B')}") == {"Kunde A Hemmelig AS"}
    assert _names(client, "class=none") == {"Annen kunde A AS"}
    assert _names(client, "expiring=30") == {"Kunde A Hemmelig AS"}
    assert _names(client, "expiring=30&class=none") == set()
