"""Alembic is the only way the schema is made: an empty database migrated to head matches the models."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from saas.db import Base
from tests.conftest import PG_ADMIN_URL, create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


def test_an_empty_database_upgraded_to_head_matches_the_models():
    url = create_database(f"saas_test_migrations_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
        drop_database(url)
    assert differences == []


@pytest.mark.postgres
def test_a_database_a_test_forgets_to_drop_is_dropped_when_the_process_exits():
    name = f"saas_test_forgotten_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    script = f"from tests.conftest import create_database; create_database({name!r})"
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "SAAS_TEST_DB": "postgres"},
                   check=True, capture_output=True, timeout=300)
    admin = create_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}).scalar() == 0
    finally:
        admin.dispose()


def test_saas_db_analyze_gathers_statistics_as_the_owner_which_the_runtime_role_cannot(tmp_path):
    from saas.app import create_app
    from tests.conftest import BACKEND, app_config, create_database, drop_database, owner_url

    if BACKEND != "postgres":
        pytest.skip("needs PostgreSQL")
    url = create_database(f"saas_analyze_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    admin = create_engine(owner_url(url))
    try:
        app = create_app(app_config(url, tmp_path, MIGRATION_DATABASE_URL=owner_url(url)))

        def analyzed() -> bool:
            with admin.connect() as connection:
                return connection.execute(text(
                    "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'client_companies'")).scalar()

        runtime = create_engine(url, isolation_level="AUTOCOMMIT")
        with runtime.connect() as connection:
            connection.execute(text("ANALYZE client_companies"))  # skipped with a warning: not the owner
        runtime.dispose()
        assert not analyzed()
        result = app.test_cli_runner().invoke(args=["db", "analyze"])
        assert result.exit_code == 0 and "Statistikken er oppdatert." in result.output, result.output
        assert analyzed()
        app.extensions["saas.db"].engine.dispose()
    finally:
        admin.dispose()
        drop_database(url)
