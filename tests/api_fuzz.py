"""schemathesis against the real application: a fresh migrated database with two tenants' worlds (one of every
tenant-owned object, tests/worlds/), the application served on a free loopback port, and the schemathesis CLI
run over every operation the OpenAPI document lists, authenticated as tenant A's admin (admin, consultant and
reviewer).  Used by tests/functional/test_openapi_conformance.py (a bounded run) and bench/schemathesis_long.py.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from werkzeug.serving import make_server

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass(frozen=True)
class Served:
    base_url: str
    token: str
    slug: str
    app: object


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_world(name: str) -> Iterator[Served]:
    """The application with two tenants' worlds on a database of its own, served on loopback; dropped after."""
    from saas.app import create_app
    from saas.tenancy import bind_tenant
    from tests import factories
    from tests.conftest import app_config, create_database, drop_database
    from tests.worlds import populate_all

    url = create_database(f"{name}_{os.getpid()}_{_free_port()}")
    storage = Path(tempfile.mkdtemp(prefix="saas-fuzz-"))
    app = create_app(app_config(url, storage, LOGIN_RATE_LIMIT="100000 per minute"))
    server = None
    try:
        with app.app_context(), app.extensions["saas.db"].session_scope() as session:
            worlds = {}
            for key in ("a", "b"):
                tenant = factories.make_tenant(session, slug=f"tenant-{key}", name=f"Tilbyder {key.upper()} AS")
                worlds[key] = populate_all(session, {"tenant": tenant, "key": key})
            bind_tenant(session, None)
            token, slug = worlds["a"]["api_token"], worlds["a"]["tenant"].slug
        port = _free_port()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per case would drown the findings
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="schemathesis-target", daemon=True)
        thread.start()
        yield Served(base_url=f"http://127.0.0.1:{port}", token=token, slug=slug, app=app)
    finally:
        if server is not None:
            server.shutdown()
        app.extensions["saas.db"].engine.dispose()
        drop_database(url)


def run_schemathesis(served: Served, *, max_examples: int, phases: tuple[str, ...] = PHASES, seed: int | None = None,
                     workdir: Path | None = None, timeout: float = 3600, workers: int = 1,
                     extra: tuple[str, ...] = ()) -> dict:
    """Run the schemathesis CLI over every operation of /api/v1/openapi.json; returns its JSON report (with
    ``stdout``: the CLI's own summary, for a failing test's message)."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="schemathesis-"))
    config = workdir / "schemathesis.toml"
    # The slug is the one path parameter the document cannot know; ids come from the worlds and from what
    # the stateful phase creates.  The token is passed through the environment, never on the command line.
    config.write_text('headers = { Authorization = "Bearer ${SAAS_FUZZ_TOKEN}" }\n'
                      f'[parameters]\nslug = "{served.slug}"\n')
    report = workdir / "report.json"
    executable = Path(sys.executable).with_name("schemathesis")
    command = [str(executable), "--config-file", str(config), "run", f"{served.base_url}/api/v1/openapi.json",
               "--checks", ",".join(CHECKS), "--phases", ",".join(phases), "--max-examples", str(max_examples),
               "--workers", str(workers), "--generation-database", "none", "--no-color",
               "--report", "json", "--report-json-path", str(report), "--report-dir", str(workdir), *extra]
    if seed is not None:
        command += ["--seed", str(seed)]
    env = {**os.environ, "SAAS_FUZZ_TOKEN": served.token}
    completed = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report (exit {completed.returncode}):\n{completed.stdout[-4000:]}\n"
                           f"{completed.stderr[-4000:]}")
    result = json.loads(report.read_text())
    result["stdout"] = completed.stdout
    return result


def problems(report: dict) -> list[str]:
    """What the run found: failures, errors, operations it could not test."""
    found = []
    if report["test_cases"]["with_failures"] or report["failures"]:
        found.append(f"{report['test_cases']['unique_failures']} unique failures: {report['failures']}")
    if report["errors"]:
        found.append(f"errors: {report['errors']}")
    operations = report["operations"]
    if operations.get("errored"):
        found.append(f"{operations['errored']} operations errored")
    return found
