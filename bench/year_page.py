"""Server time of the year page for a big company: 300 action items, 100 hazards, 5 years of history.

Usage:  .venv/bin/python bench/year_page.py [--requests 50]

Uses DATABASE_URL when set (it is migrated first, and the bench adds its own tenant there); otherwise it
creates a fresh database the way the tests do (PostgreSQL when reachable, see tests.conftest).  Prints
the median and spread of the time the application takes to answer GET /t/<slug>/years/<id> through the
Flask test client, and the number of SQL statements one request runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import count_statements  # noqa: E402


from saas.app import create_app  # noqa: E402
from saas.migrate import upgrade  # noqa: E402
from saas.tenancy import bind_tenant  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import app_config, create_database  # noqa: E402
from tests.worlds.b_hms import build_company_history  # noqa: E402


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        upgrade(url)
        return url
    return create_database("saas_bench_year_page")


def build(app, slug: str) -> tuple[int, str]:
    """A tenant with one consultant and the big company; returns (year id, consultant e-mail)."""
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session, slug=slug, name="Bench Bedriftshelse AS")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email=f"konsulent@{slug}.example.no")
        company = factories.make_company(session, tenant, name="Kongsberg Mek. Verksted AS", consultant_id=consultant.id,
                                         employee_count=38, works_off_premises=True)
        year = build_company_history(session, company, consultant, years=5, actions=300, hazards=100)
        session.flush()
        bind_tenant(session, tenant.id)
        return year.id, consultant.email


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    url = database_url()
    storage = tempfile.mkdtemp(prefix="bench-storage-")
    app = create_app(app_config(url, Path(storage), TESTING=False))
    slug = f"bench-{int(time.time())}"
    year_id, email = build(app, slug)

    client = app.test_client()
    login = client.post("/login", data={"email": email, "password": factories.PASSWORD})
    assert login.status_code == 302, "login failed"
    page = f"/t/{slug}/years/{year_id}"
    assert client.get(page).status_code == 200  # warm-up: template compilation, connection pool

    engine = app.extensions["saas.db"].engine
    with count_statements(engine) as counter:
        assert client.get(page).status_code == 200

    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        response = client.get(page)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    print(f"database:        {engine.dialect.name} ({engine.url.render_as_string(hide_password=True)})")
    print(f"page:            GET {page} (300 action items, 100 hazards, 5 years of history)")
    print(f"requests:        {len(timings)}")
    print(f"median:          {statistics.median(timings):.1f} ms")
    print(f"min / p90 / max: {timings[0]:.1f} / {timings[int(len(timings) * 0.9) - 1]:.1f} / {timings[-1]:.1f} ms")
    print(f"SQL statements:  {counter.total} per request ({counter.set_config} of them set_config)")


if __name__ == "__main__":
    main()
