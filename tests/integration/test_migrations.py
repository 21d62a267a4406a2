"""Alembic is the only way the schema is made: an empty database migrated to head matches the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from saas.db import Base
from tests.conftest import create_database


def test_an_empty_database_upgraded_to_head_matches_the_models():
    url = create_database("saas_test_migrations")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
