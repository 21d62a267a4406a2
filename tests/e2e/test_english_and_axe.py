"""English everywhere and no serious accessibility faults (issue 13):

* each role crawls every page it can reach in English and finds no bokmål UI text: no visible text node (nor
  label, placeholder or title attribute) outside the data is a catalogue msgid whose English differs from it
  (the whole text, with ``%(x)s`` placeholders matching anything), no longer msgid shows verbatim inside a
  bigger text, and, as a second check, none of a list of words only the interface uses shows (the demo data
  is Norwegian and stays so);
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

from babel.messages.pofile import read_po

from saas.demo import DEMO_PASSWORD
from tests.e2e.conftest import login

TENANT = "/t/bedriftstjenesten"
AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ROLES = {
    "admin": "admin@bedriftstjenesten.no",
    "consultant": "kari@bedriftstjenesten.no",
    "reviewer": "siri@bedriftstjenesten.no",
    "client": "kunde1@bedriftstjenesten.no",
    "operator": "drift@hms-sertifikat.no",  # the platform's pages (tenants, a tenant's page, jobs, outbox)
}
# Where each role's crawl stays.
AREA = {"operator": "/platform/"}
MAX_PAGES = 45
# Words and phrases only the interface uses (labels, buttons, headings, states): none may show in English.
BOKMAL_UI = re.compile(r"\b(Lagre|Rediger|Avbryt|Logg ut|Oversikt|Undersøkelser|Varsler|Kalender|Finn kunder|Handlingsplan|"
                       r"Risikovurderinger|Ny kartlegging|Ansvarlig|Frist|Ikke oppfylt|Oppfylt|Utkast|Fullført|Tilbake|"
                       r"Neste|Forrige|Velg|Ingen treff|Filtrer|Alle|Uleste|Klasse|Gyldig til|Kunder|Sertifikater|"
                       r"Fakturaer|Innstillinger|Brukere|Abonnement|Til beslutning|Filer til kontroll|Mine virksomheter|"
                       r"Mitt HMS-arbeid|Verifiser et sertifikat|Offentlig register|Skjemaet har feil|Påminnelser|"
                       r"Sjekklister|Risikomatrise|Fakturering|Logg)\b")
PO = Path(__file__).resolve().parents[2] / "saas" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
# Texts that are the same word in the data as in the interface: a demo company's contact "Daglig leder", a
# year "2026" ... are data, not untranslated UI, when they stand alone in a text node.
DATA_TOO: set[str] = set()


def _untranslated_catalogue() -> tuple[set[str], list[re.Pattern], list[str]]:
    """From the English catalogue, the bokmål msgids whose English differs: exact texts, patterns for the
    ones with placeholders (whole text node), and the longer plain ones that must not show even inside a text."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    exact, patterns, long_ones = set(), [], []
    # A msgid that is also some entry's English ("Standard" the plan, "Start") is right on an English page.
    english = {" ".join(s.split()) for m in catalog if m.id
               for s in (m.string if isinstance(m.string, tuple) else (m.string,)) if s}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            text = " ".join(msgid.split())
            if not text or text in english or text in DATA_TOO:
                continue
            if not re.search(r"[A-Za-zÆØÅæøå]{2}", PLACEHOLDER.sub("", text)):
                continue  # only placeholders and punctuation
            if PLACEHOLDER.search(text):
                patterns.append(re.compile("^" + ".+?".join(re.escape(p) for p in PLACEHOLDER.sub("\x00", text).split("\x00")) + "$"))
            else:
                exact.add(text)
                if len(text) >= 30:
                    long_ones.append(text)
    return exact, patterns, long_ones


UNTRANSLATED, UNTRANSLATED_PATTERNS, UNTRANSLATED_LONG = _untranslated_catalogue()
SKIP = re.compile(r"/(download|pdf|logout|feed/|export|csv|xlsx|branding|logo)|\.(pdf|ics|csv|xlsx|png|svg)$")
# The main pages of issue 13's accessibility check, as (role, path).
MAIN_PAGES = [
    ("consultant", "/work/"), ("consultant", "/companies/"), ("consultant", "/certification/certificates/"),
    ("consultant", "/calendar/"), ("consultant", "/calendar/?view=agenda"), ("consultant", "/notifications/"),
    ("consultant", "/search/?q=kongsberg"), ("consultant", "/surveys/"), ("consultant", "/evidence/"),
    ("consultant", "/billing/invoices"), ("reviewer", "/queue/"), ("admin", "/settings"), ("admin", "/users"),
    ("admin", "/audit/"), ("client", "/work/mine"),
]
# The operator's pages, as absolute paths: the tenants and one tenant's page (with its suspend form).
PLATFORM_PAGES = [("operator", "/platform/"), ("operator", "/platform/tenants/1")]


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


def _ui_texts(page) -> list[str]:
    """Each visible text node (whitespace collapsed) and each aria-label, placeholder, title and alt outside
    the data: the same exclusions as ``_data_free_text``."""
    return page.evaluate("""() => {
        const skip = 'script, style, [data-user-text], option, textarea, input, code, pre, select';
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!el || el.closest(skip) || !el.getClientRects().length) continue;
            const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
            if (text) out.push(text);
        }
        document.querySelectorAll('[aria-label], [placeholder], [title], img[alt]').forEach(el => {
            if (el.closest('[data-user-text]')) return;
            for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
                const value = (el.getAttribute(name) || '').replace(/\\s+/g, ' ').trim();
                if (value) out.push(value);
            }
        });
        return out;
    }""")


def _untranslated_on(page) -> list[str]:
    """The catalogue's bokmål texts this English page still shows."""
    hits = set()
    texts = _ui_texts(page)
    for text in texts:
        if text in UNTRANSLATED or any(p.match(text) for p in UNTRANSLATED_PATTERNS):
            hits.add(text)
    joined = "\n".join(texts)
    hits.update(t for t in UNTRANSLATED_LONG if t in joined)
    return sorted(hits)


def _links(page, base_url: str, area: str = TENANT + "/") -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        if url.startswith(base_url + area) and not SKIP.search(urlparse(url).path):
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
        hits = sorted(set(BOKMAL_UI.findall(_data_free_text(page)))) + _untranslated_on(page)
        if hits:
            problems[urlparse(url).path] = hits
        queue.extend(u for u in _links(page, live_server, AREA.get(role, TENANT + "/")) if re.sub(r"/\d+", "/N", urlparse(u).path) not in seen)
    assert len(seen) >= 5
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_no_serious_or_critical_axe_violation_on_the_main_pages(live_server, browser):
    results = {}
    for role in ("consultant", "reviewer", "admin", "client", "operator"):
        # bypass_csp: the page's own policy (rightly) refuses inline scripts; axe is the test's, not the page's.
        context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)
        page = context.new_page()
        try:
            login(page, live_server, ROLES[role], DEMO_PASSWORD)
            for who, path in [(w, TENANT + p) for w, p in MAIN_PAGES] + PLATFORM_PAGES:
                if who != role:
                    continue
                page.goto(f"{live_server}{path}")
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
