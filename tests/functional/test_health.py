"""/healthz (liveness) and /readyz (readiness: database, Redis when configured, storage), and the database's
timeouts: a database that accepts connections and never answers fails the probe and the request in seconds."""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from saas.app import create_app
from saas.config import ConfigError, load_config
from saas.db import make_engine
from tests.conftest import BACKEND, REDIS_URL, app_config


@contextmanager
def hanging_server():
    """A loopback TCP server that accepts every connection and never sends a byte (a hung database)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
                held.append(connection)  # kept open, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_a_cheap_liveness_check_that_touches_no_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert counter.count == 0


def test_readyz_checks_the_database_and_storage(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "storage"}  # no REDIS_URL in the tests' app
    assert all(check["status"] == "ok" for check in body["checks"].values())


@pytest.mark.redis
def test_readyz_checks_redis_when_it_is_configured(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.delitem(app.extensions, "saas.readyz_redis", raising=False)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"]["redis"]["status"] == "ok"
    app.extensions.pop("saas.readyz_redis", None)


def test_readyz_fails_naming_redis_when_redis_is_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    monkeypatch.delitem(app.extensions, "saas.readyz_redis", raising=False)
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5
    body = response.get_json()
    assert response.status_code == 503 and body["failing"] == ["redis"] and body["checks"]["redis"]["error"]
    app.extensions.pop("saas.readyz_redis", None)


def test_readyz_fails_naming_storage_when_it_cannot_write(app, client, monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the storage folder should be")
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(blocked))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["failing"] == ["storage"]


def test_a_database_that_never_answers_fails_readyz_within_seconds_and_requests_answer_503(tmp_path):
    with hanging_server() as port:
        url = f"postgresql+psycopg://saas@127.0.0.1:{port}/saas"
        app = create_app(app_config(url, tmp_path, READYZ_TIMEOUT=1.0, DB_CONNECT_TIMEOUT=2.0))
        client = app.test_client()

        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
        body = response.get_json()
        assert response.status_code == 503, body
        assert elapsed < 4, elapsed
        assert body["status"] == "fail" and body["failing"] == ["database"]
        assert "no answer within 1 s" in body["checks"]["database"]["error"]
        assert body["checks"]["storage"]["status"] == "ok"

        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 0.5  # liveness never waits for the database

        # A request that needs the database gives up after the connect timeout, with a 503 (not a 500, not 30 s).
        started = time.monotonic()
        response = client.get("/api/v1/t/tenant-a/companies", headers={"Authorization": "Bearer hms_x"})
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert time.monotonic() - started < 10
        page = client.get("/t/tenant-a/register")  # a public page: the same, as a Norwegian error page
        assert page.status_code == 503 and "midlertidig utilgjengelig" in page.get_data(as_text=True)
        app.extensions["saas.db"].engine.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="statement_timeout is PostgreSQL's")
def test_every_postgresql_connection_has_a_statement_timeout(app, db, database_url):
    assert db.execute(text("SHOW statement_timeout")).scalar() == "15s"
    engine = make_engine(database_url, statement_timeout=0.3, connect_timeout=2)
    try:
        with engine.connect() as connection:
            started = time.monotonic()
            with pytest.raises(OperationalError):
                connection.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
    finally:
        engine.dispose()


@pytest.mark.skipif(BACKEND != "sqlite", reason="busy_timeout is SQLite's")
def test_sqlite_waits_for_the_write_lock_as_long_as_its_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}", busy_timeout=4.5)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4500
    finally:
        engine.dispose()


def test_timeouts_are_settings_with_defaults_and_nonsense_is_refused(tmp_path):
    config = load_config({}, root=tmp_path)
    assert (config["DB_STATEMENT_TIMEOUT"], config["DB_CONNECT_TIMEOUT"], config["DB_BUSY_TIMEOUT"], config["READYZ_TIMEOUT"]) == (15, 5, 30, 2)
    assert load_config({"DB_STATEMENT_TIMEOUT": "2.5"}, root=tmp_path)["DB_STATEMENT_TIMEOUT"] == 2.5
    for bad in ("abc", "0", "-1", "99999"):
        with pytest.raises(ConfigError):
            load_config({"DB_STATEMENT_TIMEOUT": bad}, root=tmp_path)
