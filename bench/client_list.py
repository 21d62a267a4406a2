"""The client list of a tenant with 2,000 client companies: SQL queries per page and median server time.

Run: .venv/bin/python bench/client_list.py [--companies 20000]  (PostgreSQL when reachable, else SQLite)
Statements are counted as in every bench (bench/_common.py: all of them, set_config shown apart).
"""
from __future__ import annotations

import argparse

from _common import analyze, bench_app, count_statements, report, timed
from sqlalchemy import insert

from saas.clients.models import ClientCompany
from saas.norway import generate_valid_org_numbers
from saas.tenancy import platform_access
from tests import factories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    companies = parser.parse_args().companies
    app = bench_app("saas_bench_client_list")
    db = app.extensions["saas.db"]
    with app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bench")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email="bench@example.no")
        tenant_id, consultant_id = tenant.id, consultant.id
        rows = [dict(tenant_id=tenant_id, name=f"Bedrift {i:05d} AS", org_number=org, org_form="AS", city="Kongsberg",
                     employee_count=i % 80, consultant_id=consultant_id)
                for i, org in enumerate(generate_valid_org_numbers(700, companies))]
        with platform_access(session):
            session.execute(insert(ClientCompany), rows)
    analyze(app)
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.no", "password": factories.PASSWORD})
    for url in ("/t/bench/companies/", "/t/bench/companies/?page=40", "/t/bench/companies/?q=bedrift%2001&sort=-employees"):
        with count_statements(db.engine) as counter:
            assert client.get(url).status_code == 200
        print(f"SQL statements for {url}: {counter.total} ({counter.set_config} of them set_config)")
    report(f"client list, {companies} companies, page 1", timed(lambda: client.get("/t/bench/companies/"), 60))
    report(f"client list, {companies} companies, search + sort", timed(lambda: client.get("/t/bench/companies/?q=bedrift%2001&sort=-employees"), 60))


if __name__ == "__main__":
    main()
