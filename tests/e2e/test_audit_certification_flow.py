"""A full initial certification in a real browser (seed 000): the client applies with the contract,
the provider accepts, the pre-evaluation and documents come in, the lead auditor's document review finds
one nonconformity that is closed, the team is named and accepted, the audit (on a phone) finds a minor
nonconformity, the report is sent, the corrective action is accepted, an uninvolved reviewer reviews and
decides, and /verify shows the certificate with its scheme, scope and sub-units."""
from __future__ import annotations

import re

from tests.e2e.conftest import login, screenshot

try:
    from playwright.sync_api import expect
except ImportError:  # collected and skipped by the e2e conftest without the test extras
    expect = None

from saas.demo import DEMO_PASSWORD

TENANT = "/t/bedriftstjenesten"
CLIENT, ADMIN = "kunde1@bedriftstjenesten.no", "admin@bedriftstjenesten.no"
LEAD, REVIEWER = "ola@bedriftstjenesten.no", "siri@bedriftstjenesten.no"
COMPANY, SCHEME, UNIT = "Kongsberg Mek. Verksted AS", "Sertifisert opplæringsvirksomhet (§ 8-1)", "Kongsberg avd. lager"


def as_user(browser, base_url, email, phone=False):
    options = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True) if phone else \
        dict(viewport={"width": 1280, "height": 900})
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", **options)
    page = context.new_page()
    login(page, base_url, email, DEMO_PASSWORD)
    return context, page


def form_with(page, heading):
    return page.locator("form", has=page.get_by_role("heading", name=heading))


def test_a_full_initial_certification(live_server, browser):
    base = live_server
    # 1. The client applies in the portal, with the signed contract.
    ctx, client = as_user(browser, base, CLIENT)
    client.goto(f"{base}{TENANT}/audits/apply")
    client.get_by_label("Bedrift").select_option(label=COMPANY)
    scheme_id = client.get_by_label("Ordning").select_option(label=SCHEME)[0]
    client.locator(f'label[data-scheme="{scheme_id}"]', has_text="Personløftere").first.locator("input").check()
    client.locator(f'label[data-scheme="{scheme_id}"]', has_text="Truck").first.locator("input").check()
    unit = client.locator("div", has=client.get_by_label(UNIT, exact=True)).last
    unit.get_by_label(UNIT, exact=True).check()
    unit.locator(f'label[data-scheme="{scheme_id}"]', has_text="Truck").locator("input").check()
    client.get_by_label("Vi aksepterer søknadskontrakten").check()
    client.get_by_label("Signert av (navn)").fill("Kontakt Kongsberg")
    client.get_by_role("button", name="Send søknaden").click()
    expect(client.locator("[data-party]")).to_have_attribute("data-party", "provider")
    case_url = client.url
    assert re.search(r"/audits/cases/\d+$", case_url)

    # 2. The provider accepts.
    actx, admin = as_user(browser, base, ADMIN)
    admin.goto(case_url)
    admin.get_by_role("button", name="Aksepter søknaden").click()
    expect(admin.locator("[data-step]")).to_have_attribute("data-step", "pre_evaluation")

    # The client returns the pre-evaluation and sends the documents.
    client.goto(case_url)
    client.get_by_label("Svar").fill("Kvalitetshåndboken dekker alle krav i § 8-1.")
    client.get_by_role("button", name="Returner skjemaet").click()
    client.get_by_label("Beskrivelse av dokumentasjonen").fill("Kvalitetshåndbok v3, instruktøroversikt")
    client.get_by_role("button", name="Send dokumentasjonen").click()
    expect(client.locator("[data-party]")).to_have_attribute("data-party", "provider")

    # 3. The lead auditor fills the conformity matrix: one nonconformity.
    lctx, lead = as_user(browser, base, LEAD)
    lead.goto(case_url + "/matrix")
    selects = lead.locator("select[name^=assessment-]")
    for i in range(selects.count()):
        selects.nth(i).select_option("conform")
        lead.locator("input[name^=where-]").nth(i).fill(f"Håndbok kap. {i + 1}")
    selects.nth(2).select_option("nonconformity")
    lead.locator("input[name^=note-]").nth(2).fill("Instruktørenes erfaring er ikke dokumentert")
    screenshot(lead, "audit-conformity-matrix")
    lead.get_by_role("button", name="Lagre vurderingene").click()
    lead.goto(case_url)
    lead.get_by_role("button", name="Dokumentgjennomgangen er ferdig").click()
    expect(lead.locator("[data-finding]")).to_have_count(1)

    # The client closes it with a corrective action; the lead auditor accepts it.
    client.goto(case_url)
    answer = form_with(client, "Send korrigerende tiltak")
    answer.get_by_label("Årsak (rotårsak)").fill("Oversikten ble ikke oppdatert")
    answer.get_by_label("Retting", exact=True).fill("Oversikt med CV-er lagt inn")
    answer.get_by_label("Korrigerende tiltak").fill("Årlig gjennomgang av instruktøroversikten")
    answer.get_by_role("button", name="Send tiltak").click()
    lead.goto(case_url)
    lead.get_by_role("button", name="Svar").click()
    expect(lead.locator("[data-finding]").first).to_contain_text("Lukket")

    # 4. The team and programme are named to the client, who accepts them.
    admin.goto(case_url)
    team = form_with(admin, "Oppnevn revisjonsgruppen")
    team.locator("select[name=member_user_id]").first.select_option(label="Ola Hansen")
    team.get_by_label("Revisjonsprogram").fill("Formøte 09:00, kursobservasjon, ettermøte 15:00")
    team.get_by_role("button", name="Send gruppe og program til bedriften").click()
    expect(admin.locator("[data-party]")).to_have_attribute("data-party", "client")
    client.goto(case_url)
    client.get_by_role("button", name="Aksepter gruppen og programmet").click()
    expect(client.locator("[data-step]")).to_have_attribute("data-step", "audit")

    # 5. The audit, on the lead auditor's phone: opening meeting, a minor finding, closing meeting.
    pctx, phone = as_user(browser, base, LEAD, phone=True)
    phone.goto(case_url + "/audit")
    opening = form_with(phone, "Formøte")
    opening.get_by_label("Til stede (navn og rolle)").fill("Ola Hansen (revisjonsleder), daglig leder")
    opening.get_by_label("Taushetsplikten er akseptert og forstått av begge parter").check()
    opening.get_by_role("button", name="Registrer formøtet").click()
    finding = form_with(phone, "Nytt funn")
    finding.locator("select[name=grade]").select_option("minor")
    finding.locator("textarea[name=description]").fill("Kursbevis mangler utstedelsesdato")
    finding.locator("textarea[name=evidence]").fill("Kursbevis nr. 12 og 14 fra mars")
    finding.get_by_role("button", name="Registrer funnet").click()
    closing = form_with(phone, "Ettermøte")
    closing.locator("input[name=accepted_by]").fill("Daglig leder")
    screenshot(phone, "audit-page-phone")
    closing.get_by_role("button", name="Registrer ettermøtet").click()
    expect(phone.get_by_text("Revisjonen ble avsluttet")).to_be_visible()

    # 6. The report.
    lead.goto(case_url)
    report = form_with(lead, "Revisjonsrapport")
    report.get_by_label("Sammendrag og funn").fill("Kravene er oppfylt, med ett mindre avvik.")
    report.get_by_role("button", name="Send rapporten").click()
    expect(lead.locator("[data-step]")).to_have_attribute("data-step", "corrective_actions")

    # 7. The corrective action, accepted.
    client.goto(case_url)
    answer = form_with(client, "Send korrigerende tiltak")
    answer.get_by_label("Årsak (rotårsak)").fill("Malen manglet datofelt")
    answer.get_by_label("Retting", exact=True).fill("Nye kursbevis utstedt")
    answer.get_by_label("Korrigerende tiltak").fill("Ny mal med dato")
    answer.get_by_role("button", name="Send tiltak").click()
    lead.goto(case_url)
    lead.get_by_role("button", name="Svar").click()
    expect(lead.locator("[data-step]")).to_have_attribute("data-step", "decision")

    # 8. Review and decision by someone not involved.
    rctx, reviewer = as_user(browser, base, REVIEWER)
    reviewer.goto(case_url)
    reviewer.get_by_label("Vurdering").fill("Saken er komplett; avvikene er lukket.")
    reviewer.get_by_role("button", name="Registrer gjennomgangen").click()
    reviewer.get_by_role("button", name="Registrer beslutningen").click()
    expect(reviewer.locator("[data-decision]")).to_have_attribute("data-decision", "approved")

    # 9. The certificate and /verify: scheme, scope and sub-units.
    reviewer.get_by_role("link", name="Sertifikatet").click()
    reviewer.get_by_role("link", name="Åpne kontrollsiden").click()
    expect(reviewer.locator("[data-field=scheme]")).to_have_text(SCHEME)
    expect(reviewer.locator("[data-field=scopes]")).to_contain_text("Personløftere")
    expect(reviewer.locator("[data-field=scopes]")).to_contain_text("Truck")
    expect(reviewer.locator("[data-field=sub-units]")).to_contain_text(UNIT)
    expect(reviewer.locator("[data-state]").first).to_have_attribute("data-state", "active")
    screenshot(reviewer, "audit-verify")
    for context in (ctx, actx, lctx, pctx, rctx):
        context.close()
