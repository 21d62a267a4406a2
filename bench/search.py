"""The search box (issue 13) in a tenant with 10,000 client companies and 20,000 action items: median server
time of /search?q=... and whether PostgreSQL uses the trigram index.  The database is dropped afterwards.

Run: .venv/bin/python bench/search.py  (PostgreSQL when reachable, else SQLite)
"""
from __future__ import annotations

from _common import analyze, bench_app, report, timed
from sqlalchemy import insert, select, text

from saas.clients.models import ClientCompany
from saas.hms.models import ActionItem, CertificationYear
from saas.norway import generate_valid_org_numbers
from saas.tenancy import platform_access
from tests import factories
from tests.conftest import drop_database

COMPANIES, ACTIONS = 10_000, 20_000


def main() -> None:
    app = bench_app("saas_bench_search_daily")
    db = app.extensions["saas.db"]
    try:
        with app.app_context(), db.session_scope() as session:
            tenant = factories.make_tenant(session, slug="bench")
            consultant = factories.make_user(session, tenant, roles=("consultant",), email="bench@example.no")
            rows = [dict(tenant_id=tenant.id, name=f"Bedrift {i:05d} {'Verksted' if i % 7 else 'Bygg'} AS", org_number=org,
                         org_form="AS", city="Kongsberg", employee_count=i % 80, consultant_id=consultant.id)
                    for i, org in enumerate(generate_valid_org_numbers(70, COMPANIES))]
            with platform_access(session):
                session.execute(insert(ClientCompany), rows)
                company_ids = session.scalars(select(ClientCompany.id).where(ClientCompany.tenant_id == tenant.id)).all()
                session.execute(insert(CertificationYear), [dict(tenant_id=tenant.id, company_id=c, year=2026, status="open")
                                                            for c in company_ids[:ACTIONS // 2]])
                year_ids = session.scalars(select(CertificationYear.id).where(CertificationYear.tenant_id == tenant.id)).all()
                session.execute(insert(ActionItem), [dict(tenant_id=tenant.id, year_id=y, title=f"Tiltak {n} nødlys {y}",
                                                          area="physical", status="open", source_type="manual")
                                                     for y in year_ids for n in range(2)])
        analyze(app)
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.no", "password": factories.PASSWORD})
        assert "Bedrift 04242" in client.get("/t/bench/search/?q=04242").get_data(as_text=True)
        if db.is_postgres:
            with db.engine.connect() as conn:
                plan = conn.execute(text("EXPLAIN SELECT id FROM client_companies WHERE lower(name) LIKE '%04242%'")).scalars().all()
                conn.execute(text("SET enable_seqscan = off"))  # can the trigram index serve it at all?
                forced = conn.execute(text("EXPLAIN SELECT id FROM client_companies WHERE lower(name) LIKE '%04242%'")).scalars().all()
            print("plan:", " | ".join(p.strip() for p in plan[:2]))
            print("plan without seq scans:", " | ".join(p.strip() for p in forced[:3]))
        report(f"search, {COMPANIES} companies + {ACTIONS} actions, q=04242", timed(lambda: client.get("/t/bench/search/?q=04242"), 30))
        report(f"search, {COMPANIES} companies + {ACTIONS} actions, q=nødlys 1234",
               timed(lambda: client.get("/t/bench/search/?q=n%C3%B8dlys%201234"), 30))
    finally:
        db.engine.dispose()
        drop_database(db.url)


if __name__ == "__main__":
    main()
