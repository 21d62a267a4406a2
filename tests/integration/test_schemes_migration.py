"""Migration 0009 puts the HMS work that exists onto its scheme: the library is seeded into every
existing tenant, and every year, proposal and certificate points at HMS-sertifikat version 1."""
from datetime import date, datetime, timezone

import sqlalchemy as sa

from saas.migrate import upgrade
from saas.db import scope_proof
from tests.conftest import BACKEND, SECRET_KEY, create_database, drop_database, owner_url

NOW = datetime(2026, 1, 5, tzinfo=timezone.utc)


def _insert(conn, metadata, table: str, **given) -> int:
    """Insert a row giving the named columns and a plain value for every other required one."""
    t = metadata.tables[table]
    row = dict(given)
    for column in t.columns:
        if column.name in row or column.primary_key or column.nullable:
            continue
        python = column.type.python_type if not isinstance(column.type, sa.JSON) else dict
        row[column.name] = {int: 1, str: "x", bool: False, datetime: NOW, date: date(2026, 1, 5), dict: {}}.get(
            python, "x")
    return conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()


def test_existing_hms_rows_get_version_1_of_their_tenants_hms_scheme():
    url = create_database(f"saas_test_schemes_mig_{BACKEND}")
    try:
        engine = sa.create_engine(owner_url(url))  # the owner role, which the policies let see every row
        # Go back to the schema before schemes existed, and write HMS work the old way.
        from alembic import command

        from saas.migrate import alembic_config

        command.downgrade(alembic_config(owner_url(url)), "0008")
        metadata = sa.MetaData()
        metadata.reflect(engine)
        ids = {}
        with engine.begin() as conn:
            for key in ("a", "b"):
                tenant = _insert(conn, metadata, "tenants", slug=f"mig-{key}", name=f"T {key}", settings={},
                                 active=True)
                user = _insert(conn, metadata, "users", tenant_id=tenant, email=f"u-{key}@example.no", active=True)
                company = _insert(conn, metadata, "client_companies", tenant_id=tenant, org_number="974760673")
                year = _insert(conn, metadata, "certification_years", tenant_id=tenant, company_id=company, year=2025,
                               consultant_id=None, opened_by=None, previous_year_id=None)
                proposal = _insert(conn, metadata, "certification_proposals", tenant_id=tenant, year_id=year,
                                   cert_class="A", status="approved", proposed_by=user, closed_by=None)
                decision = _insert(conn, metadata, "certification_decisions", tenant_id=tenant, year_id=year,
                                   proposal_id=proposal, outcome="approved", cert_class="A", decided_by=user)
                certificate = _insert(conn, metadata, "certificates", tenant_id=tenant, company_id=company,
                                      year_id=year, year=2025, decision_id=decision, number=f"{key}-1",
                                      cert_class="A", state="active", verification_code=f"code-{key}",
                                      issued_by=user)
                ids[key] = dict(tenant=tenant, year=year, proposal=proposal, certificate=certificate)
        engine.dispose()

        upgrade(owner_url(url), runtime_url=url, scope_proof=scope_proof(SECRET_KEY))

        engine = sa.create_engine(owner_url(url))
        with engine.begin() as conn:
            for key, row in ids.items():
                hms_version = conn.execute(sa.text(
                    "SELECT v.id FROM scheme_versions v JOIN schemes s ON s.id = v.scheme_id "
                    "WHERE s.tenant_id = :t AND s.code = 'hms' AND v.number = 1"), {"t": row["tenant"]}).scalar_one()
                for table, column in (("certification_years", "year"), ("certification_proposals", "proposal"),
                                      ("certificates", "certificate")):
                    got = conn.execute(sa.text(f"SELECT scheme_version_id FROM {table} WHERE id = :id"),
                                       {"id": row[column]}).scalar_one()
                    assert got == hms_version, (key, table)
                assert conn.execute(sa.text("SELECT count(*) FROM schemes WHERE tenant_id = :t"),
                                    {"t": row["tenant"]}).scalar_one() == 5
        engine.dispose()
    finally:
        drop_database(url)
