"""Phones, accessibility and words (issue 13, point 9-10): the favicon, a collapsing menu, tables that reflow,
the year page's work first on a phone, no empty table headers, the audit log in words, dates as dd.mm.yyyy,
and the .badge.warn contrast."""
from __future__ import annotations

import re
from datetime import date

from saas.audit.services import record
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login


def _contrast(fg: str, bg: str) -> float:
    def lum(hex_):
        rgb = [int(hex_[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_warn_badge_meets_aa_contrast(client):
    css = client.get("/static/css/app.css").get_data(as_text=True)
    color = re.findall(r"\.badge\.warn \{ color: (#[0-9a-f]{6}); \}", css)[-1]
    background = re.search(r"\.badge\.warn \{ background: (#[0-9a-f]{6});", css).group(1)
    assert _contrast(color, background) >= 4.5


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_pages_have_the_menu_button_and_no_empty_table_headers(client, db):
    tenant = factories.make_tenant(db, slug="bht")
    admin = factories.make_user(db, tenant, roles=("admin", "consultant"))
    company = factories.make_company(db, tenant, follow_up_agreement=True, follow_up_from=date(2025, 1, 1),
                                     follow_up_to=date(2025, 12, 31))
    bind_tenant(db, tenant.id)
    record(db, admin, "evidence.uploaded", company, "En fil", target_type="action_item")
    db.flush()
    bind_tenant(db, None)
    db.commit()
    login(client, admin)
    for path in ("/t/bht/users", "/t/bht/evidence/", f"/t/bht/companies/{company.id}", "/t/bht/audit/"):
        html = client.get(path).get_data(as_text=True)
        assert 'class="menu-toggle"' in html and 'aria-controls="hovedmeny"' in html, path
        assert not re.search(r"<th[^>]*>\s*</th>", html), path
    detail = client.get(f"/t/bht/companies/{company.id}").get_data(as_text=True)
    assert "01.01.2025" in detail and "2025-01-01" not in detail
    log = client.get("/t/bht/audit/").get_data(as_text=True)
    assert "Fil lastet opp" in log and "<code>evidence.uploaded</code>" not in log and "{&#34;" not in log
    # The log's filter is a prefix of the action, wildcards taken as text
    assert "Fil lastet opp" in client.get("/t/bht/audit/?action=evidence.").get_data(as_text=True)
    for wildcard in ("%", "_vidence"):
        assert "Fil lastet opp" not in client.get("/t/bht/audit/", query_string={"action": wildcard}).get_data(as_text=True)
