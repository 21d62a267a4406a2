"""A consultant publishes a survey in the browser and prints one-time codes; an employee answers it on a phone
through the shared link with a code, with no login, and the answers given so far survive leaving the page."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from saas.demo import DEMO_PASSWORD
from tests.e2e.conftest import login, screenshot

CONSULTANT = "kari@bedriftstjenesten.no"
COMPANY = "Kongsberg Mek. Verksted AS"


def publish_survey(page, base_url: str) -> str:
    """Create and publish a survey with two departments; returns its shared link."""
    login(page, base_url, CONSULTANT, DEMO_PASSWORD)
    page.goto(f"{base_url}/t/bedriftstjenesten/surveys/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny spørreundersøkelse")
    page.locator("#f-company_id").select_option(label=COMPANY)
    page.get_by_role("textbox", name="Tittel").fill("Trivsel på verkstedet")
    page.get_by_role("textbox", name="Grupper (avdelinger), én per linje").fill("Verksted; 24\nKontor; 9")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="opprettet som utkast")).to_be_visible()
    page.get_by_role("button", name="Publiser", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="er publisert")).to_be_visible()
    link = page.get_by_role("textbox", name="Lenke til undersøkelsen").input_value()
    assert re.fullmatch(rf"{re.escape(base_url)}/s/[A-Za-z0-9_-]{{43}}", link)
    expect(page.locator(".qr svg")).to_be_visible()
    screenshot(page, "survey-detail")
    return link


def print_codes(page, department: str, count: int) -> list[str]:
    """On the survey's page, make a sheet of one-time codes for ``department``; returns its codes and goes back."""
    detail = page.url
    page.locator("#f-code-group").select_option(label=department)
    page.get_by_role("spinbutton", name="Antall koder").fill(str(count))
    page.get_by_role("button", name="Lag kodeark").click()
    expect(page.locator(".slip .code")).to_have_count(count)
    screenshot(page, "survey-code-sheet")
    codes = page.locator(".slip .code").all_inner_texts()
    page.goto(detail)
    return codes


def answer_current_page(phone, position: int) -> None:
    """Tick the option at ``position`` (0 = first) of every question on the page (scales differ)."""
    for fieldset in phone.locator("fieldset").all():
        fieldset.get_by_role("radio").nth(position).check()


def test_an_employee_answers_a_survey_on_a_phone_through_the_shared_link(live_server, page, phone_page):
    link = publish_survey(page, live_server)
    code = print_codes(page, "Verksted (24 ansatte)", 3)[0]
    phone = phone_page

    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Trivsel på verkstedet")
    expect(phone.get_by_text("Undersøkelsen er anonym.")).to_be_visible()
    expect(phone.get_by_role("button", name="Logg ut")).to_have_count(0)  # nobody is logged in here
    phone.get_by_role("textbox", name="Svarkode").fill(code.lower())  # the department comes with the code
    phone.get_by_role("button", name="Start", exact=True).click()
    expect(phone.get_by_text("Du svarer for avdeling: Verksted")).to_be_visible()

    progress = phone.locator(".steps")
    expect(progress).to_contain_text(re.compile(r"Side 1 av (\d+)"))
    total = int(re.search(r"Side 1 av (\d+)", progress.inner_text()).group(1))
    answer_current_page(phone, 1)
    first_question = phone.locator("fieldset").first.locator("legend").inner_text()
    phone.get_by_role("button", name="Neste").click()
    expect(progress).to_contain_text(f"Side 2 av {total}")
    screenshot(phone, "survey-phone-page-2")

    # Leaving the page and opening the link again keeps what was answered (in this browser only).
    phone.goto(link)
    expect(phone.get_by_text("Svar du har begynt på, er hentet fram igjen")).to_be_visible()
    phone.get_by_role("textbox", name="Svarkode").fill(code)  # the code itself is never kept in the browser
    phone.get_by_role("button", name="Start", exact=True).click()
    restored = phone.locator("fieldset", has=phone.get_by_text(first_question, exact=True))
    expect(restored.get_by_role("radio").nth(1)).to_be_checked()

    for number in range(1, total + 1):
        expect(progress).to_contain_text(f"Side {number} av {total}")
        answer_current_page(phone, 1 if number < 3 else 2)
        if number < total:
            phone.get_by_role("button", name="Neste").click()
    expect(phone.get_by_role("button", name="Neste")).to_have_count(0)
    phone.get_by_role("button", name="Send inn").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Takk for svaret!")
    # The thank-you page throws away the browser's copy of the answers (its script runs deferred).
    phone.wait_for_function("Object.keys(window.localStorage).filter(k => k.startsWith('hms-survey-')).length === 0")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    screenshot(phone, "survey-phone-thanks")

    # The consultant sees one answer counted only as "fewer than k" while the survey is open ...
    page.reload()
    expect(page.locator("dl.facts")).to_contain_text("Færre enn 5")
    # ... and after closing, a single answer shows no result anywhere, while the PDF report is ready.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Avslutt og vis resultater").click()
    expect(page.get_by_role("status").filter(has_text="er avsluttet")).to_be_visible()
    expect(page.get_by_role("link", name="Last ned rapport (PDF)")).to_be_visible()
    page.get_by_role("link", name="Se resultatene").click()
    expect(page.locator("section.scope").first).to_contain_text("Skjult (færre enn 5 svar)")
    expect(page.locator("section.scope svg")).to_have_count(0)
    screenshot(page, "survey-results-hidden")
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Undersøkelsen er avsluttet")
