"""The floor of this stack: the least a Flask page on the same gunicorn settings can cost.

Issue #16 defines it: a Flask app on the product's gunicorn settings that runs one SELECT of 25 rows out of
2,000 over psycopg 3 (a connection kept per worker) and renders the client list's own HTML.  Two floors:

- ``/t/<slug>/companies/`` (the stack floor, the issue's): Flask renders the product's own
  ``clients/index.html`` with its layout, through Jinja, with the product's URL rules for ``url_for`` and
  the i18n extension for ``_()``.  Nothing else of the product runs: no session, login, CSRF, tenancy,
  row-level security or second query.  `bench/pages.py` checks that this page's HTML is the product's.
- ``/floor/spliced`` (stricter): the same rows rendered by one small Jinja loop into a captured copy of the
  product's page (head, menu and footer as a fixed string).  What Jinja costs for the layout is left out.

and ``/floor/insert``, one INSERT, the write floor of `bench/survey_submit.py`.  No product code is imported:
what the page needs of the product (its URL rules, the signed-in user, the tenant, the filter choices) comes
in a JSON file that `bench/pages.py` writes.

Environment: FLOOR_DATABASE_URL (a libpq URL), FLOOR_CONTEXT (the JSON file; optional for the insert floor),
FLOOR_CHROME (a copy of the product's page whose text holds one ``{rows}`` marker where the table body goes).
Serve: gunicorn --workers 3 --worker-class sync "floor:create_app()"  (from bench/)
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from types import SimpleNamespace

import psycopg
from babel.support import NullTranslations
from flask import Flask, g, render_template, request, url_for
from jinja2 import Environment
from psycopg.rows import namedtuple_row

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE = 25
ROWS = Environment(autoescape=True).from_string(
    "{% for c in rows %}<tr><td><a href=\"/companies/{{ c[0] }}\">{{ c[1] }}</a></td><td class=\"nowrap\">{{ c[2] }}</td>"
    "<td class=\"hide-sm\">{{ c[3] }}</td><td class=\"hide-sm\">{{ c[4] if c[4] is not none else '—' }}</td>"
    "<td>{{ c[5] or '—' }}</td></tr>{% endfor %}")
# The page's rows and, for the heading and the pagination, the total: as an uncorrelated scalar subquery
# that PostgreSQL runs once (a window count would carry all 2,000 rows through a WindowAgg, a slower floor).
SELECT = ("SELECT c.id, c.name, c.org_number, c.city, c.employee_count, u.name AS consultant_name, "
          "c.archived_at IS NOT NULL AS archived, (SELECT count(*) FROM client_companies t WHERE t.tenant_id = %(tenant)s "
          "AND t.archived_at IS NULL) AS total FROM client_companies c LEFT JOIN users u ON u.id = c.consultant_id "
          "WHERE c.tenant_id = %(tenant)s AND c.archived_at IS NULL ORDER BY c.name, c.id LIMIT %(limit)s OFFSET %(offset)s")
# The spliced floor's rows alone (its page chrome, total included, is a fixed string).
ROWS_ONLY = ("SELECT c.id, c.name, c.org_number, c.city, c.employee_count, u.name AS consultant_name FROM client_companies c "
             "LEFT JOIN users u ON u.id = c.consultant_id WHERE c.tenant_id = %(tenant)s AND c.archived_at IS NULL "
             "ORDER BY c.name, c.id LIMIT %(limit)s OFFSET %(offset)s")
INSERT_TABLE = "bench_floor_inserts"


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    url = os.environ["FLOOR_DATABASE_URL"]
    context_file = os.environ.get("FLOOR_CONTEXT")
    context = json.loads(Path(context_file).read_text(encoding="utf-8")) if context_file else None
    state: dict = {}

    def connection() -> psycopg.Connection:
        # One connection per worker process, opened lazily after gunicorn forks (like a pool of one).
        if state.get("pid") != os.getpid() or state["conn"].closed:
            state["conn"] = psycopg.connect(url, autocommit=True, row_factory=namedtuple_row)
            state["pid"] = os.getpid()
        return state["conn"]

    def page_of_rows(query: str = SELECT) -> tuple[int, list]:
        page = max(1, int(request.args.get("page", "1")))
        bounds = dict(tenant=context["tenant"]["id"], limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
        return page, connection().execute(query, bounds).fetchall()

    @app.get("/floor/healthz")
    def floor_health():
        return "ok"

    @app.post("/floor/insert")
    def floor_insert():
        connection().execute(f"INSERT INTO {INSERT_TABLE} (answer) VALUES (%s)", (request.get_data(as_text=True)[:200],))
        return "", 204

    if context is None:
        return app

    def client_list(slug: str):
        page, rows = page_of_rows()
        total = rows[0].total if rows else 0
        g.tenant = tenant
        return render_template(
            "clients/index.html", page=SimpleNamespace(items=rows, total=total, page=page, pages=math.ceil(total / PER_PAGE)),
            flt=SimpleNamespace(q="", consultant_id=None, cert_class="", expiring_days=None, archived=False),
            consultants=context["consultants"], args=request.args, class_filters=context["class_filters"],
            expiry_filters=context["expiry_filters"], current_user=user)

    # The product's URL rules, so that url_for builds the same links; only the client list answers.
    for rule, endpoint, defaults in context["routes"]:
        if endpoint != "static":
            app.add_url_rule(rule, endpoint, client_list if endpoint == "clients.index" else _not_served, defaults=defaults)

    @app.url_defaults
    def tenant_slug(endpoint, values):
        if "slug" not in values and app.url_map.is_endpoint_expecting(endpoint, "slug"):
            values["slug"] = tenant.slug

    tenant = SimpleNamespace(**context["tenant"])
    roles = set(context["user"].pop("roles"))
    user = SimpleNamespace(**context["user"], has_role=lambda *names: bool(roles.intersection(names)))
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_translations(NullTranslations(), newstyle=True)  # bokmål is the source language
    app.jinja_env.filters["orgnr"] = lambda digits: f"{digits[0:3]} {digits[3:6]} {digits[6:9]}"
    app.jinja_env.globals.update(LANGUAGES=context["languages"], get_locale=lambda: "nb", menu_counts=dict,
                                 csrf_token=lambda: context["csrf_token"], has_endpoint=lambda name: name in app.view_functions,
                                 url_pattern=_url_pattern)

    chrome = os.environ.get("FLOOR_CHROME")
    if chrome:
        before, after = Path(chrome).read_text(encoding="utf-8").split("{rows}", 1)

        @app.get("/floor/spliced")
        def floor_spliced():
            _page, rows = page_of_rows(ROWS_ONLY)
            return before + ROWS.render(rows=rows) + after

    return app


def _url_pattern(endpoint: str, key: str, **values):
    """The product's template global of that name (saas.urls.url_pattern), for its integer ids: one url_for."""
    head, _sentinel, tail = url_for(endpoint, **{key: 918273645546372819}, **values).partition("918273645546372819")
    return lambda value: f"{head}{int(value)}{tail}"


def _not_served(**_values):
    return "", 404


def prepare_insert_table(url: str) -> None:
    """The table the write floor inserts into (created once, outside the measured run)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} (id bigserial PRIMARY KEY, answer text, "
                     "created_at timestamptz DEFAULT now())")
