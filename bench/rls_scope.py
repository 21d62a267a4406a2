"""Row-level security cost per statement: `SELECT count(*)` over one tenant's 20,000 client companies as
the runtime role, with the sealed policies of migration 0004 (the scope read once per statement, an
initplan) against the policy they replaced (current_setting() per row), and with no row security at all
(a superuser: the floor).  PostgreSQL only.

    SAAS_TEST_DB=postgres .venv/bin/python bench/rls_scope.py [companies]
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("SAAS_TEST_DB", "postgres")
from _common import bench_app, report, timed  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from saas.tenancy import bind_tenant  # noqa: E402
from tests.conftest import PG_ADMIN_URL, drop_database, owner_url  # noqa: E402

LEGACY = ("(current_setting('app.platform', true) = 'on' OR "
          "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer)")


def main(companies: int) -> None:
    app = bench_app(f"saas_bench_rls_{os.getpid()}")
    url = app.extensions["saas.db"].url
    owner = create_engine(owner_url(url))
    try:
        with owner.begin() as connection:
            connection.execute(text("INSERT INTO tenants (slug, name, org_number, address, postcode, city, contact_email, "
                                    "vat_registered, primary_color, accent_color, signatory_name, signatory_title, settings, "
                                    "active, created_at) VALUES ('rls', 'RLS AS', '974760673', '', '0150', 'Oslo', 'a@b.no', "
                                    "true, '#000000', '#000000', '', '', '{}', true, now())"))
            connection.execute(text(
                "INSERT INTO client_companies (tenant_id, name, org_number, org_form, address, postcode, city, postal_address, "
                "industry_code, works_off_premises, follow_up_agreement, notes, created_at, updated_at) "
                "SELECT 1, 'Bedrift ' || n, lpad(n::text, 9, '0'), 'AS', '', '0150', 'Oslo', '', '', false, false, '', now(), now() "
                "FROM generate_series(1, :n) n"), {"n": companies})
        with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE client_companies"))  # hint bits set: every run reads the same
        database = app.extensions["saas.db"]

        def count():
            with database.session_scope() as session:
                bind_tenant(session, 1)
                assert session.execute(text("SELECT count(*) FROM client_companies")).scalar() == companies

        count()
        report(f"sealed policy (0004), {companies} rows", timed(count, 100))
        with owner.begin() as connection:
            connection.execute(text("DROP POLICY tenant_isolation ON client_companies"))
            connection.execute(text(f"CREATE POLICY tenant_isolation ON client_companies USING {LEGACY} WITH CHECK {LEGACY}"))

        def count_legacy():
            with database.engine.begin() as connection:
                connection.execute(text("SELECT set_config('app.tenant_id', '1', true)"))
                assert connection.execute(text("SELECT count(*) FROM client_companies")).scalar() == companies

        count_legacy()
        report(f"legacy per-row policy, {companies} rows", timed(count_legacy, 100))

        superuser = create_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1])

        def count_floor():
            with superuser.begin() as connection:
                assert connection.execute(text("SELECT count(*) FROM client_companies")).scalar() == companies

        count_floor()
        report(f"no row security (superuser, the floor), {companies} rows", timed(count_floor, 100))
        superuser.dispose()
    finally:
        app.extensions["saas.db"].engine.dispose()
        owner.dispose()
        drop_database(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
