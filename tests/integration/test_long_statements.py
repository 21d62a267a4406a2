"""The product's long statements (the year page's reads put together: 20 KiB, 78 parameters) have their
placeholders converted once per process, not on every request (saas.db.convert_long_statements_once)."""
from __future__ import annotations

import pytest

from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="psycopg's conversion of placeholders")


def test_a_long_statement_with_many_parameters_is_converted_once(app):
    from psycopg._queries import _query2pg

    values = {f"p{i}": i for i in range(80)}
    sql = "SELECT " + ", ".join(f"%(p{i})s::integer AS a_column_with_a_rather_long_name_number_{i:04d}" for i in range(80))
    assert len(sql.encode()) > 4096 and len(values) > 50  # beyond psycopg's own limits
    with app.extensions["saas.db"].engine.connect() as connection:
        connection.exec_driver_sql(sql, values)
        before = _query2pg.cache_info()
        row = connection.exec_driver_sql(sql, values).one()
        after = _query2pg.cache_info()
        connection.rollback()
    assert tuple(row) == tuple(range(80))
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
