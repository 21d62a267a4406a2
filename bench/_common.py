"""Shared bench helpers: a fresh migrated database (PostgreSQL when reachable) and an app on it."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import app_config, create_database  # noqa: E402


def bench_app(name: str, **extra):
    from saas.app import create_app

    url = create_database(name)
    tmp = Path(tempfile.mkdtemp(prefix="saas-bench-"))
    extra.setdefault("PASSWORD_HASHER_PARAMS", {"time_cost": 1, "memory_cost": 1024, "parallelism": 1})
    return create_app(app_config(url, tmp, **extra))


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
