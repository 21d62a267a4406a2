"""Honest settings and what an operator sees: unknown SAAS_ENV refuses to start, ProxyFix only for the
configured number of proxies, request ids on responses and in JSON logs, Sentry only when asked for."""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import types

import pytest
from flask import current_app, request

from saas.app import create_app
from saas.config import ConfigError, load_config
from saas.observability import _HANDLER_MARK
from tests.conftest import app_config


def _probe_app(database_url, tmp_path, **extra):
    app = create_app(app_config(database_url, tmp_path, **extra))

    @app.get("/_probe")
    def probe():
        current_app.logger.info("probe for %s", request.remote_addr)
        return {"remote_addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "dev"])
def test_an_unknown_saas_env_refuses_to_start(tmp_path, value):
    with pytest.raises(ConfigError, match=f"SAAS_ENV={value!r}"):
        load_config({"SAAS_ENV": value, "SECRET_KEY": "k" * 40}, root=tmp_path)


def test_the_command_line_names_the_unknown_saas_env_instead_of_running_in_development(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SAAS_ENV": "prod", "SAAS_ROOT": str(tmp_path), "SECRET_KEY": "k" * 40}
    result = subprocess.run([sys.executable, "-m", "saas", "daily"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "SAAS_ENV='prod'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("setting", ["-1", "two", "1.5"])
def test_trusted_proxies_must_be_a_count(tmp_path, setting):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config({"TRUSTED_PROXIES": setting}, root=tmp_path)


def test_without_trusted_proxies_forwarded_headers_are_ignored(database_url, tmp_path):
    client = _probe_app(database_url, tmp_path).test_client()
    seen = client.get("/_probe", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                                          "X-Forwarded-Host": "evil.example"}).get_json()
    assert seen == {"remote_addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_behind_one_trusted_proxy_the_client_address_comes_from_that_proxy(database_url, tmp_path):
    client = _probe_app(database_url, tmp_path, TRUSTED_PROXIES=1).test_client()
    # The client forged the first address; the proxy appended the one it saw.
    seen = client.get("/_probe", headers={"X-Forwarded-For": "198.51.100.66, 203.0.113.9", "X-Forwarded-Proto": "https",
                                          "X-Forwarded-Host": "hms-sertifikat.no"}).get_json()
    assert seen == {"remote_addr": "203.0.113.9", "scheme": "https", "host": "hms-sertifikat.no"}


def test_a_request_id_from_the_proxy_is_echoed_and_one_is_made_when_missing_or_unsafe(client):
    assert client.get("/login", headers={"X-Request-Id": "req-42.a"}).headers["X-Request-Id"] == "req-42.a"
    made = client.get("/login").headers["X-Request-Id"]
    assert len(made) == 32 and made != client.get("/login").headers["X-Request-Id"]
    replaced = client.get("/login", headers={"X-Request-Id": "x\" injected=1"}).headers["X-Request-Id"]
    assert replaced != "x\" injected=1" and len(replaced) == 32


@pytest.fixture
def json_log(database_url, tmp_path):
    app = _probe_app(database_url, tmp_path, LOG_FORMAT="json")
    (handler,) = [h for h in logging.getLogger().handlers if getattr(h, _HANDLER_MARK, False)]
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        yield app, stream
    finally:
        logging.getLogger().removeHandler(handler)


def test_json_logs_carry_the_request_id(json_log):
    app, stream = json_log
    response = app.test_client().get("/_probe", headers={"X-Request-Id": "abc-123"})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    probe = [entry for entry in lines if entry["message"].startswith("probe for")]
    assert probe and probe[0]["request_id"] == "abc-123" == response.headers["X-Request-Id"]
    assert probe[0]["level"] == "INFO" and probe[0]["path"] == "/_probe" and probe[0]["time"].endswith("+00:00")


def test_an_unknown_log_format_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config({"LOG_FORMAT": "xml"}, root=tmp_path)


def test_sentry_is_not_imported_without_a_dsn(database_url, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # any import of it would now fail
    create_app(app_config(database_url, tmp_path))


def test_a_sentry_dsn_without_the_extra_installed_says_what_to_install(database_url, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    with pytest.raises(ConfigError, match=r"saas\[sentry\]"):
        create_app(app_config(database_url, tmp_path, SENTRY_DSN="https://key@sentry.example/1"))


def test_a_sentry_dsn_initialises_sentry_with_the_flask_integration(database_url, tmp_path, monkeypatch):
    calls = {}
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **kwargs: calls.update(kwargs)
    sdk.set_tag = lambda key, value: calls.setdefault("tags", {}).update({key: value})
    integrations = types.ModuleType("sentry_sdk.integrations")
    flask_integration = types.ModuleType("sentry_sdk.integrations.flask")
    flask_integration.FlaskIntegration = type("FlaskIntegration", (), {})
    for name, module in (("sentry_sdk", sdk), ("sentry_sdk.integrations", integrations),
                         ("sentry_sdk.integrations.flask", flask_integration)):
        monkeypatch.setitem(sys.modules, name, module)
    create_app(app_config(database_url, tmp_path, SENTRY_DSN="https://key@sentry.example/1"))
    assert calls["dsn"] == "https://key@sentry.example/1" and calls["send_default_pii"] is False
    assert [type(i).__name__ for i in calls["integrations"]] == ["FlaskIntegration"]


_SENTRY_PROBE = """
import sys
import sentry_sdk
from tests.conftest import app_config
from saas.app import create_app
from pathlib import Path

app = create_app(app_config(sys.argv[1], Path(sys.argv[2]), SENTRY_DSN=sys.argv[3]))

@app.get("/_boom")
def boom():
    raise RuntimeError("sentry-probe: the error an operator must hear of")

assert app.test_client().get("/_boom").status_code == 500
sentry_sdk.flush(timeout=10)
"""


def test_an_unhandled_error_reaches_a_real_sentry_endpoint(database_url, tmp_path):
    """sentry-sdk, installed, sends the error's envelope to the DSN (a Sentry stand-in on loopback), with the
    exception's type and message, and no cookies or user data (send_default_pii is off)."""
    import gzip
    import threading
    import zlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[str, bytes]] = []

    class Sentry(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            received.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
        result = subprocess.run([sys.executable, "-c", _SENTRY_PROBE, database_url, str(tmp_path), dsn],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.shutdown()
        server.server_close()
    events = [body.decode("utf-8", "replace") for path, body in received if path.startswith("/api/42/")]
    assert any("RuntimeError" in e and "sentry-probe: the error an operator must hear of" in e for e in events), received
    assert not any("session=" in e for e in events)
