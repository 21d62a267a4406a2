"""On SQLite (the embedded default) a request that may write takes the write lock when it begins, and a
transaction that read first takes it (waiting its turn) at its first write, so concurrent writers queue
instead of failing with "database is locked"."""
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server

from saas.app import create_app
from saas.auth import create_api_token
from saas.db import current_session
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import app_config, create_database, drop_database
from tests.integration.rq_helpers import free_port


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


def test_a_transaction_that_read_first_waits_for_the_lock_at_its_first_write(sqlite_app):
    """SQLite will not wait to upgrade a read transaction to a writer; the engine begins it again as a
    writer instead, so it queues behind the other writer (busy_timeout) rather than failing."""
    app, path = sqlite_app
    engine = app.extensions["saas.db"].engine
    other = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE lock_probe (writer TEXT)")
    with engine.connect() as connection:
        connection.begin()
        assert connection.exec_driver_sql("SELECT count(*) FROM lock_probe").scalar() == 0  # a read snapshot
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO lock_probe VALUES ('other')")
        threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
        connection.exec_driver_sql("INSERT INTO lock_probe VALUES ('this')")  # waits for the other writer
        connection.commit()
    assert sorted(other.execute("SELECT writer FROM lock_probe").fetchall()) == [("other",), ("this",)]
    other.close()


def _fire(base: str, token: str, worker: int, rounds: int) -> list[tuple[str, int, object]]:
    """One API client: reads (the first marks its token used: a write inside a read transaction), creates
    a company, adds a sub-unit and renames the company, ``rounds`` times."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method, path, body=None):
        request = urllib.request.Request(base + path, method=method, headers=headers,
                                         data=json.dumps(body).encode() if body is not None else None)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read()[:300]

    outcomes = []
    for n in range(rounds):
        outcomes.append(("list", *call("GET", "/companies?per_page=5")))
        status, company = call("POST", "/companies", {"name": f"Skriver {worker}-{n}", "org_number": factories.org_number()})
        outcomes.append(("create", status, company))
        if status != 201:
            continue
        outcomes.append(("sub-unit", *call("POST", f"/companies/{company['id']}/sub-units",
                                           {"name": f"Avdeling {worker}-{n}"})))
        outcomes.append(("rename", *call("PATCH", f"/companies/{company['id']}", {"name": f"Skrevet {worker}-{n}"})))
    return outcomes


def test_concurrent_api_writers_on_the_embedded_default_all_succeed_and_leave_nothing_half_written(sqlite_app):
    """Several clients write through the API at once, on a threaded server over one SQLite file: every
    request succeeds (no 503 "database is locked") and every company is whole (its sub-unit, its new name,
    its audit events)."""
    app, path = sqlite_app
    writers, rounds = 8, 4
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session, slug="skrivere")
        bind_tenant(session, tenant.id)
        admin = factories.make_user(session, tenant, roles=("admin", "consultant"))
        tokens = [create_api_token(session, admin, f"klient {i}")[1] for i in range(writers)]
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with ThreadPoolExecutor(writers) as pool:
            results = list(pool.map(lambda i: _fire(f"http://127.0.0.1:{port}/api/v1/t/skrivere", tokens[i], i, rounds),
                                    range(writers)))
    finally:
        server.shutdown()
    outcomes = [outcome for result in results for outcome in result]
    failures = [(what, status, body) for what, status, body in outcomes if status >= 300]
    assert failures == []
    assert len(outcomes) == writers * rounds * 4

    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        companies = dict(connection.execute("SELECT id, name FROM client_companies WHERE tenant_id = ?", (tenant.id,)).fetchall())
        assert sorted(companies.values()) == sorted(f"Skrevet {w}-{n}" for w in range(writers) for n in range(rounds))
        units = connection.execute("SELECT company_id, count(*) FROM sub_units GROUP BY company_id").fetchall()
        assert dict(units) == {company_id: 1 for company_id in companies}
        events = connection.execute("SELECT action, count(*) FROM audit_events WHERE tenant_id = ? AND action LIKE 'company.%' "
                                    "GROUP BY action", (tenant.id,)).fetchall()
        assert dict(events) == {"company.created": writers * rounds, "company.updated": writers * rounds}
        assert connection.execute("SELECT count(*) FROM api_tokens WHERE last_used_at IS NULL").fetchone() == (0,)
    finally:
        connection.close()
