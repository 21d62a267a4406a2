"""At 1366 px (the most common laptop width) the staff menu fits one line in bokmål and in English, with the
admin's full set of entries (issue 13: it wrapped to two lines with about 11 entries); on a phone it still folds
behind the menu button (see test_daily_work)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from saas.demo import DEMO_PASSWORD
from tests.e2e.conftest import login, screenshot

TENANT = "/t/bedriftstjenesten"
# The admin (also reviewer) has every staff entry; a consultant has fewer.
USERS = {"admin": "admin@bedriftstjenesten.no", "consultant": "kari@bedriftstjenesten.no"}


def _rows(page, selector: str) -> list[float]:
    """The distinct top edges (rounded) of the visible elements matching ``selector``."""
    return page.evaluate("""(sel) => {
        const tops = [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null)
            .map(e => Math.round(e.getBoundingClientRect().top));
        return [...new Set(tops)];
    }""", selector)


@pytest.mark.parametrize("who", sorted(USERS))
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_staff_menu_is_one_line_at_1366_px(live_server, browser, who, lang):
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        login(page, live_server, USERS[who], DEMO_PASSWORD)
        if lang == "en":
            page.get_by_role("button", name="EN", exact=True).first.click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto(f"{live_server}{TENANT}/work/")
        menu = page.locator("#hovedmeny")
        expect(menu).to_be_visible()
        # The worst case: two-digit counts on every entry that can carry one (the queue and the notifications),
        # whatever earlier tests left in the shared database.
        page.evaluate("""() => {
            for (const a of document.querySelectorAll('#hovedmeny > a, .notifications-link')) {
                if (/decisions|beslutning|queue|varsler|notifications/i.test(a.getAttribute('href') || '') && !a.querySelector('.count'))
                    a.insertAdjacentHTML('beforeend', ' <span class="count">99</span>');
                else if (a.querySelector('.count')) a.querySelector('.count').textContent = '99';
            }
        }""")
        entries = "#hovedmeny > a, #hovedmeny > details > summary"
        count = page.locator(entries).count()
        assert count >= 5
        link_height = page.locator(entries).first.bounding_box()["height"]
        box = menu.bounding_box()
        screenshot(page, f"menu-1366-{who}-{lang}")
        assert len(_rows(page, entries)) == 1, f"menu entries on rows {_rows(page, entries)}"
        assert box["height"] < 1.6 * link_height, f"menu is {box['height']}px high, an entry {link_height}px"
        # the whole bar is one row: brand, menu and the user's corner side by side
        centres = page.evaluate("""() => [...document.querySelectorAll('.topbar .inner > *')].filter(e => e.offsetParent !== null)
            .map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; })""")
        assert max(centres) - min(centres) < 8, f"the bar's parts are on more than one row: {centres}"
        # everything reachable: the grouped entries open from the menu
        more = page.locator("#hovedmeny details.navmenu > summary")
        if more.count():
            more.first.click()
            expect(page.locator("#hovedmeny details.navmenu[open] a").first).to_be_visible()
    finally:
        context.close()
