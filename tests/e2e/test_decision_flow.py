"""A consultant proposes a class, a reviewer decides, the certificate shows as active; a consultant who is
also a reviewer cannot decide a year they worked on (impartiality is a rule, not a setting).  In a real browser.

The live server here has the demo data plus the demo HMS work (saas.certification.demo.load_demo_work),
and Kari is both consultant and reviewer, as at a small provider where one person may hold both roles.
"""
from __future__ import annotations

import os
import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from saas.demo import DEMO_PASSWORD
from tests.conftest import app_config, create_database
from tests.conftest import drop_database
from tests.e2e.conftest import login, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # collected and skipped by the e2e conftest without the test extras
    expect = None

TENANT = "/t/bedriftstjenesten"
CONSULTANT, REVIEWER, ADMIN = "kari@bedriftstjenesten.no", "siri@bedriftstjenesten.no", "admin@bedriftstjenesten.no"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from saas.app import create_app
    from saas.certification.demo import load_demo_work
    from saas.demo import load_demo
    from saas.tenancy import bind_tenant, platform_access
    from saas.tenants.models import Tenant, User
    from saas.tenants.services import set_roles

    name = f"saas_e2e_cert_{os.getpid()}"
    url = create_database(name)
    app = create_app(app_config(url, tmp_path_factory.mktemp("e2e-cert"), WTF_CSRF_ENABLED=True))
    database = app.extensions["saas.db"]
    with app.app_context(), database.session_scope() as session:
        load_demo(session)
        with platform_access(session):
            tenants = session.scalars(select(Tenant).order_by(Tenant.id)).all()
            kari = session.scalar(select(User).where(User.email == CONSULTANT))
        for tenant in tenants:
            load_demo_work(session, tenant)
        bind_tenant(session, kari.tenant_id)
        set_roles(session, kari, ["consultant", "reviewer"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-cert-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        database.engine.dispose()
        drop_database(url)


def open_year_from_the_yearly_run(page, base_url: str, company: str) -> str:
    """Start the yearly run, find the company in its table and open its year; returns the year's URL."""
    page.goto(f"{base_url}{TENANT}/certification/yearly-run")
    page.get_by_role("button", name="Start gjennomgangen").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text(company)
    screenshot(page, "certification-yearly-run")
    page.get_by_role("link", name=company, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(company)
    return page.url


def propose_highest_class(page, expected: str) -> None:
    expect(page.locator("[data-eligible]").first).to_have_attribute("data-eligible", expected)
    expect(page.get_by_role("combobox", name="Klasse", exact=True)).to_have_value(expected)
    page.get_by_role("button", name="Send forslag til beslutning").click()
    expect(page.get_by_role("status")).to_have_text(f"Klasse {expected} er foreslått og venter på beslutning.")
    expect(page.get_by_role("heading", name="Forslag som venter på beslutning")).to_be_visible()


def new_page(browser):
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1280, "height": 900})
    return context, context.new_page()


def test_a_consultant_proposes_a_reviewer_decides_and_the_certificate_is_active(server, page, browser):
    login(page, server, CONSULTANT, DEMO_PASSWORD)
    year_url = open_year_from_the_yearly_run(page, server, "Lågen Rør og Varme AS")
    screenshot(page, "certification-year-verdict")
    propose_highest_class(page, "A")

    context, reviewer = new_page(browser)
    try:
        login(reviewer, server, REVIEWER, DEMO_PASSWORD)
        reviewer.goto(year_url)
        expect(reviewer.get_by_text("Kari Nordmann foreslo")).to_be_visible()
        reviewer.get_by_role("button", name="Godkjenn og utsted sertifikat").click()

        expect(reviewer.get_by_role("status")).to_contain_text("er utstedt i klasse A")
        heading = reviewer.get_by_role("heading", level=1)
        expect(heading).to_contain_text(re.compile(r"Sertifikat HMS-\d{4}-\d{4}"))
        expect(heading.locator("[data-state]")).to_have_text("Gyldig")
        expect(reviewer.locator("#historikk")).to_contain_text("Utstedt i klasse A etter beslutning.")
        screenshot(reviewer, "certification-certificate-active")
    finally:
        context.close()

    page.goto(year_url)
    expect(page.locator("#sertifikat [data-state]")).to_have_text("Gyldig")


def test_a_consultant_who_is_also_a_reviewer_cannot_decide_a_year_they_worked_on(server, page, browser):
    # No setting to turn on: impartiality is a rule (issue 12).
    login(page, server, CONSULTANT, DEMO_PASSWORD)
    year_url = open_year_from_the_yearly_run(page, server, "Kongsberg Mek. Verksted AS")
    propose_highest_class(page, "A+")
    blocked = page.locator("[data-decide-blocked]")
    expect(blocked).to_contain_text("Du kan ikke beslutte for dette året fordi du ikke er upartisk")
    expect(blocked).to_contain_text("HMS-rådgiver for året")
    expect(page.get_by_role("button", name="Godkjenn og utsted sertifikat")).to_have_count(0)
    screenshot(page, "certification-impartial-blocked")

    context, reviewer = new_page(browser)
    try:
        login(reviewer, server, REVIEWER, DEMO_PASSWORD)
        reviewer.goto(year_url)
        reviewer.get_by_role("button", name="Godkjenn og utsted sertifikat").click()
        expect(reviewer.get_by_role("heading", level=1).locator("[data-state]")).to_have_text("Gyldig")
        expect(reviewer.locator("dl.facts")).to_contain_text("Klasse A+")
    finally:
        context.close()
