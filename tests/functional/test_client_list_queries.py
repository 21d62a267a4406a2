"""The client list issues the same number of SQL queries whatever the number of companies."""
from sqlalchemy import select

from saas.clients.models import ClientCompany
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


def test_every_sort_orders_the_page_and_names_each_companys_consultant(client, db, two_tenants):
    """The consultants' names are joined to the page after it is cut (clients/services.py): each sort, both ways,
    with a search and past the first page, still gives the rows in order, each with its own consultant."""
    from saas.clients import services

    a = two_tenants["a"]
    tenant = a["tenant"]
    other = factories.make_user(db, tenant, roles=("consultant",), name="Per Partner")
    bind_tenant(db, tenant.id)
    for n in range(23):
        factories.make_company(db, tenant, name=f"Sorteringsfirma {n % 7}{n:02d} AS", city=("Bø", "Ål", "Oslo")[n % 3],
                               employee_count=(n * 7) % 11, consultant_id=(a["consultant"].id, other.id, None)[n % 3])
    db.commit()
    every = db.execute(select(ClientCompany).where(ClientCompany.archived_at.is_(None))).scalars().all()
    names = {a["consultant"].id: a["consultant"].name, other.id: "Per Partner", None: None}
    for key, attribute in [("name", "name"), ("org_number", "org_number"), ("city", "city"),
                           ("employees", "employee_count"), ("created", "created_at")]:
        for descending in (False, True):
            for q in ("", "sorteringsfirma"):
                matches = [c for c in every if not q or q in c.name.lower() or q in (c.city or "").lower()]
                expected = sorted(matches, key=lambda c: c.id)
                expected.sort(key=lambda c: getattr(c, attribute), reverse=descending)
                seen = []
                for page in (1, 2, 3):
                    result = services.list_companies(db, a["consultant"], services.CompanyFilter(
                        q=q, sort=key, descending=descending, page=page, per_page=10))
                    assert result.total == len(matches)
                    seen += result.items
                assert [i["id"] for i in seen] == [c.id for c in expected], (key, descending, q)
                assert [i["consultant_name"] for i in seen] == [names[c.consultant_id] for c in expected]
    bind_tenant(db, None)
    login(client, a["consultant"])
    html = client.get("/t/tenant-a/companies/?q=sorteringsfirma&sort=-employees").get_data(as_text=True)
    assert "Per Partner" in html
