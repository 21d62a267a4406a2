"""Every main page against the floor of the stack, in one interleaved run on PostgreSQL.

The product runs under gunicorn exactly as the Procfile's `web` starts it (sync workers, 3 by default) and
the floor app (bench/floor.py: one SELECT of 25 rows over psycopg 3, rendered through the product's own client
list template) runs beside it on the same settings; the bench checks that the floor's page is the product's HTML.
For each page the bench alternates product, floor and the stricter spliced floor (the rows spliced into a captured
copy of the page) for ``--rounds`` rounds of ``--seconds`` seconds each under wrk (closed loop,
``--connections`` connections), then prints the median requests per second of each, the product's ratio to
both floors, and the CPU time the gunicorn workers used per request (from /proc, so a shared machine's load does not enter it).  Statements per request are counted
in-process the same way as every other bench (bench/_common.py: every statement, set_config included).

Data: 2,000 client companies (``--companies``) for one consultant, 300 of them with a certificate, and one
big company with 5 years of history (300 action items, 100 hazards); ANALYZE runs before measuring.

Run: .venv/bin/python bench/pages.py [--companies 2000] [--seconds 5] [--rounds 3] [--only list,home]
Needs PostgreSQL on 127.0.0.1 and wrk (`apt-get install wrk`); the rate limits are counted in Redis on
127.0.0.1 (db 14) as in production when it answers (`--limiter memory` for the embedded default).  Bounded: wrk
runs for a fixed time, the servers are stopped at the end, the database is dropped.
"""
from __future__ import annotations

import argparse
import difflib
import json
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from _common import analyze, bench_app, count_statements, free_port, wait_for_http
from sqlalchemy import insert, select

from saas.auth import create_api_token
from saas.certification.models import (Certificate, CertificateCounter, CertificateEvent, CertificationDecision,
                                       CertificationProposal)
from saas.clients.models import ClientCompany
from saas.hms.models import CertificationYear
from saas.norway import generate_valid_org_numbers
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.conftest import PG_ADMIN_URL, drop_database
from tests.worlds.b_hms import build_company_history

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SLUG = "bench"
LIST = f"/t/{SLUG}/companies/"
EMAIL = "konsulent@bench.example.no"
CERTIFIED = 300


def populate(app, companies: int) -> dict:
    """The tenant, its consultant and companies; returns what the page URLs need."""
    db = app.extensions["saas.db"]
    with app.app_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug=SLUG, name="Bench Bedriftshelse AS")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email=EMAIL)
        reviewer = factories.make_user(session, tenant, roles=("reviewer",), email="leder@bench.example.no")
        tenant_id, consultant_id = tenant.id, consultant.id
        rows = [dict(tenant_id=tenant_id, name=f"Bedrift {i:05d} AS", org_number=org, org_form="AS", city="Kongsberg",
                     employee_count=i % 80, consultant_id=consultant_id)
                for i, org in enumerate(generate_valid_org_numbers(700, companies))]
        with platform_access(session):
            session.execute(insert(ClientCompany), rows)
        bind_tenant(session, tenant_id)
        big = factories.make_company(session, tenant, name="Kongsberg Mek. Verksted AS", consultant_id=consultant_id,
                                     employee_count=38, works_off_premises=True)
        year = build_company_history(session, big, consultant, years=5, actions=300, hazards=100)
        company_ids = session.scalars(select(ClientCompany.id).order_by(ClientCompany.id).limit(CERTIFIED)).all()
        code = _certify(session, company_ids, consultant_id, reviewer.id)
        _token_row, token = create_api_token(session, consultant, "bench")
        return dict(tenant_id=tenant_id, company_id=company_ids[0], year_id=year.id, code=code, token=token)


def _certify(session, company_ids: list[int], consultant_id: int, reviewer_id: int) -> str:
    """A decided year and an active certificate for each company (expiries spread over the next year);
    returns one verification code."""
    today = date.today()
    for n, company_id in enumerate(company_ids, start=1):
        year = CertificationYear(company_id=company_id, year=today.year, consultant_id=consultant_id, status="decided")
        session.add(year)
        session.flush()
        proposal = CertificationProposal(year_id=year.id, cert_class="A", eligible_class="A", ruleset_version="bench",
                                         status="approved", proposed_by=consultant_id)
        session.add(proposal)
        session.flush()
        decision = CertificationDecision(year_id=year.id, proposal_id=proposal.id, outcome="approved", cert_class="A",
                                         eligible_class="A", ruleset_version="bench", facts_snapshot={},
                                         facts_sha256="0" * 64, verdict_snapshot={}, decided_by=reviewer_id,
                                         decided_on=today - timedelta(days=n))
        session.add(decision)
        session.flush()
        issued = today - timedelta(days=n)
        certificate = Certificate(company_id=company_id, year_id=year.id, year=year.year, decision_id=decision.id,
                                  number=f"BENCH-{today.year}-{n:04d}", sequence=n, cert_class="A", issued_on=issued,
                                  valid_until=issued + timedelta(days=364), state="active", state_changed_on=issued,
                                  issued_by=reviewer_id)
        session.add(certificate)
        session.flush()
        session.add(CertificateEvent(certificate_id=certificate.id, from_state=None, to_state="active", on=issued,
                                     reason="Utstedt", by_user_id=reviewer_id))
    session.add(CertificateCounter(last_seq=len(company_ids)))
    session.flush()
    return certificate.verification_code


def pages(data: dict, only: set[str] | None) -> list[tuple[str, str, dict, bool]]:
    """(name, product path, extra headers, signed in); the floor page is the same for all.  The public pages
    are measured as the public sees them (no account) and as a signed-in user of the issuer does."""
    api = {"Authorization": f"Bearer {data['token']}"}
    every = [
        ("client list, page 1", LIST, {}, True),
        ("client list, page 40", f"/t/{SLUG}/companies/?page=40", {}, True),
        ("client list, search", f"/t/{SLUG}/companies/?q=bedrift%2001&sort=-employees", {}, True),
        ("company detail", f"/t/{SLUG}/companies/{data['company_id']}", {}, True),
        ("year page", f"/t/{SLUG}/years/{data['year_id']}", {}, True),
        ("consultant home", f"/t/{SLUG}/work/", {}, True),
        ("public verify", f"/verify/{data['code']}", {}, False),
        ("public verify, signed in", f"/verify/{data['code']}", {}, True),
        ("public register", f"/t/{SLUG}/register", {}, False),
        ("public register, signed in", f"/t/{SLUG}/register", {}, True),
        ("API companies (50)", f"/api/v1/t/{SLUG}/companies?per_page=50", api, False),
    ]
    return [p for p in every if not only or any(word in p[0] for word in only)]


def statement_counts(app, data: dict, chosen: list[tuple[str, str, dict, bool]]) -> dict[str, tuple[int, int]]:
    """Statements per request for every page, through the test client in this process."""
    signed_in, anonymous = app.test_client(), app.test_client()
    signed_in.post("/login", data={"email": EMAIL, "password": factories.PASSWORD})
    engine = app.extensions["saas.db"].engine
    counts = {}
    for name, path, headers, with_login in chosen:
        client = signed_in if with_login else anonymous
        client.get(path, headers=headers)  # warm caches (templates, translations)
        with count_statements(engine) as counter:
            status = client.get(path, headers=headers).status_code
        if status != 200:
            raise SystemExit(f"{path} answered {status} in-process")
        counts[name] = (counter.total, counter.set_config)
    return counts


def start(command: list[str], env: dict, cwd: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
    try:
        wait_for_http(port, "/healthz" if "saas.app" in command[-1] else "/floor/healthz")
    except TimeoutError:
        os.killpg(server.pid, signal.SIGTERM)
        raise
    return server


def stop(servers: list[subprocess.Popen], tmp: Path, url: str) -> None:
    """End the servers ``start`` started (each with what it forked), remove ``tmp`` and drop the database."""
    for server in servers:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    shutil.rmtree(tmp, ignore_errors=True)
    drop_database(url)


def gunicorn(app_spec: str, port: int, workers: int) -> list[str]:
    return [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_spec]


def login_cookie(port: int) -> str:
    """Log in through the real form (CSRF token and all); returns the Cookie header value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    csrf = unescape(re.search(r'name="csrf_token" value="([^"]+)"', html).group(1))
    conn.request("POST", "/login", body=urlencode({"email": EMAIL, "password": factories.PASSWORD, "csrf_token": csrf}),
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"login answered {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def floor_context(app, data: dict) -> dict:
    """What the floor's copy of the client list needs of the product (bench/floor.py renders it without the product)."""
    from saas.clients.services import consultants
    from saas.clients.views import CLASS_FILTERS, EXPIRY_FILTERS
    from saas.i18n import LANGUAGES
    from saas.tenants.models import Tenant, User

    db = app.extensions["saas.db"]
    with app.test_request_context(), db.session_scope() as session:
        bind_tenant(session, data["tenant_id"])
        tenant = session.get(Tenant, data["tenant_id"])
        user = session.scalars(select(User).where(User.email == EMAIL)).one()
        return dict(
            routes=[(rule.rule, rule.endpoint, rule.defaults) for rule in app.url_map.iter_rules()],
            tenant=dict(id=tenant.id, slug=tenant.slug, name=tenant.name, primary_color=tenant.primary_color,
                        accent_color=tenant.accent_color, logo_file=tenant.logo_file),
            user=dict(id=user.id, name=user.name, tenant_id=user.tenant_id, is_authenticated=True, is_operator=user.is_operator,
                      is_staff=user.is_staff, roles=sorted(row.role for row in user.role_rows)),
            consultants=consultants(session), class_filters={key: str(label) for key, label in CLASS_FILTERS.items()},
            expiry_filters=list(EXPIRY_FILTERS), languages=dict(LANGUAGES), csrf_token="floor-csrf-token")


def get_html(port: int, path: str, headers: dict) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}")
    return response.read().decode()


def check_floor_html(product: str, floor: str) -> None:
    """The stack floor must serve the product's own client list HTML (CSRF tokens aside)."""
    def masked(html: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)

    if masked(product) != masked(floor):
        diff = "\n".join(difflib.unified_diff(masked(product).splitlines(), masked(floor).splitlines(), "product", "floor",
                                              lineterm="", n=1))
        raise SystemExit(f"the floor's client list is not the product's HTML:\n{diff[:4000]}")


def capture_chrome(html: str, path: Path) -> None:
    """The product's client list page with its table body replaced by the spliced floor's {rows} marker."""
    head, rest = html.split("<tbody>", 1)
    _rows, tail = rest.split("</tbody>", 1)
    path.write_text(head + "<tbody>{rows}</tbody>" + tail, encoding="utf-8")


# Each request comes from another client address (X-Forwarded-For behind TRUSTED_PROXIES=1), so the public
# pages' per-address rate limits are paid for as in production (a lookup per request) without refusing the
# bench's own traffic.
CLIENTS_LUA = """
local n = 0
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = "127." .. (n % 200 + 1) .. "." .. math.random(1, 250) .. "." .. math.random(1, 250)
  return wrk.format(nil)
end
"""


LIMITER_REDIS = "redis://127.0.0.1:6379/14"


def limiter_storage(kind: str) -> str:
    """The rate limits' storage: Redis as production runs it (REDIS_URL), else memory (the embedded default).
    The public pages are limited per client address, and every request here comes from another one."""
    if kind == "redis":
        try:
            import redis

            redis.Redis.from_url(LIMITER_REDIS, socket_connect_timeout=1).ping()
            return LIMITER_REDIS
        except Exception as error:  # noqa: BLE001 - any failure to reach it: say so and count in memory
            print(f"Redis is not reachable ({error}); rate limits counted in memory", file=sys.stderr)
    return "memory://"


def worker_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn master's worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(port: int, path: str, headers: dict, seconds: int, connections: int, script: Path | None = None,
        master: int | None = None) -> tuple[float, float | None]:
    """(requests per second, the app's CPU milliseconds per request when ``master`` is given)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    if script is not None:
        command += ["-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    cpu = worker_cpu(master) if master else 0.0
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors for {path}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    per_request = (worker_cpu(master) - cpu) * 1000 / requests if master and requests else None
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), per_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    parser.add_argument("--only", default="", help="comma-separated words; measure only pages whose name has one")
    parser.add_argument("--limiter", choices=("redis", "memory"), default="redis",
                        help="where the rate limits are counted: Redis, as in production (the default), or memory")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    os.environ.setdefault("SAAS_TEST_DB", "postgres")

    app = bench_app("saas_bench_pages", TESTING=False)
    url = app.config["DATABASE_URL"]
    data = populate(app, args.companies)
    admin_url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql") + "/" + url.rsplit("/", 1)[1]
    from floor import prepare_insert_table

    prepare_insert_table(admin_url)
    app.extensions["saas.db"].engine.dispose()
    analyze(app)
    chosen = pages(data, {w.strip() for w in args.only.split(",") if w.strip()} or None)
    counts = statement_counts(app, data, chosen)

    tmp = Path(tempfile.mkdtemp(prefix="saas-bench-pages-"))
    context = tmp / "floor.json"
    context.write_text(json.dumps(floor_context(app, data)), encoding="utf-8")
    app.extensions["saas.db"].engine.dispose()
    product_port, floor_port = free_port(), free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=app.config["SECRET_KEY"], SAAS_ENV="production", JOBS_MODE="sync",
               STORAGE_DIR=str(tmp / "files"), SAAS_ROOT=str(tmp), PUBLIC_BASE_URL=f"http://127.0.0.1:{product_port}",
               RATELIMIT_STORAGE_URI=limiter_storage(args.limiter), TRUSTED_PROXIES="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("REDIS_URL", None)
    servers = []
    try:
        servers.append(start(gunicorn("saas.app:create_app()", product_port, args.workers), env, ROOT, product_port))
        cookie = login_cookie(product_port)
        clients = tmp / "clients.lua"
        clients.write_text(CLIENTS_LUA)
        product_list = get_html(product_port, LIST, {"Cookie": cookie})
        chrome = tmp / "chrome.html"
        capture_chrome(product_list, chrome)
        floor_env = dict(env, FLOOR_DATABASE_URL=admin_url, FLOOR_CONTEXT=str(context), FLOOR_CHROME=str(chrome))
        servers.append(start(gunicorn("floor:create_app()", floor_port, args.workers), floor_env, BENCH, floor_port))
        check_floor_html(product_list, get_html(floor_port, LIST, {}))
        floors = [("floor", LIST), ("spliced", "/floor/spliced")]
        print(f"{args.companies} companies, gunicorn {args.workers} sync workers each, wrk {args.connections} connections, "
              f"{args.rounds} interleaved rounds of {args.seconds} s")
        print("floor: bench/floor.py renders the product's client list template from one SELECT (its HTML is the product's); "
              "spliced: the same rows spliced into a captured copy of the page")
        print("app CPU: milliseconds of CPU the gunicorn workers used per request (product / floor / spliced), "
              "PostgreSQL's not counted")
        print(f"{'page':27} {'product/s':>10} {'floor/s':>8} {'ratio':>6} {'spliced/s':>10} {'ratio':>6} {'app CPU ms':>18} "
              f"{'statements':>11}")
        for name, path, headers, with_login in chosen:
            rates: dict[str, list[float]] = {"product": [], "floor": [], "spliced": []}
            cpus: dict[str, list[float]] = {"product": [], "floor": [], "spliced": []}
            for _ in range(args.rounds):
                rate, cpu = wrk(product_port, path, {"Cookie": cookie, **headers} if with_login else headers, args.seconds,
                                args.connections, clients, servers[0].pid)
                rates["product"].append(rate)
                cpus["product"].append(cpu)
                for floor_name, floor_path in floors:
                    rate, cpu = wrk(floor_port, floor_path, {}, args.seconds, args.connections, master=servers[1].pid)
                    rates[floor_name].append(rate)
                    cpus[floor_name].append(cpu)
            p, f, sp = (statistics.median(rates[key]) for key in ("product", "floor", "spliced"))
            pc, fc, sc = (statistics.median(cpus[key]) for key in ("product", "floor", "spliced"))
            total, set_config = counts[name]
            print(f"{name:27} {p:10.1f} {f:8.1f} {f / p:5.1f}× {sp:10.1f} {sp / p:5.1f}× {pc:6.1f} / {fc:3.1f} / {sc:3.1f} "
                  f"{total:5d} ({set_config} set_config)", flush=True)
    finally:
        stop(servers, tmp, url)


if __name__ == "__main__":
    sys.exit(main())
