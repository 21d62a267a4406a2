"""The floor of this stack: the least a Flask page on the same gunicorn settings can cost.

One SELECT of 25 rows over psycopg 3 (a connection kept per worker) rendered into the product's own client
list HTML, and one INSERT for the write floor.  `bench/pages.py` serves this app beside the product and
prints product, floor and their ratio from one interleaved run; it is no product code.

The page chrome (head, menu, footer) is the product's own rendered client list, captured by pages.py and
handed over in FLOOR_CHROME (a file whose text holds one ``{rows}`` marker where the table body goes).

Environment: FLOOR_DATABASE_URL (a libpq URL), FLOOR_CHROME (path), FLOOR_TENANT_ID (the tenant whose
companies the SELECT reads).
Serve: gunicorn --workers 3 --worker-class sync "floor:create_app()"  (from bench/)
"""
from __future__ import annotations

import os
from pathlib import Path

import psycopg
from flask import Flask, request
from jinja2 import Environment

ROWS = Environment(autoescape=True).from_string(
    "{% for c in rows %}<tr><td><a href=\"/companies/{{ c[0] }}\">{{ c[1] }}</a></td><td class=\"nowrap\">{{ c[2] }}</td>"
    "<td class=\"hide-sm\">{{ c[3] }}</td><td class=\"hide-sm\">{{ c[4] if c[4] is not none else '—' }}</td>"
    "<td>{{ c[5] or '—' }}</td></tr>{% endfor %}")

INSERT_TABLE = "bench_floor_inserts"


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["FLOOR_DATABASE_URL"]
    chrome = Path(os.environ["FLOOR_CHROME"]).read_text(encoding="utf-8")
    before, after = chrome.split("{rows}", 1)
    tenant_id = int(os.environ.get("FLOOR_TENANT_ID", "1"))
    state: dict = {}

    def connection() -> psycopg.Connection:
        # One connection per worker process, opened lazily after gunicorn forks (like a pool of one).
        if state.get("pid") != os.getpid() or state["conn"].closed:
            state["conn"] = psycopg.connect(url, autocommit=True)
            state["pid"] = os.getpid()
        return state["conn"]

    @app.get("/floor/list")
    def floor_list():
        offset = max(0, int(request.args.get("page", "1")) - 1) * 25
        rows = connection().execute(
            "SELECT c.id, c.name, c.org_number, c.city, c.employee_count, u.name FROM client_companies c "
            "LEFT JOIN users u ON u.id = c.consultant_id WHERE c.tenant_id = %s AND c.archived_at IS NULL "
            "ORDER BY c.name LIMIT 25 OFFSET %s", (tenant_id, offset)).fetchall()
        return before + ROWS.render(rows=rows) + after

    @app.post("/floor/insert")
    def floor_insert():
        connection().execute(f"INSERT INTO {INSERT_TABLE} (answer) VALUES (%s)", (request.get_data(as_text=True)[:200],))
        return "", 204

    return app


def prepare_insert_table(url: str) -> None:
    """The table the write floor inserts into (created once, outside the measured run)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} (id bigserial PRIMARY KEY, answer text, "
                     "created_at timestamptz DEFAULT now())")
