"""End-to-end setup: the real application on a free port, driven by the system's headless Chromium.

The live server gets a database of its own with committed demo data, so nothing it writes can leak into
the savepoint-per-test database of the other suites.  CSRF protection is on: the real forms must carry
their token.  Playwright's sync API is used on purpose; it refuses to run inside an asyncio loop.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import app_config, create_database, drop_database

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the suite still collects (and skips) without the test extras
    sync_playwright = expect = None

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"  # gitignored: failure screenshots and the screenshots taken for review
CHROMIUM = Path("/usr/bin/chromium")  # Debian's browser; `playwright install` is never run
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
TIMEOUT_MS = 10_000


def _skip_reason() -> str | None:
    if sync_playwright is None:
        return "needs the Python package playwright (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium); browsers are not downloaded"
    return None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so `-m "not e2e"` sees the marker
def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell in teardown whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# -- the live server ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The base URL (``http://127.0.0.1:<port>``) of the application serving the demo data."""
    from saas.app import create_app
    from saas.demo import load_demo

    name = f"saas_e2e_{os.getpid()}"
    url = create_database(name)
    app = create_app(app_config(url, tmp_path_factory.mktemp("e2e"), WTF_CSRF_ENABLED=True))
    database = app.extensions["saas.db"]
    with app.app_context(), database.session_scope() as session:
        load_demo(session)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url  # links in e-mails and PDFs point at this server
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        database.engine.dispose()
        drop_database(url)


# -- the browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            # Playwright turns the back-forward cache off; users' browsers have it on, and it is what would
            # show a logged-out user the previous tenant page on "back".
            ignore_default_args=["--disable-back-forward-cache"],
        )
        expect.set_options(timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


def _save_failure_screenshot(request, page, label: str) -> None:
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or page.is_closed():
        return
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{request.node.name}-{label}")
    try:
        page.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # a dead page must not hide the test's own failure
        print(f"e2e: could not save the failure screenshot for {stem}: {error}")


def _page(browser, request, label: str, **context_options):
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        _save_failure_screenshot(request, page, label)
        context.close()


@pytest.fixture
def page(browser, request):
    """A desktop page in a fresh browser context (no cookies shared with other tests)."""
    yield from _page(browser, request, "desktop", viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(browser, request):
    """A phone-sized touch page in a fresh browser context."""
    yield from _page(browser, request, "phone", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to the artifacts folder for a person to look at; returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def login(page, base_url: str, email: str, password: str) -> None:
    """Log in through the login form; fails with the page's own error message when it is refused."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-post", exact=True).fill(email)
    page.get_by_label("Passord", exact=True).fill(password)
    page.get_by_role("button", name="Logg inn", exact=True).click()
    logged_in, refused = page.get_by_role("button", name="Logg ut", exact=True), page.get_by_role("alert")
    expect(logged_in.or_(refused)).to_be_visible()
    if refused.is_visible():
        pytest.fail(f"login as {email} was refused: {refused.inner_text()}")
