"""The client list of a tenant with 2,000 client companies: SQL queries per page and median server time.

Run: .venv/bin/python bench/client_list.py  (PostgreSQL when reachable, else SQLite)
"""
from __future__ import annotations

from _common import bench_app, report, timed
from sqlalchemy import event, insert

from saas.clients.models import ClientCompany
from saas.norway import generate_valid_org_numbers
from saas.tenancy import platform_access
from tests import factories

COMPANIES = 2000


def main() -> None:
    app = bench_app("saas_bench_client_list")
    db = app.extensions["saas.db"]
    with app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bench")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email="bench@example.no")
        tenant_id, consultant_id = tenant.id, consultant.id
        rows = [dict(tenant_id=tenant_id, name=f"Bedrift {i:05d} AS", org_number=org, org_form="AS", city="Kongsberg",
                     employee_count=i % 80, consultant_id=consultant_id)
                for i, org in enumerate(generate_valid_org_numbers(7001, COMPANIES))]
        with platform_access(session):
            session.execute(insert(ClientCompany), rows)
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.no", "password": factories.PASSWORD})
    counts = []

    def count(*args):
        counts[-1] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    for url in ("/t/bench/companies/", "/t/bench/companies/?page=40", "/t/bench/companies/?q=bedrift%2001&sort=-employees"):
        counts.append(0)
        assert client.get(url).status_code == 200
        print(f"SQL statements for {url}: {counts[-1]}")
    event.remove(db.engine, "before_cursor_execute", count)
    report(f"client list, {COMPANIES} companies, page 1", timed(lambda: client.get("/t/bench/companies/"), 60))
    report(f"client list, {COMPANIES} companies, search + sort", timed(lambda: client.get("/t/bench/companies/?q=bedrift%2001&sort=-employees"), 60))


if __name__ == "__main__":
    main()
