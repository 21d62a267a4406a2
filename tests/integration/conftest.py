"""Fixtures shared by the integration tests that run real Redis servers and RQ workers."""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from saas.app import create_app
from tests.conftest import app_config, create_database, drop_database
from tests.integration.rq_helpers import PrivateRedis


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own on a free loopback port (a test may stop and start it)."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@contextmanager
def app_on_own_database(name: str, tmp_path, **config):
    """An application (RQ jobs unless ``JOBS_MODE`` says otherwise) on a PostgreSQL/SQLite database of its own:
    worker processes and concurrent transactions must see the test's commits, so the per-test savepoint won't
    do.  The database is dropped afterwards."""
    url = create_database(f"saas_test_{name}_{os.getpid()}")
    app = create_app(app_config(url, tmp_path, **{"JOBS_MODE": "rq", **config}))
    try:
        yield app
    finally:
        app.extensions["saas.db"].engine.dispose()
        drop_database(url)
