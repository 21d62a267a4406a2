"""The provider's audit programme for 500 audit-scheme clients with 3 years of history (an initial case,
a 4-year certificate, two surveillance audits with findings and corrective actions, open
recertifications): SQL statements per page (constant in the number of clients) and median server time.

Run: .venv/bin/python bench/audit_programme.py  (PostgreSQL when reachable, else SQLite)
"""
from __future__ import annotations

from _common import bench_app, count_statements, report, timed

from saas.i18n import today_in_oslo
from tests import factories
from tests.audit_helpers import bulk_programme_clients

CLIENTS = 500


def main() -> None:
    app = bench_app("saas_bench_audit_programme")
    db = app.extensions["saas.db"]
    with app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bench")
        admin = factories.make_user(session, tenant, roles=("admin", "reviewer"), email="bench@example.no")
        tenant_id, admin_id = tenant.id, admin.id
    today = today_in_oslo()
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.no", "password": factories.PASSWORD})
    counts = []
    for total in (10, CLIENTS):
        with app.app_context(), db.session_scope() as session:
            bulk_programme_clients(session, tenant_id, admin_id, total - (10 if total == CLIENTS else 0), today,
                                   start=0 if total == 10 else 10)
        with count_statements(db.engine) as counter:
            response = client.get("/t/bench/audits/programme")
        counts.append(counter.total)
        assert response.status_code == 200 and "Opplæring 0009 AS" in response.get_data(as_text=True)
        print(f"SQL statements for the programme with {total} clients: {counts[-1]}")
    report(f"audit programme, {CLIENTS} clients with 3 years of history",
           timed(lambda: client.get("/t/bench/audits/programme"), 15))


if __name__ == "__main__":
    main()
