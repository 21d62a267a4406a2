"""A concurrent burst of 20 wrong logins against a real threaded server on PostgreSQL (a database of its
own, committed data): at most the limit (10) get their password checked, the rest get 429."""
from __future__ import annotations

import http.client
import os
import threading
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from saas.app import create_app
from tests import factories
from tests.conftest import app_config, create_database, drop_database

pytestmark = pytest.mark.postgres
BURST = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = create_database(f"saas_login_burst_{os.getpid()}")
    app = create_app(app_config(url, tmp_path_factory.mktemp("login-burst"), LOGIN_RATE_LIMIT="10 per 5 minutes"))
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session)
        email = factories.make_user(session, tenant).email
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port, email
    httpd.shutdown()
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


def _login(port: int, email: str, password: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/login", body=urlencode({"email": email, "password": password}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_burst_of_20_wrong_logins_gets_at_most_the_limit_checked(server):
    port, email = server
    barrier, statuses = threading.Barrier(BURST), []

    def attempt():
        barrier.wait()
        statuses.append(_login(port, email, "feil"))

    threads = [threading.Thread(target=attempt) for _ in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == BURST and set(statuses) <= {422, 429}
    assert statuses.count(422) == 10 and statuses.count(429) == 10
    assert _login(port, email, factories.PASSWORD) == 429  # from the attacked client the limit holds until it expires
