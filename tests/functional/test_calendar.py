"""The calendar across clients (issue 13, point 5): deadlines, expiries, planned mappings and rounds in month
and agenda views with filters, scoped to what the user may see; the private iCal feed behind a revocable
token; the API."""
from __future__ import annotations

from datetime import timedelta

import pytest

from saas.auth import create_api_token
from saas.hms.services import actions, mappings, rounds, years
from saas.i18n import today_in_oslo
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import keeps_today, login

TODAY = today_in_oslo()
_today = keeps_today(TODAY)  # the date the product sees, should the run cross midnight


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        tenant = factories.make_tenant(db, slug="bht")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        colleague = factories.make_user(db, tenant, roles=("consultant",), name="Ola Kollega")
        contact = factories.make_user(db, tenant, roles=("client",), name="Dag Leder")
        company = factories.make_company(db, tenant, name="Verkstedet AS", consultant_id=consultant.id, works_off_premises=True)
        other = factories.make_company(db, tenant, name="Annen Kunde AS", consultant_id=colleague.id)
        factories.make_contact(db, company, user=contact)
        year = years.open_year(db, consultant, company, {"year": TODAY.year})
        other_year = years.open_year(db, colleague, other, {"year": TODAY.year})
        actions.create_action_item(db, consultant, year, title="Nødlys i trappa", deadline=TODAY + timedelta(days=3))
        actions.create_action_item(db, colleague, other_year, title="Hemmelig tiltak", deadline=TODAY + timedelta(days=4))
        mappings.create_physical(db, consultant, year, {"method": "provider", "planned_on": TODAY + timedelta(days=5)})
        rounds.create_round(db, consultant, year, {"planned_on": TODAY + timedelta(days=6), "location": "Byggeplass"})
        token = create_api_token(db, consultant, "t")[1]
        data = dict(tenant=tenant, consultant=consultant, colleague=colleague, contact=contact, company=company, token=token)
        db.flush()
        bind_tenant(db, None)
        db.commit()
        return data


def test_the_agenda_shows_deadlines_and_planned_work_and_filters_narrow_it(client, world):
    login(client, world["consultant"])
    page = client.get("/t/bht/calendar/?view=agenda").get_data(as_text=True)
    assert "Nødlys i trappa" in page and "Fysisk kartlegging" in page and "Vernerunde" in page
    assert "Hemmelig tiltak" in page  # staff see every client by default
    mine = client.get("/t/bht/calendar/?view=agenda&mine=1").get_data(as_text=True)
    assert "Nødlys i trappa" in mine and "Hemmelig tiltak" not in mine
    only_actions = client.get("/t/bht/calendar/?view=agenda&kind=action").get_data(as_text=True)
    assert "Nødlys i trappa" in only_actions and 'data-kind="round"' not in only_actions


def test_the_month_view_puts_the_event_on_its_day(client, world):
    login(client, world["consultant"])
    day = TODAY + timedelta(days=3)
    page = client.get(f"/t/bht/calendar/?month={day.strftime('%Y-%m')}").get_data(as_text=True)
    cell = page.split(f'data-date="{day.isoformat()}"')[1].split("</td>")[0]
    assert "Nødlys i trappa" in cell
    assert client.get("/t/bht/calendar/?month=banan").status_code == 200


def test_a_client_contact_sees_only_their_own_company(client, world):
    login(client, world["contact"])
    page = client.get("/t/bht/calendar/?view=agenda").get_data(as_text=True)
    assert "Nødlys i trappa" in page and "Hemmelig tiltak" not in page


def test_the_feed_works_with_its_token_until_replaced_or_revoked(app, client, world):
    login(client, world["consultant"])
    made = client.post("/t/bht/calendar/feed/new").get_data(as_text=True)
    url = made.split('id="feed-url" type="text" readonly value="')[1].split('"')[0]
    path = url.split("localhost", 1)[-1]
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "Nødlys i trappa" in body and "Hemmelig tiltak" not in body  # mine only
    client.post("/t/bht/calendar/feed/new")
    assert anonymous.get(path).status_code == 404  # the old link stopped
    client.post("/t/bht/calendar/feed/revoke")
    assert anonymous.get("/t/bht/calendar/feed/" + "x" * 43 + ".ics").status_code == 404


def test_the_api_lists_events_and_makes_and_revokes_the_feed(client, world):
    headers = {"Authorization": f"Bearer {world['token']}"}
    listed = client.get(f"/api/v1/t/bht/calendar?from={TODAY.isoformat()}&to={(TODAY + timedelta(days=10)).isoformat()}&mine=1",
                        headers=headers)
    assert listed.status_code == 200
    assert {e["kind"] for e in listed.json["items"]} == {"action", "mapping", "round"}
    bad = client.get("/api/v1/t/bht/calendar?from=igår", headers=headers)
    assert bad.status_code == 422 and "from" in bad.json["fields"]
    too_long = client.get(f"/api/v1/t/bht/calendar?from=2026-01-01&to=2028-01-01", headers=headers)
    assert too_long.status_code == 422 and "to" in too_long.json["fields"]
    made = client.post("/api/v1/t/bht/calendar-feed", headers=headers)
    assert made.status_code == 201 and made.json["active"] is True and made.json["url"].endswith(".ics")
    gone = client.delete("/api/v1/t/bht/calendar-feed", headers=headers)
    assert gone.json["active"] is False and client.get(made.json["url"].split("localhost", 1)[-1]).status_code == 404


def test_another_tenants_feed_token_opens_nothing(app, db, world):
    from saas.calendar import services

    bind_tenant(db, world["tenant"].id)
    token = services.new_feed(db, world["consultant"])
    other = factories.make_tenant(db, slug="annen")
    db.commit()
    assert app.test_client().get(f"/t/annen/calendar/feed/{token}.ics").status_code == 404
