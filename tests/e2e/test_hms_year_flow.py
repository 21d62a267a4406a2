"""A consultant completes a certification year for a demo client in a real browser: a physical mapping with
findings, a risk assessment, the action plan, psychosocial interviews and the reports.  The client contact
then logs in and closes an action item with an uploaded file, and the consultant verifies it.

Runs against the shared live server (demo data, CSRF on).  Sølvbyen Regnskap AS is one of Kari's demo
clients whose contact (kunde3) has a login; other e2e tests use other companies.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from saas.demo import DEMO_PASSWORD
from tests.e2e.conftest import login, screenshot

TENANT = "/t/bedriftstjenesten"
CONSULTANT, CONSULTANT_NAME = "kari@bedriftstjenesten.no", "Kari Nordmann"
CLIENT, CLIENT_NAME = "kunde3@bedriftstjenesten.no", "Kontakt Sølvbyen"
COMPANY = "Sølvbyen Regnskap AS"
OTHER_COMPANY = "Fjellheim Barnehage SA"  # another of Kari's demo clients, for the upload checks
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REPORT_WAIT_MS = 60_000  # a report is a WeasyPrint job; the live server runs jobs right after the commit


def today():
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def flash(page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def logout(page) -> None:
    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("button", name="Logg inn", exact=True)).to_be_visible()


def open_the_year(page, base_url: str) -> str:
    page.goto(f"{base_url}{TENANT}/companies/")
    page.get_by_role("link", name=COMPANY, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    page.get_by_role("link", name="Åpne nytt år").click()
    page.get_by_role("spinbutton", name="År").fill(str(today().year))
    page.get_by_role("checkbox", name=re.compile("Start fra fjorårets arbeid")).uncheck()  # the client's first year
    page.get_by_role("button", name="Åpne året").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Sertifiseringsår {today().year}")
    return page.url


def physical_mapping_with_findings(page, year_url: str) -> None:
    page.locator("#fysisk").get_by_role("link", name="Ny kartlegging").click()
    page.get_by_label("Dato for kartleggingen").fill(today().isoformat())
    page.get_by_label("Deltakere").fill("Daglig leder, verneombud, HMS-rådgiver")
    page.get_by_role("button", name="Opprett").click()
    flash(page, "Kartleggingen er opprettet.")

    rows = page.locator("#sjekkliste tr[id^=punkt-]")
    expect(rows.first).to_be_visible()
    first, second = rows.nth(0), rows.nth(1)
    first.get_by_role("radio", name="Avvik").check()
    first.get_by_role("combobox").select_option("serious")
    first.get_by_role("textbox").first.fill("Nødutgangen er sperret av esker.")
    second.get_by_role("radio", name="Avvik").check()
    second.get_by_role("combobox").select_option("minor")
    second.get_by_role("textbox").first.fill("Mangler merking av rømningsvei.")
    page.get_by_label("Sett ubesvarte punkter til OK").check()
    page.get_by_role("button", name="Lagre svar").click()
    flash(page, "2 nye tiltak er lagt i handlingsplanen.")

    page.get_by_role("button", name="Fullfør kartleggingen").click()
    flash(page, "Kartleggingen er fullført.")
    page.get_by_label("Rapporten gjennomgått med ledelsen (dato)").fill(today().isoformat())
    page.get_by_role("button", name="Lagre", exact=True).first.click()
    flash(page, "Kartleggingen er lagret.")
    page.get_by_role("button", name="Lag rapport (PDF)").click()
    assert _report_ready(page), "the physical mapping report was not made"
    expect(page.locator("#rapport").get_by_role("link", name=re.compile(r"\.pdf$")).first).to_be_visible()
    screenshot(page, "hms-year-physical-mapping")


def _report_ready(page) -> bool:
    """Reload until the report job has finished (the job runs after the request's commit)."""
    deadline = datetime.now() + timedelta(milliseconds=REPORT_WAIT_MS)
    while datetime.now() < deadline:
        if page.locator("#rapport").get_by_text("Gjeldende").count():
            return True
        page.wait_for_timeout(500)
        page.reload()
    return False


def risk_assessment(page, year_url: str) -> None:
    page.goto(year_url)
    page.locator("#risiko").get_by_role("link", name="Åpne").click()
    page.get_by_text("Ny risikovurdering").click()
    page.get_by_role("textbox", name="Tittel").fill("Kontor og arkiv")
    page.get_by_label("Vurdert dato").fill(today().isoformat())
    page.get_by_role("button", name="Opprett").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kontor og arkiv")
    assessment_url = page.url
    new = page.locator("#ny-fare")
    new.get_by_label("Fare (hva kan skje)").fill("Fall ved henting av permer fra høye hyller")
    new.get_by_label("Sted eller aktivitet").fill("Arkivrommet")
    new.get_by_label("Sannsynlighet", exact=True).select_option("3")
    new.get_by_label("Konsekvens", exact=True).select_option("3")
    new.get_by_label("Tiltak", exact=True).fill("Kjøpe gardintrapp")
    new.get_by_label("Sannsynlighet etter tiltak").select_option("1")
    new.get_by_label("Konsekvens etter tiltak").select_option("3")
    new.get_by_role("button", name="Legg til").click()
    hazard = page.locator("tr[data-hazard-id]").filter(has_text="Fall ved henting")
    expect(hazard).to_be_visible()
    hazard.get_by_role("button", name="Legg tiltak i handlingsplanen").click()
    flash(page, "Tiltakene er lagt i handlingsplanen.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kjøpe gardintrapp")
    page.goto(assessment_url)
    expect(page.locator("tr[data-hazard-id]").filter(has_text="Fall ved henting")
           .get_by_role("link", name="Se tiltak i handlingsplanen")).to_be_visible()
    page.locator(".spread").get_by_role("link", name="Rediger", exact=True).click()
    page.get_by_role("combobox", name="Status").select_option("completed")
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fullført")


def assign_the_finding_to_the_client(page, year_url: str) -> str:
    page.goto(year_url)
    page.locator("#handlingsplan").get_by_role("link", name="Åpne").click()
    expect(page.locator("tr[data-action-id]")).to_have_count(3)  # two findings and the hazard's measure
    link = page.locator("tr[data-action-id]").filter(has_text="Alvorlig avvik").get_by_role("link").first
    title = link.inner_text().strip()
    link.click()
    page.get_by_role("link", name="Rediger", exact=True).click()
    page.get_by_role("combobox", name="Ansvarlig bruker").select_option(label=f"{CLIENT_NAME} (kontaktperson)")
    page.get_by_label("Frist").fill((today() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Lagre").click()
    flash(page, "Endringene er lagret.")
    return title


def psychosocial_interviews(page, year_url: str) -> None:
    page.goto(year_url)
    page.locator("#psykososial").get_by_role("link", name="Ny kartlegging").click()
    page.get_by_label("Første samtale (dato)").fill((today() - timedelta(days=7)).isoformat())
    page.get_by_label("Siste samtale / fullført (dato)").fill(today().isoformat())
    page.get_by_role("spinbutton", name="Antall samtaler").fill("7")
    page.get_by_role("textbox", name="Temaer", exact=True).fill("Arbeidsmengde og tidspress i årsoppgjøret; støtte fra leder og kolleger.")
    page.get_by_role("textbox", name="Funn", exact=True).fill("Høyt tidspress i januar–mars. Ellers godt samarbeid.")
    page.get_by_label("Rapporten gjennomgått med ledelsen (dato)").fill(today().isoformat())
    page.get_by_role("button", name="Opprett").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Psykososial kartlegging")
    page.get_by_role("button", name="Fullfør kartleggingen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fullført")
    page.get_by_role("button", name="Lag rapport (PDF)").click()
    assert _report_ready(page), "the psychosocial report was not made"


def test_a_consultant_completes_a_year_and_the_client_closes_an_item_that_the_consultant_verifies(live_server, page, tmp_path):
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)
    year_url = open_the_year(page, live_server)
    physical_mapping_with_findings(page, year_url)
    risk_assessment(page, year_url)
    item_title = assign_the_finding_to_the_client(page, year_url)
    psychosocial_interviews(page, year_url)

    page.goto(year_url)
    expect(page.locator("#fysisk")).to_contain_text("Fullført")
    expect(page.locator("#fysisk")).to_contain_text("Rapport")
    expect(page.locator("#psykososial")).to_contain_text("Fullført")
    expect(page.locator("#risiko")).to_contain_text("Kontor og arkiv")
    screenshot(page, "hms-year-overview")
    logout(page)

    # The client contact closes the item with a file, from their own home.
    login(page, live_server, CLIENT, DEMO_PASSWORD)
    page.goto(f"{live_server}{TENANT}/work/mine")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitt HMS-arbeid")
    item = page.get_by_role("article").filter(has=page.get_by_role("heading", name=item_title))
    expect(item).to_be_visible()
    receipt = tmp_path / "ryddet-nodutgang.pdf"
    receipt.write_bytes(PDF)
    item.get_by_label("Status").select_option("done")
    item.get_by_label("Notat").fill("Eskene er flyttet og nødutgangen er fri. Bilde av utgangen vedlagt.")
    item.get_by_label("Fil (valgfri)").set_input_files(str(receipt))
    item.get_by_role("button", name="Lagre oppdatering").click()
    flash(page, f"«{item_title}» er oppdatert.")
    item = page.get_by_role("article").filter(has=page.get_by_role("heading", name=item_title))
    expect(item).to_contain_text("Utført")
    expect(item.get_by_role("link", name="ryddet-nodutgang.pdf")).to_be_visible()
    expect(item).to_contain_text("Venter på godkjenning")
    screenshot(page, "hms-client-home")
    logout(page)

    # The consultant sees the file on the home page and verifies it.
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)
    page.goto(f"{live_server}{TENANT}/work/")
    waiting = page.locator("#filer")
    expect(waiting).to_contain_text(COMPANY)
    screenshot(page, "hms-consultant-home")
    waiting.get_by_role("link", name="ryddet-nodutgang.pdf").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ryddet-nodutgang.pdf")
    page.get_by_role("combobox", name="Vurdering").select_option("verified")
    page.get_by_label("Merknad (påkrevd ved avvisning)").fill("Bekreftet: nødutgangen er fri.")
    page.get_by_role("button", name="Lagre vurdering").click()
    flash(page, "Filen er godkjent.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dette trenger oppmerksomhet")  # back where the work started
    expect(page.locator("#filer")).not_to_contain_text("ryddet-nodutgang.pdf")
    page.go_back()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Godkjent")
    expect(page.get_by_role("table")).to_contain_text(CONSULTANT_NAME)
    expect(page.get_by_role("table")).to_contain_text(today().strftime("%d.%m.%Y"))
    screenshot(page, "hms-evidence-verified")


def test_a_too_large_file_gets_a_clear_norwegian_message_in_the_browser(live_server, page, tmp_path):
    login(page, live_server, CONSULTANT, DEMO_PASSWORD)
    page.goto(f"{live_server}{TENANT}/companies/")
    page.get_by_role("link", name=OTHER_COMPANY, exact=True).click()
    page.get_by_role("link", name="Åpne nytt år").click()
    page.get_by_role("spinbutton", name="År").fill(str(today().year))
    page.get_by_role("checkbox", name=re.compile("Start fra fjorårets arbeid")).uncheck()
    page.get_by_role("button", name="Åpne året").click()
    page.locator("#fysisk").get_by_role("link", name="Ny kartlegging").click()
    page.get_by_role("button", name="Opprett").click()
    page.get_by_role("link", name="Last opp rapport i stedet").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport fra fysisk kartlegging")
    upload_url = page.url

    big = tmp_path / "stor-rapport.pdf"
    big.write_bytes(PDF + b"0" * (25 * 1024 * 1024))
    page.get_by_label(re.compile(r"^Fil\b")).set_input_files(str(big))
    page.get_by_role("button", name="Last opp", exact=True).click()
    expect(page.get_by_text("Filen er for stor. Største tillatte størrelse er 20 MB.")).to_be_visible()
    page.goto(upload_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport fra fysisk kartlegging")

    script = tmp_path / "rapport.pdf"
    script.write_bytes(b"#!/bin/sh\necho hei\n")
    page.get_by_label(re.compile(r"^Fil\b")).set_input_files(str(script))
    page.get_by_role("button", name="Last opp", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("Skjemaet har feil.")
    expect(page.locator("#e-file")).to_contain_text("Filtypen er ikke tillatt")
    expect(page.get_by_label(re.compile(r"^Fil\b"))).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Ingen filer ennå.")).to_be_visible()
