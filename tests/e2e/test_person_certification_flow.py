"""Person certification in a real browser: a candidate is enrolled, trained (course and practice logged),
tested and approved by someone who was not the examiner; the kompetansebevis PDF is produced (its text
and QR code read back from the PDF, the QR's signature checked with the published key); /verify shows
the competence valid; a revocation case ends in temporary revocation and /verify shows it at once; the
appeal is decided by the committee within its clock."""
from __future__ import annotations

import subprocess
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest

from saas.demo import DEMO_PASSWORD
from saas.i18n import today_in_oslo
from tests.e2e.conftest import ARTIFACTS, login, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # collected and skipped by the e2e conftest without the test extras
    expect = None

TENANT = "/t/bedriftstjenesten/persons"
CONSULTANT, REVIEWER, ADMIN = "kari@bedriftstjenesten.no", "siri@bedriftstjenesten.no", "admin@bedriftstjenesten.no"
CANDIDATE = "Emil Ende-til-ende"


@pytest.fixture
def as_user(browser, request):
    contexts = []

    def open_as(base_url: str, email: str):
        context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        login(page, base_url, email, DEMO_PASSWORD)
        return page

    yield open_as
    report = getattr(request.node, "report_call", None)
    for index, context in enumerate(contexts):
        if report is not None and report.failed:
            for number, page in enumerate(context.pages):
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=ARTIFACTS / f"persons-failure-{index}-{number}.png", full_page=True)
                (ARTIFACTS / f"persons-failure-{index}-{number}.html").write_text(page.content(), encoding="utf-8")
        context.close()


def _read_qr(pdf: bytes, tmp_path: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    (tmp_path / "card.pdf").write_bytes(pdf)
    # The back of the card (page 2), rendered like a phone camera would see a print.
    subprocess.run(["pdftoppm", "-png", "-r", "600", "-f", "2", "-l", "2", str(tmp_path / "card.pdf"),
                    str(tmp_path / "back")], check=True, timeout=60)
    image = next(tmp_path.glob("back*.png"))
    return [code.text for code in zxingcpp.read_barcodes(Image.open(image))
            if code.format == zxingcpp.BarcodeFormat.QRCode]


def test_enrol_train_test_approve_issue_verify_revoke_and_appeal(live_server, as_user, tmp_path):
    from pypdf import PdfReader

    from saas.persons.card_signing import public_keys_from_jwks, verify

    today = today_in_oslo()
    kari = as_user(live_server, CONSULTANT)

    # Enrol: a new person, employed by a client, enrolled for T4 as a new candidate.
    kari.goto(f"{live_server}{TENANT}/new")
    kari.locator("#f-name").fill(CANDIDATE)
    kari.locator("#f-birth_date").fill("1996-04-12")
    kari.get_by_label("Arbeidsgiver").select_option(label="Kongsberg Mek. Verksted AS")
    kari.get_by_role("button", name="Lagre").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text(CANDIDATE)
    person_url = kari.url
    kari.locator("#enrol-form").get_by_label("Kompetanse", exact=True).select_option(label="T4 Truck: motvektstruck")
    kari.locator("#enrol-form").get_by_label("Kandidatkategori").select_option("new_candidate")
    kari.get_by_role("button", name="Meld på").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("T4")
    enrolment_url = kari.url
    expect(kari.locator("#fremdrift")).to_contain_text("Typeopplæring")

    # Train: a type course with the approved, certified instructor; the course is held.
    kari.goto(f"{live_server}{TENANT}/courses")
    form = kari.locator("#course-form")
    form.get_by_label("Tittel").fill("Truck T4 ende-til-ende")
    form.get_by_label("Kompetanse").select_option(label="T4 Truck: motvektstruck")
    form.get_by_label("Opplæring").select_option("type_training")
    form.get_by_label("Fra").fill((today - timedelta(days=3)).isoformat())
    form.get_by_label("Til").fill((today - timedelta(days=1)).isoformat())
    form.get_by_label("Timer").fill("28")
    form.get_by_label("Instruktør").select_option(label="Trond Instruktør")
    form.get_by_role("button", name="Opprett kurs").click()
    expect(kari.get_by_role("heading", level=1)).to_have_text("Truck T4 ende-til-ende")
    kari.get_by_label("Kandidat").select_option(label=CANDIDATE)
    kari.get_by_role("button", name="Legg til deltaker").click()
    kari.get_by_role("button", name="Registrer kurset som gjennomført").click()
    expect(kari.get_by_text("Kurset er registrert som gjennomført.")).to_be_visible()

    # Practice logged, internal training registered, the practical test passed with its checklist.
    kari.goto(enrolment_url)
    practice = kari.locator("#practice-form")
    practice.get_by_label("Timer").fill("9")
    practice.get_by_label("km").fill("12")
    practice.get_by_role("button", name="Logg kjøring").click()
    expect(kari.locator("#practice-1")).to_contain_text("6 timer godskrevet")  # 9 h logged, 6 h credited
    kari.get_by_label("Aktivitet").select_option("internal_training")
    kari.get_by_role("button", name="Registrer som gjennomført").click()
    test_form = kari.locator("#test-form")
    test_form.get_by_label("Prøve", exact=True).select_option("practical")
    test_form.get_by_label("Oppnevnt sensor").select_option(label="Kari Nordmann")
    for box in test_form.get_by_role("checkbox").all():
        box.check()
    test_form.get_by_role("button", name="Registrer prøve").click()
    expect(kari.locator("#fremdrift")).to_contain_text("Alle krav i kravmatrisen er oppfylt")
    # Kari, the consultant who examined, cannot approve.
    kari.get_by_role("button", name="Godkjenn og registrer").click()
    expect(kari.locator(".flash.error").first).to_contain_text("Godkjenning krever")

    # Approve: Siri, who was not the examiner; the competence is registered, then the card issued.
    siri = as_user(live_server, REVIEWER)
    siri.goto(enrolment_url)
    siri.get_by_role("button", name="Godkjenn og registrer").click()
    expect(siri.locator("#kompetanser")).to_contain_text("T4")
    expect(siri.locator("#kompetanser [data-state]").first).to_have_attribute("data-state", "valid")
    siri.get_by_role("button", name="Utsted kompetansebevis: Kompetansebevis truck og kran").click()
    expect(siri.get_by_role("heading", level=1)).to_contain_text("Kompetansebevis KB-")
    screenshot(siri, "persons-card")
    card_link = siri.get_by_role("link", name="Kort (ID-1, PDF)")
    expect(card_link).to_be_visible()
    response = siri.request.get(live_server + card_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()

    # The card: two ID-1 pages carrying every § 8-2 field; its QR holds the verify URL and a signed payload.
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 2
    text = " ".join(page.extract_text() for page in reader.pages)
    for field in ("Bedriftstjenesten AS", CANDIDATE, "12.04.1996", "T4", today.strftime("%d.%m.%Y"), "Randi Berg"):
        assert field in text, field
    codes = _read_qr(pdf, tmp_path)
    assert len(codes) == 1 and codes[0].startswith(f"{live_server}/verify/person/")
    verify_url, token = codes[0].split("#", 1)
    jwks = siri.request.get(f"{live_server}/verify/person/keys/bedriftstjenesten.json").json()
    payload = verify(token, public_keys_from_jwks(jwks))
    assert payload["n"] == CANDIDATE and payload["c"] == ["T4"]

    # /verify shows the competence valid, without the birth date.
    public = siri.context.browser.new_context(locale="nb-NO").new_page()
    public.goto(codes[0])
    expect(public.locator("#verdict")).to_have_text("Gyldig")
    expect(public.locator('tr[data-code="T4"] [data-state]')).to_have_attribute("data-state", "valid")
    expect(public.locator("body")).not_to_contain_text("12.04.1996")
    screenshot(public, "persons-verify-valid")

    # Revocation: a case from an incident, the hearing with the manager present, a temporary revocation.
    kari.goto(person_url)
    kari.get_by_text("Opprett tilbakekallssak").click()
    case_form = kari.locator("#case-form")
    case_form.get_by_label("Ordning").select_option(label="Kompetansebevis truck og kran")
    case_form.get_by_label("Årsak").select_option("incident")
    case_form.get_by_label("Fakta og rapporter").fill("Kjørte med hevet last gjennom gangsone.")
    case_form.get_by_role("button", name="Opprett sak").click()
    expect(kari.get_by_role("heading", level=1)).to_contain_text("Tilbakekallssak")
    case_url = kari.url
    hearing = kari.locator("#hearing-form")
    hearing.get_by_label("Personalansvarlig leder").fill("Verkstedleder Berit")
    hearing.get_by_label("Leder var til stede").check()
    hearing.get_by_label("Førerens forklaring").fill("Hadde det travelt.")
    hearing.get_by_role("button", name="Registrer møtet").click()
    expect(kari.locator("#case-state")).to_have_text("Møte holdt")

    until = today + timedelta(days=30)
    siri.goto(case_url)
    decision = siri.locator("#decision-form")
    decision.get_by_label("Utfall").select_option("temporary")
    decision.get_by_label("Midlertidig til").fill(until.isoformat())
    decision.get_by_label("Vedtak (skriftlig)").fill("Midlertidig tilbakekall i 30 dager; ny praktisk prøve.")
    decision.get_by_role("button", name="Fatt vedtak").click()
    expect(siri.locator("#appeal-notice")).to_contain_text("Vedtaket kan påklages")
    expect(siri.locator('[data-clock="appeal"]')).to_contain_text("14 dager igjen")

    public.goto(verify_url)  # at once: no job, no cache
    expect(public.locator("#verdict")).to_have_text("Ikke gyldig")
    expect(public.locator('tr[data-code="T4"] [data-state]')).to_have_attribute("data-state", "revoked")
    expect(public.locator('tr[data-code="T4"]')).to_contain_text(until.strftime("%d.%m.%Y"))
    screenshot(public, "persons-verify-revoked")

    # The appeal comes in within 2 weeks; the committee (not the decider) decides within its 3 weeks.
    kari.goto(case_url)
    appeal = kari.locator("#appeal-form")
    appeal.get_by_label("Klagen").fill("Ber om advarsel i stedet.")
    appeal.get_by_label("Klageutvalg").fill("Klageutvalget")
    appeal.get_by_role("button", name="Registrer klage").click()
    expect(kari.locator('[data-clock="committee"]')).to_contain_text("21 dager igjen")
    randi = as_user(live_server, ADMIN)
    randi.goto(case_url)
    committee = randi.locator("#committee-form")
    committee.get_by_label("Utvalgets beslutning").select_option("upheld")
    committee.get_by_label("Begrunnelse").fill("Vedtaket står: alvorlig brudd i gangsone.")
    committee.get_by_role("button", name="Registrer klagevedtak").click()
    expect(randi.locator("#committee-result")).to_contain_text("Vedtaket opprettholdes")
    expect(randi.locator('[data-clock="committee"]')).to_contain_text("avsluttet " + today.strftime("%d.%m.%Y"))
    expect(randi.locator("#case-state")).to_have_text("Avsluttet")
    screenshot(randi, "persons-case-closed")
    public.goto(verify_url)
    expect(public.locator('tr[data-code="T4"] [data-state]')).to_have_attribute("data-state", "revoked")
    public.context.close()
