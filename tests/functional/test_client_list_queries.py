"""The client list issues the same number of SQL queries whatever the number of companies."""
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login


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
