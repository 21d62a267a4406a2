"""A consultant registers a client company in a real browser; tenants and logged-out users are kept out."""
from __future__ import annotations

import re

from saas.demo import DEMO_PASSWORD
from saas.norway import format_org_number, generate_valid_org_numbers
from tests.e2e.conftest import expect, login, screenshot

CONSULTANT = "kari@bedriftstjenesten.no"
OTHER_TENANT_ADMIN = "admin@amp-vest.no"
COMPANIES = "/t/bedriftstjenesten/companies/"
DEMO_COMPANY = "Kongsberg Mek. Verksted AS"  # one of Bedriftstjenesten's demo clients


def open_companies_from_menu(page):
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Kunder", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kunder")


def test_a_consultant_corrects_an_invalid_org_number_and_finds_the_new_company_in_the_list(live_server, page):
    name = "Vestfossen Ventilasjon AS"
    valid_org_number = next(iter(generate_valid_org_numbers(8888, 1)))  # the demo uses prefixes 9105 and 9207
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)

    open_companies_from_menu(page)
    expect(page.get_by_role("table")).to_contain_text(DEMO_COMPANY)
    screenshot(page, "companies-list")
    page.get_by_role("link", name="Ny kunde", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny kunde")

    org_number = page.get_by_role("textbox", name="Organisasjonsnummer", exact=True)
    org_number.fill("123456789")  # the check digit should be 5
    page.get_by_role("textbox", name="Navn", exact=True).fill(name)
    page.get_by_role("textbox", name="Poststed", exact=True).fill("Vestfossen")
    page.get_by_role("spinbutton", name="Antall ansatte", exact=True).fill("17")
    page.get_by_role("checkbox", name="En vesentlig del av arbeidet utføres utenfor egne lokaler").check()
    page.get_by_role("button", name="Lagre", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("Skjemaet har feil.")
    org_field = page.locator(".field", has=org_number)
    expect(org_field).to_have_class(re.compile(r"\berror\b"))
    expect(org_field.locator(".errors")).to_have_text("Organisasjonsnummeret har feil kontrollsiffer.")
    expect(org_number).to_have_attribute("aria-invalid", "true")
    expect(org_number).to_have_accessible_description("Organisasjonsnummeret har feil kontrollsiffer.")
    expect(page.locator(".field.error")).to_have_count(1)  # only the organisation number is wrong
    expect(org_number).to_have_value("123456789")
    expect(page.get_by_role("textbox", name="Navn", exact=True)).to_have_value(name)
    expect(page.get_by_role("textbox", name="Poststed", exact=True)).to_have_value("Vestfossen")
    expect(page.get_by_role("spinbutton", name="Antall ansatte", exact=True)).to_have_value("17")
    expect(page.get_by_role("combobox", name="HMS-rådgiver", exact=True)).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_role("combobox", name="HMS-rådgiver", exact=True).locator("option:checked")).to_have_text("Kari Nordmann")
    expect(page.get_by_role("checkbox", name="En vesentlig del av arbeidet utføres utenfor egne lokaler")).to_be_checked()
    screenshot(page, "company-form-error")

    org_number.fill(valid_org_number)
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="er opprettet")).to_have_text(f"{name} er opprettet.")

    open_companies_from_menu(page)
    page.get_by_role("searchbox", name="Søk").fill(name)
    page.get_by_role("button", name="Vis", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]q=Vestfossen"))
    rows = page.get_by_role("table").locator("tbody tr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kunder (1)")
    expect(rows).to_have_count(1)  # also proves the refused attempt saved nothing
    expect(rows.first.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(rows.first).to_contain_text(format_org_number(valid_org_number))
    expect(rows.first).to_contain_text("Kari Nordmann")


def test_the_total_in_the_list_heading_counts_only_the_tenants_own_companies(live_server, page):
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)
    open_companies_from_menu(page)
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows.first).to_be_visible()

    shown = rows.count()  # the tenant has fewer companies than one page holds
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kunder ({shown})")
    expect(page.get_by_role("table")).not_to_contain_text("Bryggen Fiskemottak AS")  # the other tenant's client


def test_a_user_of_another_tenant_gets_the_404_page(live_server, page):
    login(page, live_server, OTHER_TENANT_ADMIN, DEMO_PASSWORD)

    response = page.goto(live_server + COMPANIES)

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404")
    expect(page.locator("main")).to_contain_text("Siden finnes ikke.")
    expect(page.locator("body")).not_to_contain_text("Bedriftstjenesten")  # not even the tenant's name
    expect(page.locator("body")).not_to_contain_text(DEMO_COMPANY)


def test_after_logout_the_back_button_leads_to_the_login_page(live_server, page):
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)
    open_companies_from_menu(page)
    expect(page.get_by_role("table")).to_contain_text(DEMO_COMPANY)

    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Du er logget ut.")
    page.go_back(wait_until="commit")  # a page restored from the back-forward cache fires no load event

    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
    expect(page.locator("body")).not_to_contain_text(DEMO_COMPANY)


def test_after_logout_reloading_a_tenant_page_leads_to_the_login_page(live_server, page):
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)
    open_companies_from_menu(page)
    other_tab = page.context.new_page()  # the same browser session, as a second tab
    other_tab.goto(live_server + COMPANIES)
    expect(other_tab.get_by_role("table")).to_contain_text(DEMO_COMPANY)

    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Du er logget ut.")
    other_tab.reload()

    expect(other_tab).to_have_url(re.compile(r"/login\?next="))
    expect(other_tab.get_by_role("heading", level=1)).to_have_text("Logg inn")
    expect(other_tab.locator("body")).not_to_contain_text(DEMO_COMPANY)
