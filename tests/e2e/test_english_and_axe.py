"""English everywhere and no serious accessibility faults (issue 13):

* each role crawls every page it can reach in English and finds no bokmål UI text (words that only the
  interface uses; the demo data is Norwegian and stays so);
* axe-core (vendored, tests/e2e/vendor/axe.min.js) finds no serious or critical violation on the main pages.
"""
from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect

from saas.demo import DEMO_PASSWORD
from tests.e2e.conftest import login

TENANT = "/t/bedriftstjenesten"
AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ROLES = {
    "admin": "admin@bedriftstjenesten.no",
    "consultant": "kari@bedriftstjenesten.no",
    "reviewer": "siri@bedriftstjenesten.no",
    "client": "kunde1@bedriftstjenesten.no",
}
MAX_PAGES = 45
# Words and phrases only the interface uses (labels, buttons, headings, states): none may show in English.
BOKMAL_UI = re.compile(r"\b(Lagre|Rediger|Avbryt|Logg ut|Oversikt|Undersøkelser|Varsler|Kalender|Finn kunder|Handlingsplan|"
                       r"Risikovurderinger|Ny kartlegging|Ansvarlig|Frist|Ikke oppfylt|Oppfylt|Utkast|Fullført|Tilbake|"
                       r"Neste|Forrige|Velg|Ingen treff|Filtrer|Alle|Uleste|Klasse|Gyldig til|Kunder|Sertifikater|"
                       r"Fakturaer|Innstillinger|Brukere|Abonnement|Til beslutning|Filer til kontroll|Mine virksomheter|"
                       r"Mitt HMS-arbeid|Verifiser et sertifikat|Offentlig register|Skjemaet har feil|Påminnelser|"
                       r"Sjekklister|Risikomatrise|Fakturering|Logg)\b")
SKIP = re.compile(r"/(download|pdf|logout|feed/|export|csv|xlsx|branding|logo)|\.(pdf|ics|csv|xlsx|png|svg)$")
# The main pages of issue 13's accessibility check, as (role, path).
MAIN_PAGES = [
    ("consultant", "/work/"), ("consultant", "/companies/"), ("consultant", "/certification/certificates/"),
    ("consultant", "/calendar/"), ("consultant", "/calendar/?view=agenda"), ("consultant", "/notifications/"),
    ("consultant", "/search/?q=kongsberg"), ("consultant", "/surveys/"), ("consultant", "/evidence/"),
    ("consultant", "/billing/invoices"), ("reviewer", "/queue/"), ("admin", "/settings"), ("admin", "/users"),
    ("admin", "/audit/"), ("client", "/work/mine"),
]


def _english(page, base_url: str) -> None:
    page.get_by_role("button", name="EN", exact=True).first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def _data_free_text(page) -> str:
    """The page's visible text without what the data put there (values of inputs, table cells of records, the
    demo's names): elements marked data-* ids and links to records are kept, since their labels are UI."""
    return page.evaluate("""() => {
        const clone = document.body.cloneNode(true);
        clone.querySelectorAll('script, style, [data-user-text], option, textarea, input, code, pre').forEach(e => e.remove());
        return clone.innerText;
    }""")


def _links(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        if url.startswith(base_url + TENANT + "/") and not SKIP.search(urlparse(url).path):
            out.append(url)
    return out


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_a_role_reaches_is_english(live_server, page, role):
    login(page, live_server, ROLES[role], DEMO_PASSWORD)
    _english(page, live_server)
    start = page.url
    seen, queue, problems = set(), deque([start]), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        key = re.sub(r"/\d+", "/N", urlparse(url).path)  # one of each kind of page
        if key in seen:
            continue
        seen.add(key)
        response = page.goto(url)
        if response is None or response.status >= 400 or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        hits = sorted(set(BOKMAL_UI.findall(_data_free_text(page))))
        if hits:
            problems[urlparse(url).path] = hits
        queue.extend(u for u in _links(page, live_server) if re.sub(r"/\d+", "/N", urlparse(u).path) not in seen)
    assert len(seen) >= 5
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_no_serious_or_critical_axe_violation_on_the_main_pages(live_server, browser):
    results = {}
    for role in ("consultant", "reviewer", "admin", "client"):
        # bypass_csp: the page's own policy (rightly) refuses inline scripts; axe is the test's, not the page's.
        context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)
        page = context.new_page()
        try:
            login(page, live_server, ROLES[role], DEMO_PASSWORD)
            for who, path in MAIN_PAGES:
                if who != role:
                    continue
                page.goto(f"{live_server}{TENANT}{path}")
                page.add_script_tag(content=AXE)
                found = page.evaluate("""async () => {
                    const r = await axe.run(document, {resultTypes: ['violations']});
                    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
                }""")
                if found:
                    results[path] = found
        finally:
            context.close()
    assert results == {}, json.dumps(results, ensure_ascii=False, indent=1)
