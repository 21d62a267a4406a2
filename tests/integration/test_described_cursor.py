"""The engine's psycopg cursor builds ``description`` when it is read (saas.db._described_when_read_cursor):
what it reads must be psycopg's own description, for every kind of result, and SQLAlchemy must still get
rows, names and the absence of rows right."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select, text

from saas.clients.models import ClientCompany
from saas.tenancy import bind_tenant
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="psycopg's cursor")

STATEMENTS = [
    "SELECT 1 AS one, 'to'::varchar(12) AS two, now() AS three, current_date AS four, NULL::numeric(8, 2) AS five",
    "SELECT generate_series AS n FROM generate_series(1, 3) WHERE false",  # rows expected, none came
    "SELECT",  # a result of tuples without a column
    "CREATE TEMPORARY TABLE described (id int)",  # no rows at all
    "BEGIN; SELECT 2 AS after_begin",  # the cursor's first result is BEGIN's
]


def _described(connection, sql: str):
    cursor = connection.cursor()
    cursor.execute(sql)
    return cursor.description


@pytest.mark.parametrize("sql", STATEMENTS)
def test_the_description_read_is_psycopgs_own(app, sql):
    engine = app.extensions["saas.db"].engine
    raw = engine.raw_connection()
    try:
        ours = raw.driver_connection
        assert type(ours.cursor()).__name__ == "DescribedWhenRead"
        plain = psycopg.connect(engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql"))
        try:
            got, expected = _described(ours, sql), _described(plain, sql)
            ours.rollback()
            plain.rollback()
        finally:
            plain.close()
    finally:
        raw.close()
    if expected is None:
        assert got is None
        return
    assert len(got) == len(expected)
    assert [tuple(column) for column in got] == [tuple(column) for column in expected]
    assert [(c.name, c.type_code, c.type_display) for c in got] == [(c.name, c.type_code, c.type_display) for c in expected]


def test_the_description_outlives_the_cursors_next_result(app):
    """Read after the cursor moved to its next result, a description still tells of its own."""
    raw = app.extensions["saas.db"].engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        cursor.execute("SELECT 1 AS first_one; SELECT 'x' AS second_one, 2 AS and_another")
        first = cursor.description
        assert cursor.nextset()
        second = cursor.description
        assert [c.name for c in second] == ["second_one", "and_another"]
        assert [c.name for c in first] == ["first_one"]
        raw.driver_connection.rollback()
    finally:
        raw.close()


def test_sqlalchemy_reads_rows_and_names_through_it(app, db, two_tenants):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    built = db.execute(select(ClientCompany.id, ClientCompany.name).order_by(ClientCompany.id)).all()
    assert built and all(isinstance(name, str) for _, name in built)
    plain = db.execute(text("SELECT 7 AS seven, 'sju' AS word")).one()
    assert plain._mapping == {"seven": 7, "word": "sju"}
    assert db.execute(text("SELECT 1 WHERE false")).all() == []
    assert db.execute(text("SET LOCAL statement_timeout = '5s'")).returns_rows is False
