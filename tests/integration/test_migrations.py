"""Alembic is the only way the schema is made: an empty database migrated to head matches the models."""
import os
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from saas.db import Base
from tests.conftest import create_database, drop_database


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
