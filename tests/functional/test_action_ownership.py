"""Client contacts own their actions (issue 13, point 2): the responsible client contact updates and closes
an item with evidence, the consultant verifies or sends it back, staff assign many items at once; the same
through the API."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from saas.auth import create_api_token
from saas.hms.models import ActionItem, Evidence
from saas.hms.services import actions, years
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login

PNG = factories.png_bytes()


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        tenant = factories.make_tenant(db, slug="bht")
        consultant = factories.make_user(db, tenant, roles=("consultant",), name="Kari Rådgiver")
        leader = factories.make_user(db, tenant, roles=("client",), name="Dag Leder")
        other_client = factories.make_user(db, tenant, roles=("client",), name="Annen Kunde")
        company = factories.make_company(db, tenant, name="Verkstedet AS", consultant_id=consultant.id)
        other = factories.make_company(db, tenant, name="Annet AS")
        factories.make_contact(db, company, user=leader, name="Dag Leder")
        factories.make_contact(db, other, user=other_client, name="Annen Kunde")
        year = years.open_year(db, consultant, company, {"year": 2026})
        items = [actions.create_action_item(db, consultant, year, title=f"Tiltak {n}") for n in range(3)]
        items[0].responsible_user_id = leader.id
        tokens = {u: create_api_token(db, user, "t")[1] for u, user in (("consultant", consultant), ("leader", leader))}
        data = dict(tenant=tenant, consultant=consultant, leader=leader, other_client=other_client, company=company,
                    year=year, items=[i.id for i in items], tokens=tokens)
        db.flush()
        bind_tenant(db, None)
        db.commit()
        return data


def _item(db, world, n=0) -> ActionItem:
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    return db.get(ActionItem, world["items"][n])


def test_the_responsible_contact_closes_with_a_file_and_the_consultant_verifies(app, db, world):
    contact = app.test_client()
    login(contact, world["leader"])
    url = f"/t/bht/actions/{world['items'][0]}"
    assert 'name="file"' in contact.get(url).get_data(as_text=True)
    refused = contact.post(f"{url}/progress", data={"status": "done", "text": "Ferdig"})
    assert refused.status_code == 422 and "Legg ved et bilde eller en fil" in refused.get_data(as_text=True)
    assert _item(db, world).status == "open"
    db.commit()

    done = contact.post(f"{url}/progress", content_type="multipart/form-data",
                        data={"status": "done", "text": "Matta er limt fast", "file": (io.BytesIO(PNG), "matte.png")})
    assert done.status_code == 302
    item = _item(db, world)
    assert item.status == "done" and item.verified_at is None
    assert db.scalar(select(Evidence.status).where(Evidence.target_type == "action_item", Evidence.target_id == item.id)) == "pending"
    db.commit()

    staff = app.test_client()
    login(staff, world["consultant"])
    page = staff.get(url).get_data(as_text=True)
    assert "Venter på verifisering" in page and 'id="verifiser"' in page
    no_reason = staff.post(f"{url}/verify", data={"decision": "return", "note": ""})
    assert no_reason.status_code == 422
    assert staff.post(f"{url}/verify", data={"decision": "approve"}).status_code == 302
    item = _item(db, world)
    assert item.verified_by == world["consultant"].id and item.verified_at is not None


def test_the_consultant_sends_a_closed_item_back_with_a_reason(app, db, world):
    bind_tenant(db, world["tenant"].id)
    item = db.get(ActionItem, world["items"][0])
    item.status = "done"
    db.commit()
    staff = app.test_client()
    login(staff, world["consultant"])
    response = staff.post(f"/t/bht/actions/{item.id}/verify", data={"decision": "return", "note": "Bildet viser feil dør."})
    assert response.status_code == 302
    item = _item(db, world)
    assert item.status == "in_progress" and item.verified_at is None


def test_a_contact_may_not_update_an_item_assigned_to_someone_else(app, db, world):
    contact = app.test_client()
    login(contact, world["leader"])
    assert contact.post(f"/t/bht/actions/{world['items'][1]}/progress", data={"text": "hei"}).status_code == 403
    other = app.test_client()
    login(other, world["other_client"])
    assert other.get(f"/t/bht/actions/{world['items'][0]}").status_code == 404


def test_staff_closing_an_item_is_its_verification(app, db, world):
    staff = app.test_client()
    login(staff, world["consultant"])
    assert staff.post(f"/t/bht/actions/{world['items'][1]}/progress", data={"status": "done"}).status_code == 302
    assert _item(db, world, 1).verified_by == world["consultant"].id


def test_bulk_assignment_of_responsible_and_deadline(app, db, world):
    staff = app.test_client()
    login(staff, world["consultant"])
    ids = [str(i) for i in world["items"][1:]]
    plan = staff.get(f"/t/bht/actions/years/{world['year'].id}").get_data(as_text=True)
    assert 'name="action_ids"' in plan
    response = staff.post(f"/t/bht/actions/years/{world['year'].id}/bulk",
                          data={"action_ids": ids, "responsible": str(world["leader"].id), "deadline": "2026-09-01"})
    assert response.status_code == 302
    for n in (1, 2):
        item = _item(db, world, n)
        assert item.responsible_user_id == world["leader"].id and item.deadline == date(2026, 9, 1)
    db.commit()
    # Another company's contact cannot be made responsible.
    bad = staff.post(f"/t/bht/actions/years/{world['year'].id}/bulk",
                     data={"action_ids": ids, "responsible": str(world["other_client"].id)}, follow_redirects=True)
    assert "kontaktperson i virksomheten" in bad.get_data(as_text=True)
    assert _item(db, world, 1).responsible_user_id == world["leader"].id


def test_the_api_bulk_assigns_verifies_and_refuses_a_close_without_evidence(client, db, world):
    def call(method, path, who="consultant", **kw):
        return client.open(f"/api/v1/t/bht{path}", method=method, headers={"Authorization": f"Bearer {world['tokens'][who]}"}, **kw)

    bulk = call("POST", f"/years/{world['year'].id}/action-items/bulk-assign",
                json={"action_ids": world["items"][1:], "responsible_name": "Ekstern elektriker", "deadline": "2026-10-01"})
    assert bulk.status_code == 200 and bulk.json == {"changed": 2}
    unknown = call("POST", f"/years/{world['year'].id}/action-items/bulk-assign", json={"action_ids": [999999], "deadline": "2026-10-01"})
    assert unknown.status_code == 422 and "action_ids" in unknown.json["fields"]
    close = call("POST", f"/action-items/{world['items'][0]}/progress", who="leader", json={"status": "done"})
    assert close.status_code == 422 and "file" in close.json["fields"]
    progress = call("POST", f"/action-items/{world['items'][0]}/progress", who="leader", json={"status": "in_progress", "text": "I gang"})
    assert progress.status_code == 200 and progress.json["status"] == "in_progress"
    not_done = call("POST", f"/action-items/{world['items'][0]}/verify", json={"approve": True})
    assert not_done.status_code == 422
    assert call("POST", f"/action-items/{world['items'][0]}/verify", who="leader", json={}).status_code == 403


def test_approving_a_closed_action_approves_its_waiting_files(app, db, world):
    contact = app.test_client()
    login(contact, world["leader"])
    url = f"/t/bht/actions/{world['items'][0]}"
    contact.post(f"{url}/progress", content_type="multipart/form-data",
                 data={"status": "done", "file": (io.BytesIO(PNG), "bevis.png")})
    staff = app.test_client()
    login(staff, world["consultant"])
    assert staff.post(f"{url}/verify", data={"decision": "approve"}).status_code == 302
    bind_tenant(db, world["tenant"].id)
    assert db.scalar(select(Evidence.status).where(Evidence.target_type == "action_item",
                                                   Evidence.target_id == world["items"][0])) == "verified"
