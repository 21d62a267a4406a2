"""The built wheel is the product: it carries templates, static files, translations, migrations and
alembic.ini, and serves pages from a fresh virtual environment (``python -m saas serve``)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BACKEND, _reachable

SOURCE = Path(__file__).resolve().parents[2]

# Independent of the database backend: run it once, in the PostgreSQL pass when there is one.
pytestmark = pytest.mark.skipif(BACKEND == "sqlite" and _reachable("127.0.0.1", 5432),
                                reason="covered by the PostgreSQL run")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(SOURCE)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("saas-*.whl")
    return built


def test_the_wheel_carries_every_file_the_product_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("saas/alembic.ini", "saas/rls.sql", "saas/migrations/env.py", "saas/migrations/script.py.mako",
                     "saas/templates/base.html", "saas/templates/public/login.html", "saas/static/css/app.css",
                     "saas/translations/en/LC_MESSAGES/messages.mo", "saas/__main__.py"):
        assert expected in names, expected
    migrations = {Path(n).name for n in names if n.startswith("saas/migrations/versions/")}
    assert migrations == {p.name for p in (SOURCE / "migrations" / "versions").glob("*.py")}
    templates = {n.removeprefix("saas/templates/") for n in names if n.startswith("saas/templates/")}
    assert templates == {str(p.relative_to(SOURCE / "templates")) for p in (SOURCE / "templates").rglob("*") if p.is_file()}
    assert not any("__pycache__" in n for n in names)


def test_the_installed_wheel_serves_the_login_page(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from this test run's environment (no network, nothing compiled); a path line in
    # a .pth file does not run that environment's own .pth hooks, so its editable `saas` stays out of sight.
    Path(purelib, "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SAAS_", "DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "PYTHONPATH"))}
    env["SAAS_ROOT"] = str(work)
    located = subprocess.run([str(python), "-c", "import saas; print(saas.__file__)"], cwd=work, env=env,
                             check=True, capture_output=True, text=True).stdout
    assert located.startswith(purelib), located
    for command in ([str(venv / "bin" / "saas"), "--help"], [str(python), "-m", "saas", "--help"]):
        assert "create-tenant" in subprocess.run(command, cwd=work, env=env, check=True, capture_output=True,
                                                 text=True).stdout

    port = _free_port()
    server = subprocess.Popen([str(python), "-m", "saas", "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    status, body = response.status, response.read().decode()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stdout.read().decode()[-3000:])
                time.sleep(0.5)
        assert status == 200
        assert "<title>Logg inn</title>" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/app.css", timeout=5) as response:
            assert response.status == 200
        assert (work / "instance" / "saas.sqlite3").exists()  # migrated from the wheel's own migrations
    finally:
        server.terminate()
        server.wait(timeout=30)
