"""On SQLite (the embedded default) a request that may write takes the write lock when it begins, so two
writing requests queue instead of one failing with "database is locked"."""
import sqlite3

import pytest

from saas.app import create_app
from saas.db import current_session
from tests.conftest import app_config, create_database, drop_database


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    monkeypatch.setattr("tests.conftest.BACKEND", "sqlite")
    url = create_database("saas_test_write_lock")
    app = create_app(app_config(url, tmp_path))
    yield app, url.removeprefix("sqlite:///")
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def _other_writer_is_blocked(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


@pytest.mark.parametrize("method, locked", [("POST", True), ("GET", False)])
def test_a_writing_request_holds_the_write_lock_from_its_start(sqlite_app, method, locked):
    app, path = sqlite_app
    with app.test_request_context("/", method=method):
        session = current_session()
        session.connection()
        assert _other_writer_is_blocked(path) is locked
        session.close()
