"""Stripe for the tests: localstripe (a Stripe-compatible HTTP server from PyPI) started on a free loopback
port for the session, the application served for real on loopback so localstripe can deliver webhooks to
it, signed event payloads for what localstripe does not send, and small helpers.

Import the fixtures into a test module: ``from tests.integration.conftest_stripe import *``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from saas.app import create_app
from tests.conftest import app_config, create_database, drop_database

PLATFORM_KEY = "sk_test_platform0000000001"
PLATFORM_WEBHOOK_SECRET = "whsec_platform0000000000001"
TENANT_KEY = "sk_test_tenantownkey000001"
TENANT_WEBHOOK_SECRET = "whsec_tenantownsecret00001"
CONNECT_ACCOUNT = "acct_1TestConnect0001"

__all__ = ["localstripe", "stripe_app", "live_server", "localstripe_call", "signed", "event_payload", "free_port",
           "wait_for", "PLATFORM_KEY", "PLATFORM_WEBHOOK_SECRET", "TENANT_KEY", "TENANT_WEBHOOK_SECRET", "CONNECT_ACCOUNT"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def localstripe_call(base: str, method: str, path: str, data: dict | None = None, key: str = PLATFORM_KEY) -> dict:
    """A raw call to localstripe (for what the product itself never does, e.g. cancel a subscription)."""
    body = urllib.parse.urlencode(data or {}).encode() if data is not None else None
    request = urllib.request.Request(base + path, data=body, method=method, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip() else {}


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """The base URL of a localstripe server that lives as long as the test session."""
    port = free_port()
    executable = Path(sys.executable).with_name("localstripe")
    workdir = tmp_path_factory.mktemp("localstripe")
    log = open(workdir / "localstripe.log", "wb")
    process = subprocess.Popen([str(executable), "--port", str(port), "--from-scratch"], cwd=workdir, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            localstripe_call(base, "GET", "/v1/customers")
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"localstripe did not start; see {workdir / 'localstripe.log'}")
            time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def stripe_app(localstripe, tmp_path_factory):
    """An application on a database of its own (committed transactions, real threads) pointed at localstripe."""
    url = create_database(f"saas_stripe_{os.getpid()}_{free_port()}")
    application = create_app(app_config(
        url, tmp_path_factory.mktemp("stripe"), STRIPE_API_BASE=localstripe, STRIPE_JS_URL=f"{localstripe}/js.stripe.com/v3/",
        STRIPE_SECRET_KEY=PLATFORM_KEY, STRIPE_PUBLISHABLE_KEY="pk_test_platform0000000001",
        STRIPE_WEBHOOK_SECRET=PLATFORM_WEBHOOK_SECRET))
    yield application
    application.extensions["saas.db"].engine.dispose()
    drop_database(url)


@pytest.fixture(scope="module")
def live_server(stripe_app):
    """The application served on a loopback port (a thread per request), so localstripe can call it."""
    port = free_port()
    server = make_server("127.0.0.1", port, stripe_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stripe_app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


def event_payload(event_type: str, obj: dict, event_id: str | None = None, created: int | None = None,
                  account: str | None = None) -> bytes:
    """An event as Stripe sends it (the shape of a recorded delivery, API version 2024-06-20)."""
    event = {"id": event_id or f"evt_test_{hashlib.sha1(os.urandom(8)).hexdigest()[:20]}", "object": "event",
             "api_version": "2024-06-20", "created": created or int(time.time()), "livemode": False,
             "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": event_type,
             "data": {"object": obj}}
    if account:
        event["account"] = account
    return json.dumps(event).encode()


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> dict:
    """The Stripe-Signature header for ``payload`` (HMAC-SHA256 of "<t>.<body>" with the endpoint secret)."""
    timestamp = timestamp or int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy; returns it, or fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(interval)
