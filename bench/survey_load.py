"""300 respondents submitting a survey at the same moment, against the real application on PostgreSQL.

The application runs under gunicorn exactly as the Procfile starts it (sync workers, default 3), on
127.0.0.1 with a fresh migrated database.  Each respondent first opens the answering page (session cookie,
CSRF token, one-time nonce), then all of them wait at a barrier and submit at once.  240 use the shared
link with a printed one-time code each and 60 personal links from the invitation e-mails; 30 of them double-click (the same form posted
twice at the same time).  Before the burst, 20 more submit one at a time, for the service time without a
crowd.  Afterwards the responses are counted in the database: there must be exactly one per respondent,
none lost and none duplicated, and the report built at closing must count the same.

Run: .venv/bin/python bench/survey_load.py [--workers 3] [--worker-class sync] [--respondents 300]
Bounded: every request has a timeout, the whole run a deadline; the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import logging
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from _common import bench_app

from saas.surveys.models import Survey, SurveyInvitation, SurveyResponse
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import OutboxMessage
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
PERSONAL = 60
DOUBLE_CLICKS = 30
BASELINE = 20  # extra respondents who submit one at a time first: the service time without a crowd
REQUEST_TIMEOUT = 60.0
DEADLINE = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(app, respondents: int) -> dict:
    """A tenant, a company and an open survey with two departments; personal links sent to PERSONAL people."""
    from sqlalchemy import select

    from saas.surveys.services import distribution, oslo_today, surveys

    db = app.extensions["saas.db"]
    today = oslo_today()
    with app.test_request_context(), db.session_scope() as session:
        tenant = factories.make_tenant(session, slug="bench-survey")
        consultant = factories.make_user(session, tenant, roles=("consultant",), email="radgiver@bench.example.no")
        company = factories.make_company(session, tenant, employee_count=respondents)
        survey = surveys.create_survey(session, consultant, tenant, dict(
            company_id=company.id, year=today.year, questionnaire_id=None, title="Lasttest", intro="",
            opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=7), min_group=None, shared_link=True,
            groups=[{"name": "Verksted", "employee_count": respondents + BASELINE},
                    {"name": "Kontor", "employee_count": respondents + BASELINE}]))
        surveys.open_survey(session, consultant, tenant, survey, today)
        first, second = survey.groups
        distribution.invite(session, consultant, tenant, survey, [f"ansatt{i}@bench.example.no" for i in range(PERSONAL)], today,
                            group_id=first.id)
        # Every shared-link respondent types a one-time code from a printed sheet (one sheet per group).
        per_group = (respondents - PERSONAL + BASELINE) // 2 + 1
        # (as many sheets per group as it takes: one sheet prints at most MAX_CODES_PER_SHEET codes)
        sheets = [(str(group.id), [code for start in range(0, per_group, distribution.MAX_CODES_PER_SHEET)
                                   for code in distribution.code_sheet(session, survey, distribution.issue_codes(
                                       session, consultant, survey, min(distribution.MAX_CODES_PER_SHEET, per_group - start),
                                       today, group_id=group.id))["codes"]])
                  for group in (first, second)]
        codes = [(group, code) for pair in zip(*[[(g, c) for c in cs] for g, cs in sheets]) for group, code in pair]
        bodies = session.scalars(select(OutboxMessage.body).where(OutboxMessage.tenant_id == tenant.id)).all()
        tokens = [re.search(r"/s/([A-Za-z0-9_-]{43})", body).group(1) for body in bodies]
        return dict(tenant_id=tenant.id, survey_id=survey.id, shared=survey.public_token, personal=tokens, codes=codes,
                    groups=[str(g.id) for g in survey.groups],
                    items=[i["key"] for i in survey.questionnaire_version.content["items"]])


def start_server(app, port: int, workers: int, worker_class: str, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], SECRET_KEY=app.config["SECRET_KEY"],
               SAAS_ENV="production", JOBS_MODE="sync", STORAGE_DIR=str(tmp / "files"), SAAS_ROOT=str(tmp),
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", RATELIMIT_STORAGE_URI="memory://")
    env.pop("REDIS_URL", None)
    command = [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--worker-class", worker_class,
               "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "120", "--log-level", "warning",
               "saas.app:create_app()"]
    if worker_class == "gthread":
        command[1:1] = ["--threads", "8"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    started = time.monotonic()
    while time.monotonic() - started < 30:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start within 30 s")


class Respondent:
    """One employee: opens the page (cookie, CSRF token, nonce), then submits every answer at once."""

    def __init__(self, port: int, token: str, group: str, items: list[str], number: int, code: str = ""):
        self.port, self.token, self.group, self.items, self.number, self.code = port, token, group, items, number, code
        self.form: dict | None = None
        self.cookie = ""
        self.status: int | None = None
        self.seconds: float | None = None
        self.error = ""

    def _request(self, method: str, body: str | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, f"/s/{self.token}", body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def open_page(self) -> None:
        status, headers, html = self._request("GET")
        if status != 200:
            raise RuntimeError(f"GET /s/… answered {status}")
        self.cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        positions = [(self.number + i) % 5 for i in range(len(self.items))]
        self.form = {"csrf_token": unescape(hidden["csrf_token"]), "nonce": hidden["nonce"], "page": "99", "nav": "submit",
                     "group": self.group, **({"code": self.code} if self.code else {}),
                     **{f"q_{key}": str(p) for key, p in zip(self.items, positions)}}

    def submit(self) -> None:
        started = time.perf_counter()
        try:
            self.status, _headers, _body = self._request("POST", urlencode(self.form))
        except OSError as error:
            self.error = repr(error)
        self.seconds = time.perf_counter() - started


def baseline(port: int, prepared: dict) -> list[float]:
    """Submit times of BASELINE shared-link respondents one after another (nobody else on the server)."""
    times = []
    for i in range(BASELINE):
        group, code = prepared["codes"].pop()
        person = Respondent(port, prepared["shared"], group, prepared["items"], i, code)
        person.open_page()
        person.submit()
        if person.status != 303:
            raise SystemExit(f"baseline submit answered {person.status} {person.error}")
        times.append(person.seconds)
    return sorted(times)


def run(port: int, prepared: dict, respondents: int) -> tuple[list[Respondent], list[Respondent]]:
    people = [Respondent(port, token, prepared["groups"][0], prepared["items"], i) for i, token in enumerate(prepared["personal"])]
    for i in range(len(people), respondents):
        group, code = prepared["codes"].pop()
        people.append(Respondent(port, prepared["shared"], group, prepared["items"], i, code))
    for person in people:  # opening the page is not what is measured; done first, a few at a time
        person.open_page()
    # The double-clickers post the very same form (cookie, CSRF token, nonce) a second time.
    clicks = []
    for person in people[PERSONAL - DOUBLE_CLICKS // 2: PERSONAL + DOUBLE_CLICKS // 2]:
        twin = Respondent(port, person.token, person.group, person.items, person.number, person.code)
        twin.form, twin.cookie = person.form, person.cookie
        clicks.append(twin)
    everyone = people + clicks
    barrier = threading.Barrier(len(everyone), timeout=DEADLINE)

    def go(person: Respondent) -> None:
        barrier.wait()
        person.submit()

    threads = [threading.Thread(target=go, args=(person,), daemon=True) for person in everyone]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DEADLINE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise SystemExit(f"not all submits finished within {DEADLINE:.0f} s")
    return people, clicks


def count_and_close(app, prepared: dict) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from saas.surveys.services import oslo_today, surveys
    from saas.tenants.models import Tenant

    db = app.extensions["saas.db"]
    with db.session_scope() as session, platform_access(session):
        rows = session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == prepared["survey_id"]))
        distinct_nonces = session.scalar(select(func.count(func.distinct(SurveyResponse.submit_nonce)))
                                         .where(SurveyResponse.survey_id == prepared["survey_id"]))
        claimed = session.scalar(select(func.count(SurveyInvitation.id)).where(
            SurveyInvitation.survey_id == prepared["survey_id"], SurveyInvitation.kind == "email",
            SurveyInvitation.responded.is_(True)))
    with app.test_request_context(), db.session_scope() as session:
        bind_tenant(session, prepared["tenant_id"])
        survey = session.get(Survey, prepared["survey_id"])
        surveys.close_survey(session, None, session.get(Tenant, prepared["tenant_id"]), survey, oslo_today())
        reported = survey.report["data"]["total"]["respondents"]
    assert distinct_nonces == rows
    return rows, claimed, reported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 3)))
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--respondents", type=int, default=300)
    args = parser.parse_args()
    app = bench_app(f"saas_bench_survey_load_{os.getpid()}")
    for noisy in ("weasyprint", "fontTools", "saas.mail"):  # the PDF at closing, the invitation e-mails
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not app.config["DATABASE_URL"].startswith("postgresql"):
        raise SystemExit("this bench needs PostgreSQL on 127.0.0.1:5432")
    prepared = prepare(app, args.respondents)
    port, tmp = free_port(), Path(tempfile.mkdtemp(prefix="saas-survey-load-"))
    server = start_server(app, port, args.workers, args.worker_class, tmp)
    try:
        alone = baseline(port, prepared)
        started = time.perf_counter()
        people, clicks = run(port, prepared, args.respondents)
        wall = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    rows, claimed, reported = count_and_close(app, prepared)
    app.extensions["saas.db"].engine.dispose()
    from tests.conftest import drop_database

    drop_database(app.config["DATABASE_URL"])

    ok = [p for p in people if p.status == 303]
    failed = [p for p in people + clicks if p.status != 303]  # a double click is answered with the thank-you page too
    times = sorted(p.seconds for p in people if p.seconds is not None)
    p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
    print(f"server: gunicorn {args.workers} × {args.worker_class} workers on 127.0.0.1, PostgreSQL, CSRF on")
    print(f"respondents: {len(people)} ({len(prepared['personal'])} personal links, {len(people) - len(prepared['personal'])} shared), "
          f"+{len(clicks)} simultaneous double clicks; all {len(people) + len(clicks)} submits released at once")
    print(f"submit answers: {len(ok)} × 303 for respondents, {sum(1 for c in clicks if c.status == 303)} × 303 for double clicks, "
          f"{len(failed)} failed {sorted({(p.status, p.error) for p in failed})[:5]}")
    print(f"submit time alone ({BASELINE} one at a time): median {statistics.median(alone) * 1000:.0f} ms, max {alone[-1] * 1000:.0f} ms")
    print(f"submit time: median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {times[-1] * 1000:.0f} ms; all done in {wall:.1f} s")
    expected = len(people) + BASELINE
    print(f"responses stored: {rows} (expected {expected}): lost {max(0, expected - rows)}, duplicated {max(0, rows - expected)}; "
          f"personal links claimed: {claimed}/{len(prepared['personal'])}; report at closing counts {reported}")
    if rows != expected or claimed != len(prepared["personal"]) or reported != expected or failed:
        raise SystemExit("FAILED: responses lost, duplicated or refused")


if __name__ == "__main__":
    sys.exit(main())
