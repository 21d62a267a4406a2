"""Shared bench helpers: a fresh migrated database (PostgreSQL when reachable) and an app on it."""
from __future__ import annotations

import http.client
import os
import socket
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import app_config, create_database  # noqa: E402


def bench_app(name: str, **extra):
    from saas.app import create_app

    url = create_database(name)
    tmp = Path(tempfile.mkdtemp(prefix="saas-bench-"))
    extra.setdefault("PASSWORD_HASHER_PARAMS", {"time_cost": 1, "memory_cost": 1024, "parallelism": 1})
    return create_app(app_config(url, tmp, **extra))


def analyze(app) -> None:
    """ANALYZE the bench database as the owner role: the runtime role owns no table, and PostgreSQL skips
    (with only a warning) every table an ANALYZE by a non-owner names, so an ANALYZE through the app's
    session leaves the planner without statistics (row estimates of 1, nested loops over every row)."""
    from sqlalchemy import create_engine, text

    from tests.conftest import owner_url

    url = app.config["DATABASE_URL"]
    if not url.startswith("postgresql"):
        return
    engine = create_engine(owner_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    print(f"{label}: median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, n={len(samples)} "
          f"(backend {os.environ.get('SAAS_TEST_DB') or 'auto'})")


class StatementCounter:
    total = 0
    set_config = 0  # of total: the tenancy's set_config round trips


@contextmanager
def count_statements(engine):
    """Count every SQL statement the engine runs inside the block, the same way in every bench: all of them,
    with the set_config calls of the tenancy also counted apart."""
    counter = StatementCounter()

    def before(conn, cursor, statement, parameters, context, executemany):
        counter.total += 1
        if "set_config" in statement.lower() or "enter_scope" in statement.lower():
            counter.set_config += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(port: int, path: str, seconds: float = 30) -> None:
    """Wait until GET path on 127.0.0.1:port answers 200; raises TimeoutError."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"127.0.0.1:{port}{path} did not answer 200 within {seconds:.0f} s")
