"""Probes for a load balancer or an orchestrator.

``/healthz`` is liveness: the process answers HTTP.  It touches nothing else, so a database outage never gets
healthy web processes restarted.  ``/readyz`` is readiness: the database answers a query, Redis answers a
PING (when ``REDIS_URL`` is set) and storage takes a write, a read and a delete, each within
``READYZ_TIMEOUT`` seconds.  Each check runs in a thread of its own that the request waits for only that long,
so a database that accepts connections and never answers fails the probe in seconds instead of hanging it.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


def _database(app: Flask) -> None:
    with app.extensions["saas.db"].engine.connect() as connection:
        if connection.scalar(text("SELECT 1")) != 1:
            raise RuntimeError("SELECT 1 did not answer 1")


def _redis(app: Flask) -> None:
    from redis import Redis

    client = app.extensions.get("saas.readyz_redis")
    if client is None:
        timeout = app.config["READYZ_TIMEOUT"]
        client = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=timeout)
        app.extensions["saas.readyz_redis"] = client
    if not client.ping():
        raise RuntimeError("PING was not answered")


def _storage(app: Flask) -> None:
    from saas import storage

    with app.app_context():
        stored = storage.save_bytes(b"ready", "txt", "readyz.txt", "text/plain")
        try:
            if storage.read(stored.key) != b"ready":
                raise RuntimeError("what was written did not read back")
        finally:
            storage.discard(stored.key)


def _run(check: Callable[[Flask], None], app: Flask, timeout: float) -> dict:
    """Run ``check`` in a daemon thread; wait at most ``timeout`` seconds.  A check still running then is left
    to end on its own (its client timeouts end it) and reported as failed."""
    outcome: dict = {}

    def target():
        try:
            check(app)
            outcome["ok"] = True
        except Exception as error:  # noqa: BLE001  (any failure of a dependency is "not ready")
            outcome["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"

    started = time.monotonic()
    thread = threading.Thread(target=target, name=f"readyz-{check.__name__}", daemon=True)
    thread.start()
    thread.join(timeout)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if thread.is_alive():
        return {"status": "fail", "error": f"no answer within {timeout:g} s", "ms": elapsed_ms}
    if outcome.get("ok"):
        return {"status": "ok", "ms": elapsed_ms}
    return {"status": "fail", "error": outcome.get("error", "failed"), "ms": elapsed_ms}


@bp.get("/readyz")
def readyz():
    app = current_app._get_current_object()
    timeout = app.config["READYZ_TIMEOUT"]
    checks: dict[str, Callable[[Flask], None]] = {"database": _database, "storage": _storage}
    if app.config.get("REDIS_URL"):
        checks["redis"] = _redis
    # The checks run side by side, so the probe takes at most about one timeout whatever fails.
    results: dict[str, dict] = {}
    threads = [threading.Thread(target=lambda n=name, c=check: results.__setitem__(n, _run(c, app, timeout)))
               for name, check in checks.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 1)
    for name in checks:
        results.setdefault(name, {"status": "fail", "error": f"no answer within {timeout:g} s"})
    failing = sorted(name for name, result in results.items() if result["status"] != "ok")
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": results}
    return jsonify(body), 503 if failing else 200
