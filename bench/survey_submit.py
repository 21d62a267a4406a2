"""Survey submits at saturation against the write floor of the stack, in one interleaved run on PostgreSQL.

The product runs under gunicorn exactly as the Procfile's `web` starts it (sync workers, 3 by default) and
the floor app (bench/floor.py: one INSERT of the posted answers over psycopg 3) beside it on the same
settings.  Each round opens ``--submits`` respondents' answering pages first (cookie, CSRF token, one-time
nonce and a printed one-time code: not measured), then ``--connections`` client threads post their
complete answers as fast as the server takes them; the floor round posts the same number of the same
form bodies to the floor.  Rounds alternate product and floor; the medians of both and their ratio are
printed, with the product's statements per submit (counted in-process, bench/_common.py) and the CPU time per
submit of each server's workers and of PostgreSQL (from /proc, so other load on the machine does not enter it).  Every product
submit must answer 303 and be stored once.  Each round's rate and CPU times are printed too, so a cost that
grows with the stored answers shows.  The database holds ``--history`` earlier answers (another survey's)
before the ANALYZE, as a provider's does after its first year (see ``add_history``).

Run: .venv/bin/python bench/survey_submit.py [--submits 300] [--rounds 3] [--connections 6] [--workers 3]
[--history 20000]
Needs PostgreSQL on 127.0.0.1.  Bounded: every request has a timeout, the servers are stopped at the end,
the database is dropped.
"""
from __future__ import annotations

import argparse
import http.client
import logging
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from _common import bench_app, count_statements, free_port

import survey_load
from floor import prepare_insert_table
from pages import gunicorn, start, stop, worker_cpu

BENCH = Path(__file__).resolve().parent


def saturate(port: int, bodies: list[tuple[str, dict, str]], connections: int) -> tuple[float, list[int]]:
    """POST every (path, headers, body) with ``connections`` threads, each on one kept-alive connection
    (reconnecting when the server closes it); returns (requests per second, statuses)."""
    work: queue.Queue = queue.Queue()
    for item in bodies:
        work.put(item)
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=survey_load.REQUEST_TIMEOUT)
        while True:
            try:
                path, headers, body = work.get_nowait()
            except queue.Empty:
                break
            try:
                connection.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                                     **headers})
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except OSError:
                connection.close()
                status = 0
            with lock:
                statuses.append(status)
        connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(survey_load.DEADLINE)
    return len(bodies) / (time.perf_counter() - started), statuses


def respondents(port: int, prepared: dict, count: int, start_number: int) -> list:
    people = []
    for i in range(count):
        group, code = prepared["codes"].pop()
        person = survey_load.Respondent(port, prepared["shared"], group, prepared["items"], start_number + i, code)
        person.open_page()
        people.append(person)
    return people


def postgres_cpu() -> float:
    """CPU seconds (user + system) used so far by this machine's PostgreSQL processes (its backends hold the
    servers' pooled connections for the whole run, so a round's difference is the round's database work)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, IndexError, ValueError):
            continue
        if name == "postgres":
            fields = fields.split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measured(port: int, master: int, bodies: list, connections: int) -> tuple[float, list[int], float, float]:
    """``saturate`` with the CPU milliseconds per request of the server's workers and of PostgreSQL."""
    app_cpu, db_cpu = worker_cpu(master), postgres_cpu()
    rate, statuses = saturate(port, bodies, connections)
    n = max(1, len(statuses))
    return rate, statuses, (worker_cpu(master) - app_cpu) * 1000 / n, (postgres_cpu() - db_cpu) * 1000 / n


def add_history(app, prepared: dict, responses: int) -> None:
    """Earlier answers in the database, as a provider's has them after a year of surveys: ``responses`` rows of
    another company's survey, inserted by the owner role in one statement.

    Without them the responses table is empty when the workers first run the submit, and psycopg prepares it
    after five runs: PostgreSQL then caches a generic plan that checks the form's nonce by scanning the
    (still tiny) table instead of its unique index, and keeps it until an ANALYZE of the table invalidates it.
    autovacuum's auto-analyze does that on a live server (the operator guide requires autovacuum on); a test
    server with autovacuum off never does, and every submit of the run then scans all the rows stored so far
    (PostgreSQL's CPU per submit grew 0.51 -> 0.88 ms over 5,000 submits, measured on 2026-12-07)."""
    import json
    from datetime import timedelta

    from sqlalchemy import create_engine, select, text

    from saas.surveys.services import oslo_today, surveys
    from saas.tenancy import bind_tenant
    from saas.tenants.models import Tenant, User
    from tests import factories
    from tests.conftest import owner_url

    db = app.extensions["saas.db"]
    today = oslo_today()
    with app.test_request_context(), db.session_scope() as session:
        bind_tenant(session, prepared["tenant_id"])
        tenant = session.get(Tenant, prepared["tenant_id"])
        consultant = session.scalar(select(User).where(User.email == "radgiver@bench.example.no"))
        company = factories.make_company(session, tenant, employee_count=responses)
        survey = surveys.create_survey(session, consultant, tenant, dict(
            company_id=company.id, year=today.year, questionnaire_id=None, title="Tidligere", intro="",
            opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=7), min_group=None, shared_link=True,
            groups=[]))
        surveys.open_survey(session, consultant, tenant, survey, today)
        survey_id = survey.id
    answers = json.dumps({key: 2 for key in prepared["items"]})
    engine = create_engine(owner_url(app.config["DATABASE_URL"]))
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO survey_responses (tenant_id, survey_id, group_id, submitted_on, answers, submit_nonce) "
                "SELECT :tenant, :survey, NULL, :day, CAST(:answers AS json), md5(i::text) FROM generate_series(1, :n) i"),
                dict(tenant=prepared["tenant_id"], survey=survey_id, day=today, answers=answers, n=responses))
    finally:
        engine.dispose()


def statements_per_submit(app, prepared: dict) -> tuple[int, int]:
    """One shared-link submit through the test client in this process, its statements counted."""
    import re
    from html import unescape

    client = app.test_client()
    group, code = prepared["codes"].pop()
    html = client.get(f"/s/{prepared['shared']}").get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    form = {"csrf_token": unescape(hidden.get("csrf_token", "")), "nonce": hidden["nonce"], "page": "99", "nav": "submit",
            "group": group, "code": code, **{f"q_{key}": "2" for key in prepared["items"]}}
    with count_statements(app.extensions["saas.db"].engine) as counter:
        status = client.post(f"/s/{prepared['shared']}", data=form).status_code
    if status != 303:
        raise SystemExit(f"the in-process submit answered {status}")
    return counter.total, counter.set_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=300, help="submits per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    parser.add_argument("--history", type=int, default=20_000,
                        help="earlier answers already in the database (another survey's); see add_history")
    args = parser.parse_args()
    os.environ.setdefault("SAAS_TEST_DB", "postgres")
    for noisy in ("weasyprint", "fontTools", "saas.mail"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = bench_app(f"saas_bench_survey_submit_{os.getpid()}", TESTING=False)
    url = app.config["DATABASE_URL"]
    if not url.startswith("postgresql"):
        raise SystemExit("this bench needs PostgreSQL on 127.0.0.1:5432")
    total = args.submits * args.rounds
    # prepare() prints codes for (respondents - PERSONAL + BASELINE) shared-link respondents
    prepared = survey_load.prepare(app, total + survey_load.PERSONAL - survey_load.BASELINE + 4)
    if args.history:
        add_history(app, prepared, args.history)
    from _common import analyze
    from tests.conftest import PG_ADMIN_URL

    analyze(app)
    admin_url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql") + "/" + url.rsplit("/", 1)[1]
    prepare_insert_table(admin_url)
    statements = statements_per_submit(app, prepared)
    app.extensions["saas.db"].engine.dispose()

    tmp = Path(tempfile.mkdtemp(prefix="saas-bench-survey-submit-"))
    product_port, floor_port = free_port(), free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=app.config["SECRET_KEY"], SAAS_ENV="production", JOBS_MODE="sync",
               STORAGE_DIR=str(tmp / "files"), SAAS_ROOT=str(tmp), PUBLIC_BASE_URL=f"http://127.0.0.1:{product_port}",
               RATELIMIT_STORAGE_URI="memory://", PYTHONDONTWRITEBYTECODE="1")
    env.pop("REDIS_URL", None)
    floor_env = dict(env, FLOOR_DATABASE_URL=admin_url)
    servers = []
    try:
        servers.append(start(gunicorn("saas.app:create_app()", product_port, args.workers), env, survey_load.ROOT, product_port))
        servers.append(start(gunicorn("floor:create_app()", floor_port, args.workers), floor_env, BENCH, floor_port))
        product, floor, cpu = [], [], {"product": [], "floor": []}
        for round_number in range(args.rounds):
            people = respondents(product_port, prepared, args.submits, round_number * args.submits)
            bodies = [(f"/s/{p.token}", {"Cookie": p.cookie}, urlencode(p.form)) for p in people]
            rate, statuses, app_ms, db_ms = measured(product_port, servers[0].pid, bodies, args.connections)
            if any(s != 303 for s in statuses):
                raise SystemExit(f"product submits answered {sorted(set(statuses))}")
            product.append(rate)
            cpu["product"].append((app_ms, db_ms))
            rate, statuses, app_ms, db_ms = measured(floor_port, servers[1].pid,
                                                     [("/floor/insert", {}, body) for _, _, body in bodies], args.connections)
            if any(s != 204 for s in statuses):
                raise SystemExit(f"floor inserts answered {sorted(set(statuses))}")
            floor.append(rate)
            cpu["floor"].append((app_ms, db_ms))
            (pa, pd), (fa, fd) = cpu["product"][-1], cpu["floor"][-1]
            print(f"round {round_number + 1}: product {product[-1]:.1f}/s (CPU ms app {pa:.2f}, PostgreSQL {pd:.2f}), "
                  f"floor {floor[-1]:.1f}/s (app {fa:.2f}, PostgreSQL {fd:.2f})", flush=True)
        p, f = statistics.median(product), statistics.median(floor)
        (p_app, p_db), (f_app, f_db) = ((statistics.median(a for a, _ in cpu[k]), statistics.median(d for _, d in cpu[k]))
                                        for k in ("product", "floor"))
        print(f"{args.submits} submits per round, gunicorn {args.workers} sync workers each, {args.connections} client "
              f"connections, {args.rounds} interleaved rounds")
        print(f"survey submit at saturation: product {p:.1f}/s, floor (one INSERT) {f:.1f}/s, ratio {f / p:.1f}×, "
              f"{statements[0]} statements per submit ({statements[1]} set_config/enter_scope)")
        print(f"CPU ms per submit, product / floor: app {p_app:.2f} / {f_app:.2f}, PostgreSQL {p_db:.2f} / {f_db:.2f}")
    finally:
        stop(servers, tmp, url)


if __name__ == "__main__":
    sys.exit(main())
