"""Daily work that flows (issue 13) in a real browser, against the shared live server's demo data:

* a reviewer finds a waiting proposal in the queue (the menu counts it) and decides it;
* a client contact closes an action assigned to them, with a file, from the action's own page, and the
  consultant verifies it;
* a mapping's date, participants and answers survive one save with a file chosen in place in between;
* the consultant's main flow (find the client, open the year, physical mapping with one finding and its
  report, a risk assessment with a hazard, the action plan, psychosocial interviews, the verdict and the
  proposal) takes at most 35 clicks.

Companies: Lågen Rør og Varme AS (Ola's demo client with a complete year) for the queue, Kongsberg Mek.
Verksted AS (Kari's, with a complete year and a contact who logs in) for the action and the mapping, Skrim
Tannlegesenter AS (Ola's, no year yet) for the counted flow.  Other e2e files use other companies.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from saas.demo import DEMO_PASSWORD
from tests import factories
from tests.e2e.conftest import login, screenshot

TENANT = "/t/bedriftstjenesten"
KARI, OLA, SIRI = "kari@bedriftstjenesten.no", "ola@bedriftstjenesten.no", "siri@bedriftstjenesten.no"
KONGSBERG_CONTACT, KONGSBERG_CONTACT_NAME = "kunde1@bedriftstjenesten.no", "Kontakt Kongsberg"
PNG = factories.png_bytes()


def today():
    return datetime.now(ZoneInfo("Europe/Oslo")).date()


def flash(page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text).first).to_be_visible()


def logout(page) -> None:
    page.get_by_role("button", name="Logg ut", exact=True).click()
    expect(page.get_by_role("button", name="Logg inn", exact=True)).to_be_visible()


def year_of(page, base_url: str, company: str) -> str:
    page.goto(f"{base_url}{TENANT}/companies/")
    page.get_by_role("link", name=company, exact=True).click()
    page.get_by_role("link", name=str(today().year), exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Sertifiseringsår {today().year}")
    return page.url


def test_a_reviewer_finds_the_proposal_in_the_queue_and_decides_it(live_server, page):
    login(page, live_server, OLA, DEMO_PASSWORD)
    year_url = year_of(page, live_server, "Lågen Rør og Varme AS")
    page.get_by_role("link", name="Forslag og beslutning").click()
    page.get_by_role("button", name="Send forslag til beslutning").click()
    flash(page, "venter på beslutning")
    logout(page)

    login(page, live_server, SIRI, DEMO_PASSWORD)
    queue_link = page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name=re.compile("^Til beslutning"))
    expect(queue_link.locator(".count")).to_have_text(re.compile(r"[1-9]"))
    expect(page.locator(".notifications-link .count")).to_be_visible()
    queue_link.click()
    row = page.locator("#queue tr[data-proposal-id]").filter(has_text="Lågen Rør og Varme AS")
    expect(row).to_contain_text("Ola Hansen")  # who did the work
    expect(row).to_contain_text("Klasse")
    screenshot(page, "daily-review-queue")
    row.get_by_role("link", name=re.compile("Lågen Rør og Varme AS")).click()
    page.get_by_role("button", name="Godkjenn og utsted sertifikat").click()
    expect(page.get_by_role("status")).to_contain_text("er utstedt i klasse")
    page.goto(f"{live_server}{TENANT}/queue/")
    expect(page.locator("#queue tr[data-proposal-id]").filter(has_text="Lågen Rør og Varme AS")).to_have_count(0)
    logout(page)

    login(page, live_server, OLA, DEMO_PASSWORD)  # the consultant hears about the decision
    page.locator(".notifications-link").click()
    expect(page.locator("#varsler")).to_contain_text("Lågen Rør og Varme AS")
    expect(page.locator("#varsler")).to_contain_text("godkjent")


def test_a_client_contact_closes_an_action_assigned_to_them_with_a_file(live_server, page, tmp_path):
    login(page, live_server, KARI, DEMO_PASSWORD)
    year_url = year_of(page, live_server, "Kongsberg Mek. Verksted AS")
    page.locator("#handlingsplan").get_by_role("link", name="Åpne").click()
    row = page.locator("tr[data-action-id]").filter(has_text="Bytte lysarmaturer på lageret")
    row.get_by_role("checkbox").check()
    bulk = page.locator("#bulk fieldset")
    bulk.get_by_label("Ansvarlig", exact=True).select_option(label=f"{KONGSBERG_CONTACT_NAME} (kontaktperson)")
    bulk.get_by_label("Frist").fill((today() + timedelta(days=20)).isoformat())
    bulk.get_by_role("button", name="Tildel").click()
    flash(page, "tiltak er oppdatert")
    expect(page.locator("tr[data-action-id]").filter(has_text="Bytte lysarmaturer på lageret")).to_contain_text(KONGSBERG_CONTACT_NAME)
    logout(page)

    login(page, live_server, KONGSBERG_CONTACT, DEMO_PASSWORD)
    page.locator(".notifications-link").click()
    page.locator("#varsler").get_by_role("button", name=re.compile("Bytte lysarmaturer")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bytte lysarmaturer på lageret")
    photo = tmp_path / "nye-armaturer.png"
    photo.write_bytes(PNG)
    page.get_by_label("Ny status").select_option("done")
    page.get_by_label("Notat").fill("Nye LED-armaturer er montert.")
    page.get_by_label("Bilde eller fil som dokumenterer tiltaket").set_input_files(str(photo))
    page.get_by_role("button", name="Lagre oppdatering").click()
    flash(page, "Oppdateringen er lagret.")
    expect(page.locator("#bevis")).to_contain_text("nye-armaturer.png")
    expect(page.get_by_text("Venter på verifisering").first).to_be_visible()
    screenshot(page, "daily-client-closed-action")
    action_url = page.url
    logout(page)

    login(page, live_server, KARI, DEMO_PASSWORD)
    page.goto(action_url)
    page.locator("#verifiser").get_by_role("button", name="Godkjenn som utført").click()
    flash(page, "Tiltaket er verifisert.")
    expect(page.get_by_text("Venter på verifisering")).to_have_count(0)


def test_a_mappings_date_participants_and_answers_survive_one_save_with_an_upload_in_between(live_server, page, tmp_path):
    login(page, live_server, KARI, DEMO_PASSWORD)
    year_of(page, live_server, "Kongsberg Mek. Verksted AS")
    page.locator("#fysisk").get_by_role("link", name="Ny kartlegging").click()
    page.get_by_role("button", name="Opprett").click()
    flash(page, "Kartleggingen er opprettet.")
    form = page.locator("#kartleggingsskjema")
    date_done = (today() - timedelta(days=3)).isoformat()
    form.get_by_label("Dato for kartleggingen").fill(date_done)
    form.get_by_label("Deltakere").fill("Daglig leder, verneombud Vera")
    rows = form.locator("tr[id^=punkt-]")
    rows.nth(0).get_by_role("radio", name="OK").check()
    photo = tmp_path / "gulv.png"
    photo.write_bytes(PNG)
    rows.nth(0).get_by_label("Legg ved fil").set_input_files(str(photo))  # the upload, in place
    rows.nth(1).get_by_role("radio", name="Avvik").check()
    rows.nth(1).get_by_role("combobox").select_option("minor")
    rows.nth(1).get_by_role("textbox").first.fill("Løse ledninger over gulvet ved dreiebenken.")
    form.get_by_role("button", name="Lagre svar").click()
    flash(page, "Svarene er lagret.")
    page.reload()
    form = page.locator("#kartleggingsskjema")
    expect(form.get_by_label("Dato for kartleggingen")).to_have_value(date_done)
    expect(form.get_by_label("Deltakere")).to_have_value("Daglig leder, verneombud Vera")
    rows = form.locator("tr[id^=punkt-]")
    expect(rows.nth(0).get_by_role("radio", name="OK")).to_be_checked()
    expect(rows.nth(0).get_by_role("link", name="gulv.png")).to_be_visible()
    expect(rows.nth(1).get_by_role("radio", name="Avvik")).to_be_checked()
    expect(rows.nth(1).get_by_role("textbox").first).to_have_value("Løse ledninger over gulvet ved dreiebenken.")
    expect(rows.nth(1)).to_contain_text("Løse ledninger over gulvet ved dreiebenken.")  # its action's title


class Clicks:
    """Counts what a person does: every click, choice, tick and page load (typing is counted apart)."""

    def __init__(self, page):
        self.page, self.count, self.typed = page, 0, 0

    def click(self, locator):
        self.count += 1
        locator.click()

    def choose(self, locator, value):
        self.count += 1
        locator.select_option(value)

    def tick(self, locator):
        self.count += 1
        locator.check()

    def go(self, url):
        self.count += 1
        self.page.goto(url)

    def type(self, locator, text):
        self.typed += 1
        locator.fill(text)


def test_the_consultants_main_flow_takes_at_most_35_clicks(live_server, page):
    login(page, live_server, OLA, DEMO_PASSWORD)
    c = Clicks(page)
    nav = page.get_by_role("navigation", name="Hovedmeny")
    c.click(nav.get_by_role("link", name="Kunder", exact=True))
    c.click(page.get_by_role("link", name="Skrim Tannlegesenter AS", exact=True))
    c.click(page.get_by_role("link", name="Åpne nytt år"))
    start_from = page.get_by_role("checkbox", name=re.compile("Start fra fjorårets arbeid"))
    if start_from.is_checked():
        c.click(start_from)
    c.click(page.get_by_role("button", name="Åpne året"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Sertifiseringsår {today().year}")
    year_url = page.url

    # Physical mapping with one finding; completing it makes the report.
    c.click(page.locator("#fysisk").get_by_role("link", name="Ny kartlegging"))
    c.type(page.get_by_label("Dato for kartleggingen"), today().isoformat())
    c.type(page.get_by_label("Deltakere"), "Daglig leder, verneombud")
    c.click(page.get_by_role("button", name="Opprett"))
    first = page.locator("#sjekkliste tr[id^=punkt-]").first
    c.tick(first.get_by_role("radio", name="Avvik"))
    c.choose(first.get_by_role("combobox"), "minor")
    c.type(first.get_by_role("textbox").first, "Løs matte ved inngangsdøra.")
    c.tick(page.get_by_label("Sett ubesvarte punkter til OK"))
    c.click(page.get_by_role("button", name="Lagre svar"))
    flash(page, "1 nytt tiltak er lagt i handlingsplanen.")
    c.click(page.get_by_role("button", name="Fullfør kartleggingen"))
    flash(page, "Rapporten lages nå.")
    for _ in range(20):  # the report job runs after the commit; a person reloads until it shows
        if page.locator("#rapport").get_by_text("Gjeldende").count():
            break
        c.go(page.url)
    expect(page.locator("#rapport").get_by_text("Gjeldende")).to_be_visible()

    # Risk assessment with one hazard.
    c.go(year_url)
    c.click(page.locator("#risiko").get_by_role("link", name="Åpne"))
    c.click(page.get_by_text("Ny risikovurdering"))
    c.type(page.get_by_role("textbox", name="Tittel"), "Behandlingsrom og resepsjon")
    c.type(page.get_by_label("Vurdert dato"), today().isoformat())
    c.click(page.get_by_role("button", name="Opprett"))
    hazard = page.locator("#ny-fare")
    c.type(hazard.get_by_label("Fare (hva kan skje)"), "Stikkskader ved rydding av instrumenter")
    c.choose(hazard.get_by_label("Sannsynlighet", exact=True), "2")
    c.choose(hazard.get_by_label("Konsekvens", exact=True), "3")
    c.click(hazard.get_by_role("button", name="Legg til"))
    c.click(page.get_by_role("button", name="Fullfør risikovurderingen"))
    flash(page, "Risikovurderingen er fullført.")

    # The action plan: the finding's action is there with a deadline; start it.
    c.go(year_url)
    c.click(page.locator("#handlingsplan").get_by_role("link", name="Åpne"))
    item = page.locator("tr[data-action-id]").filter(has_text="Løs matte ved inngangsdøra.")
    expect(item).not_to_contain_text("—")  # a deadline and a responsible person came with it
    c.click(item.get_by_role("button", name="Start"))
    flash(page, "Oppdateringen er lagret.")

    # Psychosocial interviews.
    c.go(year_url)
    c.click(page.locator("#psykososial").get_by_role("link", name="Ny kartlegging"))
    c.type(page.get_by_label("Første samtale (dato)"), (today() - timedelta(days=5)).isoformat())
    c.type(page.get_by_label("Siste samtale / fullført (dato)"), today().isoformat())
    c.type(page.get_by_role("spinbutton", name="Antall samtaler"), "6")
    c.type(page.get_by_role("textbox", name="Temaer", exact=True), "Arbeidsmengde, samarbeid og støtte fra leder.")
    c.type(page.get_by_role("textbox", name="Funn", exact=True), "Godt samarbeid; travle mandager.")
    c.type(page.get_by_label("Rapporten gjennomgått med ledelsen (dato)"), today().isoformat())
    c.click(page.get_by_role("button", name="Opprett"))
    c.click(page.get_by_role("button", name="Fullfør kartleggingen"))
    flash(page, "Kartleggingen er fullført.")

    # The verdict and the proposal.
    c.go(year_url)
    expect(page.locator("#klasse")).to_be_visible()
    c.click(page.get_by_role("link", name="Forslag og beslutning"))
    c.click(page.get_by_role("button", name="Send forslag til beslutning"))
    flash(page, "venter på beslutning")
    screenshot(page, "daily-main-flow-done")
    print(f"main flow: {c.count} clicks, {c.typed} typed fields")
    assert c.count <= 35, f"{c.count} clicks"


def test_on_a_phone_the_menu_folds_tables_reflow_and_the_years_work_comes_first(live_server, phone_page):
    page = phone_page
    login(page, live_server, KARI, DEMO_PASSWORD)
    menu, toggle = page.locator("#hovedmeny"), page.get_by_role("button", name="Meny")
    expect(menu).to_be_hidden()
    toggle.click()
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.goto(f"{live_server}{TENANT}/companies/")
    page.get_by_role("link", name="Kongsberg Mek. Verksted AS", exact=True).click()
    page.get_by_role("link", name=str(today().year), exact=True).first.click()
    work, verdict = page.locator("#fysisk").bounding_box(), page.locator("#klasse").bounding_box()
    assert work["y"] < verdict["y"], "the year's work comes before the verdict on a phone"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways ({width}px)"
    screenshot(page, "daily-phone-year")
