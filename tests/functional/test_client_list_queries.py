"""The client list issues the same number of SQL queries whatever the number of companies."""
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import BACKEND, login


def _queries_for_list(client, count_queries, url="/t/tenant-a/companies/"):
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_client_list_query_count_does_not_grow_with_the_number_of_companies(client, db, two_tenants, count_queries):
    a = two_tenants["a"]
    login(client, a["consultant"])
    few = _queries_for_list(client, count_queries)
    bind_tenant(db, a["tenant"].id)
    for _ in range(60):
        factories.make_company(db, a["tenant"], consultant_id=a["consultant"].id)
    bind_tenant(db, None)
    db.commit()
    many = _queries_for_list(client, count_queries)
    assert many == few
    assert _queries_for_list(client, count_queries, "/t/tenant-a/companies/?q=kunde&sort=-employees&page=2") == few


def test_the_company_page_reads_the_company_its_consultant_and_contacts_in_one_statement(client, db, two_tenants,
                                                                                        count_queries):
    a = two_tenants["a"]
    colleague = factories.make_user(db, a["tenant"], roles=("consultant",), name="Kari Kollega")
    bind_tenant(db, a["tenant"].id)
    company = factories.make_company(db, a["tenant"], consultant_id=colleague.id)
    factories.make_contact(db, company, name="Ola Kontakt")
    factories.make_sub_unit(db, company, name="Verkstedet")
    bind_tenant(db, None)
    db.commit()
    login(client, a["consultant"])
    url = f"/t/tenant-a/companies/{company.id}"
    few = _queries_for_list(client, count_queries, url)
    bind_tenant(db, a["tenant"].id)
    for n in range(8):
        factories.make_contact(db, company, name=f"Kontakt {n}")
        factories.make_sub_unit(db, company, name=f"Avdeling {n}")
    bind_tenant(db, None)
    db.commit()
    assert _queries_for_list(client, count_queries, url) == few
    html = client.get(url).get_data(as_text=True)
    assert "Kari Kollega" in html and "Kontakt 7" in html and "Avdeling 7" in html
    # the login, the tenant's seal (PostgreSQL), the company with its consultant and contacts, its sub-units,
    # the menu's counts and its years
    assert few <= (6 if BACKEND == "postgres" else 5)
