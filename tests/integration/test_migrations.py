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
