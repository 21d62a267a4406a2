"""Action-plan pages and API over HTTP: overdue items stand out, client contacts update only what is
assigned to them, evidence is one click away, reminder settings, and errors that name the field."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from saas.auth import create_api_token
from saas.hms.models import ActionItem, ActionNote, CertificationYear
from saas.hms.services.actions import oslo_today
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant
from tests.conftest import login

BASE = "/t/tenant-a/actions"
API = "/api/v1/t/tenant-a"


@pytest.fixture
def plan(db, two_tenants):
    """A year of the client contact's company with an assigned item, an unassigned overdue item and a future
    one, and a year of a company the contact is not linked to."""
    a = two_tenants["a"]
    bind_tenant(db, a["tenant"].id)
    today = oslo_today()
    year = CertificationYear(company_id=a["company"].id, year=2030, consultant_id=a["consultant"].id)
    other_year = CertificationYear(company_id=a["other_company"].id, year=2030)
    db.add_all([year, other_year])
    db.flush()
    assigned = ActionItem(year_id=year.id, title="Kontakten sitt tiltak", responsible_user_id=a["client"].id,
                          deadline=today + timedelta(days=20))
    late = ActionItem(year_id=year.id, title="Forsinket tiltak", responsible_name="Per", deadline=today - timedelta(days=3))
    future = ActionItem(year_id=year.id, title="Framtidig tiltak", area="psychosocial", deadline=today + timedelta(days=60))
    elsewhere = ActionItem(year_id=other_year.id, title="Annen virksomhet", responsible_user_id=a["client"].id)
    db.add_all([assigned, late, future, elsewhere])
    db.commit()
    return dict(a=a, year=year, other_year=other_year, assigned=assigned, late=late, future=future, elsewhere=elsewhere)


def _order(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-action-id="(\d+)"', body)]


def test_overdue_items_stand_out_and_come_first(client, plan):
    login(client, plan["a"]["consultant"])
    body = client.get(f"{BASE}/years/{plan['year'].id}").get_data(as_text=True)
    assert _order(body) == [plan["late"].id, plan["assigned"].id, plan["future"].id]
    late_row = re.search(r'<tr class="overdue" data-action-id="%d">.*?</tr>' % plan["late"].id, body, re.S).group(0)
    assert '<span class="badge bad">Forfalt</span>' in late_row
    assigned_row = re.search(r'data-action-id="%d">.*?</tr>' % plan["assigned"].id, body, re.S).group(0)
    assert "badge bad" not in assigned_row


def test_the_plan_filters_by_status_area_overdue_and_responsible(client, plan):
    login(client, plan["a"]["consultant"])
    url = f"{BASE}/years/{plan['year'].id}"
    assert _order(client.get(f"{url}?overdue=1").get_data(as_text=True)) == [plan["late"].id]
    assert _order(client.get(f"{url}?area=psychosocial").get_data(as_text=True)) == [plan["future"].id]
    assert _order(client.get(f"{url}?responsible={plan['a']['client'].id}").get_data(as_text=True)) == [plan["assigned"].id]
    assert _order(client.get(f"{url}?responsible=Per").get_data(as_text=True)) == [plan["late"].id]
    assert _order(client.get(f"{url}?status=done").get_data(as_text=True)) == []


def test_a_client_contact_updates_an_item_assigned_to_them(client, db, plan):
    login(client, plan["a"]["client"])
    url = f"{BASE}/{plan['assigned'].id}"
    assert 'action="%s/progress"' % url in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/progress", data={"status": "in_progress", "text": "Har bestilt nye skilt"}, follow_redirects=True)
    assert response.status_code == 200 and "Har bestilt nye skilt" in response.get_data(as_text=True)
    bind_tenant(db, plan["a"]["tenant"].id)
    item = db.get(ActionItem, plan["assigned"].id)
    db.refresh(item)
    assert item.status == "in_progress" and item.started_at is not None
    note = db.scalars(select(ActionNote).where(ActionNote.action_id == item.id)).one()
    assert (note.new_status, note.author_id) == ("in_progress", plan["a"]["client"].id)


def test_a_client_contact_cannot_update_other_items_of_their_company_nor_see_other_companies(client, db, plan):
    login(client, plan["a"]["client"])
    assert client.get(f"{BASE}/years/{plan['year'].id}").status_code == 200
    unassigned = f"{BASE}/{plan['late'].id}"
    assert client.get(unassigned).status_code == 200  # may read the plan of their own company
    assert client.post(f"{unassigned}/progress", data={"status": "done", "text": "Ferdig"}).status_code == 403
    assert client.get(f"{BASE}/{plan['assigned'].id}/edit").status_code == 403
    assert client.post(f"{BASE}/{plan['assigned'].id}/edit", data={"title": "Nytt navn"}).status_code == 403
    assert client.get(f"{BASE}/{plan['elsewhere'].id}").status_code == 404
    assert client.post(f"{BASE}/{plan['elsewhere'].id}/progress", data={"status": "done"}).status_code == 404
    assert client.get(f"{BASE}/years/{plan['other_year'].id}").status_code == 404
    bind_tenant(db, plan["a"]["tenant"].id)
    item = db.get(ActionItem, plan["late"].id)
    db.refresh(item)
    assert item.status == "open"


def test_staff_add_an_item_and_a_missing_title_gets_422(client, db, plan):
    login(client, plan["a"]["consultant"])
    url = f"{BASE}/years/{plan['year'].id}/new"
    response = client.post(url, data={"title": "", "area": "physical", "status": "open"})
    assert response.status_code == 422
    assert re.search(r'class="field error">\s*<label for="f-title">', response.get_data(as_text=True))
    response = client.post(url, data={"title": "Nødlys", "area": "physical", "status": "in_progress", "deadline": "2030-05-01",
                                      "responsible_user_id": str(plan["a"]["client"].id)})
    assert response.status_code == 302
    bind_tenant(db, plan["a"]["tenant"].id)
    item = db.scalars(select(ActionItem).where(ActionItem.title == "Nødlys")).one()
    assert item.started_at is not None and item.responsible_user_id == plan["a"]["client"].id


def test_the_item_page_links_to_the_evidence_upload(client, plan):
    login(client, plan["a"]["client"])
    body = client.get(f"{BASE}/{plan['assigned'].id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*/evidence/new[^"]*)"', body).group(1).replace("&amp;", "&")
    assert "target_type=action_item" in link and f"target_id={plan['assigned'].id}" in link
    assert client.get(link).status_code == 200


def test_an_admin_sets_the_reminder_days(client, db, plan):
    a = plan["a"]
    login(client, a["admin"])
    assert "30, 7, 1" in client.get(f"{BASE}/settings").get_data(as_text=True)
    response = client.post(f"{BASE}/settings", data={"action_reminder_days": "abc"})
    assert response.status_code == 422 and "Bruk hele dager" in response.get_data(as_text=True)
    assert client.post(f"{BASE}/settings", data={"action_reminder_days": "3, 14,14"}).status_code == 302
    with platform_access(db):
        tenant = db.get(Tenant, a["tenant"].id)
        db.refresh(tenant)
    assert tenant.setting("action_reminder_days") == [14, 3]
    assert tenant.setting("certificate_prefix") == "HMS"  # the other settings stay


def test_only_admins_reach_the_reminder_settings(client, plan):
    login(client, plan["a"]["consultant"])
    assert client.get(f"{BASE}/settings").status_code == 403


def test_the_plan_page_runs_the_same_number_of_queries_for_3_and_300_items(client, db, plan, count_queries):
    a = plan["a"]
    bind_tenant(db, a["tenant"].id)
    big = CertificationYear(company_id=a["company"].id, year=2031, consultant_id=a["consultant"].id)
    db.add(big)
    db.flush()
    today = oslo_today()
    db.add_all([ActionItem(year_id=big.id, title=f"Tiltak {i}", deadline=today + timedelta(days=i % 50 - 25),
                           responsible_user_id=a["client"].id if i % 2 else None, responsible_name="" if i % 2 else f"Person {i % 7}",
                           status=("open", "in_progress", "done")[i % 3]) for i in range(300)])
    db.commit()
    small_url, large_url = f"{BASE}/years/{plan['year'].id}", f"{BASE}/years/{big.id}"
    login(client, a["consultant"])
    client.get(small_url)
    with count_queries() as small:
        assert client.get(small_url).status_code == 200
    with count_queries() as large:
        response = client.get(large_url)
    assert response.status_code == 200 and len(_order(response.get_data(as_text=True))) == 300
    assert small.count == large.count, large.statements


# -- API -----------------------------------------------------------------------------------------------------

def _token(db, user) -> dict:
    _, token = create_api_token(db, user, "test")
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_api_lets_a_client_contact_update_an_assigned_item_only(client, db, plan):
    headers = _token(db, plan["a"]["client"])
    # Closing as done needs evidence on the item (tests/functional/test_action_ownership.py); progress does not.
    response = client.post(f"{API}/action-items/{plan['assigned'].id}/progress", json={"status": "in_progress", "text": "I gang"},
                           headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "in_progress" and response.get_json()["notes"][-1]["text"] == "I gang"
    assert client.post(f"{API}/action-items/{plan['late'].id}/progress", json={"status": "done"}, headers=headers).status_code == 403
    assert client.patch(f"{API}/action-items/{plan['assigned'].id}", json={"title": "x"}, headers=headers).status_code == 403
    assert client.get(f"{API}/action-items/{plan['elsewhere'].id}", headers=headers).status_code == 404


def test_the_api_lists_overdue_first_and_summarises(client, plan):
    headers = {"Authorization": f"Bearer {plan['a']['api_token']}"}
    listed = client.get(f"{API}/years/{plan['year'].id}/action-items", headers=headers).get_json()
    assert [i["id"] for i in listed["items"]] == [plan["late"].id, plan["assigned"].id, plan["future"].id]
    assert listed["items"][0]["overdue"] is True
    overdue = client.get(f"{API}/years/{plan['year'].id}/action-items?overdue=1", headers=headers).get_json()
    assert overdue["total"] == 1
    summary = client.get(f"{API}/years/{plan['year'].id}/action-summary", headers=headers).get_json()
    assert (summary["total"], summary["open"], summary["overdue"]) == (3, 3, 1)


def test_api_validation_errors_name_the_field(client, plan):
    headers = {"Authorization": f"Bearer {plan['a']['api_token']}"}
    url = f"{API}/years/{plan['year'].id}/action-items"
    response = client.post(url, json={"title": "", "deadline": "neste uke", "status": "kanskje"}, headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"title", "deadline", "status"}
    stranger = 10_000_000
    response = client.post(url, json={"title": "Tiltak", "responsible_user_id": stranger}, headers=headers)
    assert response.status_code == 422 and list(response.get_json()["fields"]) == ["responsible_user_id"]
    response = client.put(f"{API}/action-reminder-settings", json={"action_reminder_days": [0]}, headers=headers)
    assert response.status_code == 422 and list(response.get_json()["fields"]) == ["action_reminder_days"]


def test_the_action_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/t/{slug}/years/{year_id}/action-items", "/api/v1/t/{slug}/action-items/{action_id}/progress",
                 "/api/v1/t/{slug}/years/{year_id}/action-summary", "/api/v1/t/{slug}/action-reminder-settings"):
        assert path in paths
