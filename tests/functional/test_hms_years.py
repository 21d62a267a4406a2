"""The certification year over HTTP: opening it from the company page, the year page, who may do what, and
the year page's query count."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from saas.db import LONG_STATEMENT_BYTES, LONG_STATEMENT_PARAMETERS
from saas.hms.models import ActionItem, CertificationYear
from saas.hms.services import years
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login
from tests.worlds.b_hms import build_company_history


@pytest.fixture
def world(db):
    tenant = factories.make_tenant(db, slug="bht")
    consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
    client_user = factories.make_user(db, tenant, roles=("client",))
    company = factories.make_company(db, tenant, name="Lågen Rør AS", consultant_id=consultant.id, works_off_premises=True)
    other = factories.make_company(db, tenant, name="Annen Kunde AS")
    factories.make_contact(db, company, user=client_user)
    data = dict(tenant=tenant, consultant=consultant, client=client_user, company=company, other=other)
    bind_tenant(db, None)
    db.commit()
    return data


def test_a_consultant_opens_a_year_from_the_company_page(client, db, world):
    login(client, world["consultant"])
    company_page = client.get(f"/t/bht/companies/{world['company'].id}").get_data(as_text=True)
    assert "Sertifiseringsår" in company_page and f"/t/bht/years/companies/{world['company'].id}/open" in company_page
    response = client.post(f"/t/bht/years/companies/{world['company'].id}/open", data={"year": "2026"})
    assert response.status_code == 302
    year_url = response.headers["Location"]
    page = client.get(year_url).get_data(as_text=True)
    for heading in ("Fysisk kartlegging", "Psykososial kartlegging", "Risikovurderinger", "Handlingsplan", "Vernerunder",
                    "Lovkrav (A2)", "Dokumentasjon"):
        assert heading in page
    assert "2026" in client.get(f"/t/bht/companies/{world['company'].id}").get_data(as_text=True)


def test_a_second_open_of_the_same_year_answers_422_in_norwegian(client, db, world):
    login(client, world["consultant"])
    url = f"/t/bht/years/companies/{world['company'].id}/open"
    assert client.post(url, data={"year": "2026"}).status_code == 302
    response = client.post(url, data={"year": "2026"})
    assert response.status_code == 422
    assert "Lågen Rør AS har allerede et sertifiseringsår for 2026." in response.get_data(as_text=True)
    bind_tenant(db, world["tenant"].id)
    assert db.scalar(select(func.count(CertificationYear.id))) == 1
    assert client.post(url, data={"year": "1800"}).status_code == 422


def test_start_from_last_year_from_the_year_page(client, db, world):
    bind_tenant(db, world["tenant"].id)
    last = years.open_year(db, world["consultant"], world["company"], {"year": 2025})
    db.add(ActionItem(year_id=last.id, title="Skift ødelagt stige", status="in_progress"))
    year = years.open_year(db, world["consultant"], world["company"], {"year": 2026})
    db.commit()
    login(client, world["consultant"])
    assert "Start fra i fjor" in client.get(f"/t/bht/years/{year.id}").get_data(as_text=True)
    response = client.post(f"/t/bht/years/{year.id}/start-from-last-year", follow_redirects=True)
    assert response.status_code == 200 and "1 åpne tiltak" in response.get_data(as_text=True)
    assert "Skift ødelagt stige" in response.get_data(as_text=True)
    again = client.post(f"/t/bht/years/{year.id}/start-from-last-year")
    assert again.status_code == 422 and "allerede startet" in again.get_data(as_text=True)


def test_a_client_contact_sees_their_company_year_but_cannot_change_staff_things(client, db, world):
    bind_tenant(db, world["tenant"].id)
    year = years.open_year(db, world["consultant"], world["company"], {"year": 2026})
    other_year = years.open_year(db, world["consultant"], world["other"], {"year": 2026})
    db.commit()
    login(client, world["client"])
    page = client.get(f"/t/bht/years/{year.id}")
    assert page.status_code == 200 and "Lågen Rør AS" in page.get_data(as_text=True)
    assert "Ny kartlegging" not in page.get_data(as_text=True)
    assert client.get(f"/t/bht/years/{year.id}/compliance").status_code == 200
    for url in (f"/t/bht/years/{year.id}/start-from-last-year", f"/t/bht/years/{year.id}/mappings/new",
                f"/t/bht/years/{year.id}/psychosocial/new", f"/t/bht/years/{year.id}/rounds/new",
                f"/t/bht/years/companies/{world['company'].id}/open"):
        assert client.post(url, data={"year": "2027"}).status_code == 403, url
    other = client.get(f"/t/bht/years/{other_year.id}")
    assert other.status_code == 404 and "Annen Kunde" not in other.get_data(as_text=True)
    assert client.get(f"/t/bht/years/{other_year.id}/compliance").status_code == 404


def test_the_year_page_query_count_does_not_grow_with_items_hazards_or_history(client, db, world, count_queries):
    bind_tenant(db, world["tenant"].id)
    small = build_company_history(db, world["other"], world["consultant"], years=1, actions=1, hazards=1)
    big = build_company_history(db, world["company"], world["consultant"], years=5, actions=300, hazards=100)
    db.commit()
    login(client, world["consultant"])
    assert client.get(f"/t/bht/years/{small.id}").status_code == 200  # warm-up: compiled templates, pooled connection
    with count_queries() as small_count:
        small_page = client.get(f"/t/bht/years/{small.id}")
    with count_queries() as big_count:
        big_page = client.get(f"/t/bht/years/{big.id}")
    assert small_page.status_code == big_page.status_code == 200
    body = big_page.get_data(as_text=True)
    assert "Alle 301 tiltak" in body and "100 farer" in body  # 300 added + the mapping's finding
    assert body.count('href="/t/bht/years/') >= 5  # the five years of history are linked
    assert big_count.count == small_count.count, "\n".join(big_count.statements)
    # The page, its summaries and the live class verdict built from the rows the page read (issue 16: was
    # 31, then 24; the mappings' and rounds' checklist counts joined in, the menu's counts in one statement,
    # the consultant's roles not loaded: 20; the verdict's action items, risk assessments, report statuses
    # and last year's psychosocial mappings taken from the overview's own queries, the risk assessments read
    # with their hazard counts in one statement: 15; the verdict's attestations, earlier certificates, B-alt
    # proposals and other-safeguarding evidence in one UNION ALL: 12; the menu's unread count read with the
    # signed-in user: 11; the history, rounds, mappings, checks, risk summary and evidence counts read
    # together with the verdict's own reads in one UNION ALL, saas.db.ReadsTogether: 4).
    assert big_count.count <= 4, big_count.count
    # Each fits the limits under which psycopg converts a statement's placeholders once (saas.db: the page's
    # reads put together are 20 KiB with 78 parameters).
    assert all(len(s.encode()) <= LONG_STATEMENT_BYTES and len(set(re.findall(r"%\((\w+)\)s", s))) <= LONG_STATEMENT_PARAMETERS
               for s in big_count.statements), [len(s) for s in big_count.statements]
    # The verdict's references link to their records (one url_for per kind, the id substituted); a criterion
    # citing the whole plan shows its first ten items and links the plan for the rest.
    item_ids = db.scalars(select(ActionItem.id).where(ActionItem.year_id == big.id)).all()
    linked = {int(i) for i in re.findall(r'href="/t/bht/actions/(\d+)"', body)}
    assert linked and linked <= set(item_ids)
    more = re.findall(r'data-more-refs="(\d+)"><a href="/t/bht/actions/years/(\d+)">og (\d+) til i handlingsplanen</a>', body)
    assert more and all(shown == count and int(year_id) == big.id for shown, year_id, count in more), more
    # Only the shown refs get a URL (facts.REFS_SHOWN, passed as ``linked``): each of them is a link, and a
    # criterion citing more shows exactly that many before the link to the rest.
    from saas.certification.services.facts import REFS_SHOWN

    ref_lists = re.findall(r'<ul class="small">(.*?)</ul>', body[body.index('id="klassevurdering"'):], re.S)
    long_lists = [refs for refs in ref_lists if "data-more-refs" in refs]
    assert long_lists
    for refs in ref_lists:
        shown = re.findall(r"<li>(.*?)</li>", refs, re.S)
        assert all("<a href=" in li for li in shown), refs[:300]
        if "data-more-refs" in refs:
            assert len(shown) == REFS_SHOWN
