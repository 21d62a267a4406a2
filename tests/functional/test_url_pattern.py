"""``url_pattern`` builds a route once and writes each value with the route's own converter: whatever the
value, its link is exactly what ``url_for`` gives (the client list's and the register's rows use it)."""
from __future__ import annotations

from types import SimpleNamespace

from flask import g, url_for
from hypothesis import given, settings
from hypothesis import strategies as st

from saas.tenancy import bind_tenant
from saas.urls import url_pattern
from tests import factories
from tests.conftest import login


@settings(max_examples=200, deadline=None)
@given(code=st.text(min_size=1, max_size=30))
def test_a_code_of_any_text_gets_the_link_url_for_gives(app, code):
    with app.test_request_context("/"):
        assert url_pattern("verify.certificate", "code")(code) == url_for("verify.certificate", code=code)


@settings(max_examples=100, deadline=None)
@given(company_id=st.integers(min_value=0, max_value=2**62))
def test_an_id_in_a_tenants_route_gets_the_tenants_slug_and_the_link_url_for_gives(app, company_id):
    with app.test_request_context("/"):
        g.tenant = SimpleNamespace(slug="bedrift-a")
        link = url_pattern("clients.detail", "company_id")(company_id)
        assert link == url_for("clients.detail", company_id=company_id)
        assert link == f"/t/bedrift-a/companies/{company_id}"


def test_the_other_values_of_the_route_are_kept(app):
    with app.test_request_context("/"):
        g.tenant = SimpleNamespace(slug="bedrift-a")
        here = "/t/bedrift-a/work/"
        assert url_pattern("evidence.history", "evidence_id", next=here)(7) == url_for("evidence.history", evidence_id=7,
                                                                                      next=here)


def test_the_client_list_links_each_row_to_its_company(client, db, two_tenants):
    a = two_tenants["a"]
    bind_tenant(db, a["tenant"].id)
    company = factories.make_company(db, a["tenant"], name="Aaa Lenket AS", consultant_id=a["consultant"].id)
    bind_tenant(db, None)
    db.commit()
    login(client, a["consultant"])
    page = client.get("/t/tenant-a/companies/?q=Lenket").get_data(as_text=True)
    assert f'<a href="/t/tenant-a/companies/{company.id}">Aaa Lenket AS</a>' in page
