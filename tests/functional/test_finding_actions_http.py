"""Findings as actions over HTTP: the settings page and API for the defaults by grade, the action page's
link back to the finding, and "1 nytt tiltak"."""
from __future__ import annotations

from sqlalchemy import select

from saas.auth import create_api_token
from saas.hms.models import ActionItem
from saas.tenancy import bind_tenant
from tests.conftest import login
from tests.functional.test_hms_mappings import answer_ids, new_mapping, world  # noqa: F401  (fixture)


def test_the_admin_sets_the_defaults_by_grade_and_a_bad_value_names_the_field(client, db, world):
    login(client, world["admin"])
    page = client.get("/t/bht/actions/settings").get_data(as_text=True)
    assert 'name="serious_deadline_days" value="14"' in page and 'name="minor_deadline_days" value="60"' in page
    bad = client.post("/t/bht/actions/settings", data={"action_reminder_days": "7", "serious_deadline_days": "900"})
    assert bad.status_code == 422 and 'id="e-serious_deadline_days"' in bad.get_data(as_text=True)
    ok = client.post("/t/bht/actions/settings", data={"action_reminder_days": "7", "serious_deadline_days": "10",
                                                     "minor_deadline_days": "", "serious_responsible": "consultant"})
    assert ok.status_code == 302
    assert 'name="serious_deadline_days" value="10"' in client.get("/t/bht/actions/settings").get_data(as_text=True)


def test_the_api_reads_and_sets_the_finding_defaults(client, db, world):
    bind_tenant(db, world["tenant"].id)
    token = create_api_token(db, world["admin"], "t")[1]
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    got = client.get("/api/v1/t/bht/finding-defaults", headers=headers)
    assert got.status_code == 200 and got.json["serious_deadline_days"] == 14
    bad = client.put("/api/v1/t/bht/finding-defaults", headers=headers, json={"minor_responsible": "the boss"})
    assert bad.status_code == 422 and "minor_responsible" in bad.json["fields"]
    put = client.put("/api/v1/t/bht/finding-defaults", headers=headers, json={"serious_deadline_days": 3})
    assert put.status_code == 200 and put.json["serious_deadline_days"] == 3


def test_the_action_links_back_to_the_finding_and_the_flash_says_nytt(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    db.commit()
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", follow_redirects=True, data={
        "ids": [ids["A1"]], f"a{ids['A1']}-answer": "finding", f"a{ids['A1']}-grade": "serious",
        f"a{ids['A1']}-comment": "Løs matte"})
    assert "1 nytt tiltak er lagt i handlingsplanen" in response.get_data(as_text=True)
    bind_tenant(db, world["tenant"].id)
    item = db.scalar(select(ActionItem).where(ActionItem.source_id == ids["A1"]))
    db.commit()
    detail = client.get(f"/t/bht/actions/{item.id}").get_data(as_text=True)
    assert f"/t/bht/years/mappings/{mapping_id}#punkt-{ids['A1']}" in detail and "Løs matte" in detail
