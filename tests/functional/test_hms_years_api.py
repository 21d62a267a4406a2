"""The JSON API of years, mappings, safety rounds, compliance checks and checklist templates."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.auth import create_api_token
from saas.hms.models import ActionItem
from saas.tenancy import bind_tenant
from tests import factories

BASE = "/api/v1/t/bht"


@pytest.fixture
def world(db):
    tenant = factories.make_tenant(db, slug="bht")
    consultant = factories.make_user(db, tenant, roles=("consultant",))
    admin = factories.make_user(db, tenant, roles=("admin",))
    client_user = factories.make_user(db, tenant, roles=("client",))
    company = factories.make_company(db, tenant, name="Meheia Elektro AS", consultant_id=consultant.id, employee_count=4)
    other = factories.make_company(db, tenant, name="Annen Kunde AS")
    factories.make_contact(db, company, user=client_user)
    tokens = {name: create_api_token(db, user, "test")[1] for name, user in
              (("consultant", consultant), ("admin", admin), ("client", client_user))}
    data = dict(tenant=tenant, company=company, other=other, consultant=consultant, tokens=tokens)
    db.flush()
    bind_tenant(db, None)
    db.commit()
    return data


def call(client, world, method: str, path: str, as_: str = "consultant", **kwargs):
    return client.open(BASE + path, method=method, headers={"Authorization": f"Bearer {world['tokens'][as_]}"}, **kwargs)


def test_open_read_and_work_on_a_year_through_the_api(client, db, world):
    company_id = world["company"].id
    created = call(client, world, "POST", f"/companies/{company_id}/years", json={"year": 2026})
    assert created.status_code == 201
    year_id = created.json["id"]
    assert created.json["year"] == 2026 and created.json["status"] == "open"

    duplicate = call(client, world, "POST", f"/companies/{company_id}/years", json={"year": 2026})
    assert duplicate.status_code == 422
    assert duplicate.json["fields"] == {"year": ["Meheia Elektro AS har allerede et sertifiseringsår for 2026."]}
    invalid = call(client, world, "POST", f"/companies/{company_id}/years", json={"year": "neste år"})
    assert invalid.status_code == 422 and "year" in invalid.json["fields"]

    listed = call(client, world, "GET", f"/companies/{company_id}/years")
    assert [y["year"] for y in listed.json["items"]] == [2026]

    mapping = call(client, world, "POST", f"/years/{year_id}/physical-mappings", json={"performed_on": "2026-03-02"})
    assert mapping.status_code == 201
    answers = {a["item_key"]: a for s in mapping.json["checklist"]["sections"] for a in s["answers"]}
    assert mapping.json["checklist"]["total"] == len(answers) > 30
    bad = call(client, world, "PUT", f"/physical-mappings/{mapping.json['id']}/answers",
               json={"answers": [{"id": answers["E1"]["id"], "answer": "maybe"}]})
    assert bad.status_code == 422 and "answers.0.answer" in bad.json["fields"]
    saved = call(client, world, "PUT", f"/physical-mappings/{mapping.json['id']}/answers",
                 json={"answers": [{"id": answers["E1"]["id"], "answer": "finding", "finding_grade": "minor",
                                    "comment": "Stoler kan ikke justeres", "measured_value": 2.5}]})
    assert saved.status_code == 200
    e1 = next(a for s in saved.json["checklist"]["sections"] for a in s["answers"] if a["item_key"] == "E1")
    assert e1["action_item_id"] and e1["measured_value"] == 2.5

    patched = call(client, world, "PATCH", f"/physical-mappings/{mapping.json['id']}", json={"method": "third_party"})
    assert patched.status_code == 422 and patched.json["fields"] == {"performed_by": ["Skriv hvem som utførte kartleggingen."]}
    patched = call(client, world, "PATCH", f"/physical-mappings/{mapping.json['id']}", json={"participants": "Daglig leder"})
    assert patched.status_code == 200 and patched.json["participants"] == "Daglig leder" and patched.json["performed_on"] == "2026-03-02"

    overview = call(client, world, "GET", f"/years/{year_id}").json
    assert overview["actions"]["total"] == 1 and overview["actions"]["items_preview"][0]["title"] == "Stoler kan ikke justeres"  # the finding, not the ideal
    assert overview["physical_mappings"][0]["findings"] == 1
    assert {c["key"] for c in overview["compliance"]["checks"]} >= {"employment_contracts", "safety_representative"}
    assert "amu" not in {c["key"] for c in overview["compliance"]["checks"]}  # 4 employees

    check = overview["compliance"]["checks"][0]
    verified = call(client, world, "PATCH", f"/compliance-checks/{check['id']}", json={"status": "verified", "note": "Sett"})
    assert verified.status_code == 200 and verified.json["status"] == "verified" and verified.json["verified_at"]
    assert call(client, world, "PATCH", f"/compliance-checks/{check['id']}", json={"status": "odd"}).status_code == 422

    psy = call(client, world, "POST", f"/years/{year_id}/psychosocial-mappings",
               json={"method_interviews": False, "method_survey": False})
    assert psy.status_code == 422 and "method_interviews" in psy.json["fields"]
    psy = call(client, world, "POST", f"/years/{year_id}/psychosocial-mappings", json={"conversation_count": 6, "themes": "Støtte"})
    finding = call(client, world, "POST", f"/psychosocial-mappings/{psy.json['id']}/findings", json={"title": "Faste teammøter"})
    assert finding.status_code == 201 and finding.json["area"] == "psychosocial"

    safety_round = call(client, world, "POST", f"/years/{year_id}/safety-rounds", json={"location": "Kundeanlegg"})
    assert safety_round.status_code == 201 and safety_round.json["checklist"]["sections"][0]["title"] == "Formøte"


def test_the_report_is_asked_for_through_the_api_and_runs_as_a_job(client, db, world):
    year_id = call(client, world, "POST", f"/companies/{world['company'].id}/years", json={"year": 2026}).json["id"]
    mapping = call(client, world, "POST", f"/years/{year_id}/physical-mappings", json={"performed_on": "2026-03-02"}).json
    assert call(client, world, "POST", f"/physical-mappings/{mapping['id']}/report").status_code == 422
    call(client, world, "PUT", f"/physical-mappings/{mapping['id']}/answers", json={"answers": [], "fill_unanswered_ok": True})
    assert call(client, world, "POST", f"/physical-mappings/{mapping['id']}/complete").status_code == 200
    requested = call(client, world, "POST", f"/physical-mappings/{mapping['id']}/report")
    assert requested.status_code == 202 and requested.json == {"report_version": 1}
    assert call(client, world, "GET", f"/physical-mappings/{mapping['id']}").json["report_evidence_id"]


def test_a_client_contact_reads_their_company_but_gets_403_for_staff_work_and_404_for_others(client, db, world):
    year_id = call(client, world, "POST", f"/companies/{world['company'].id}/years", json={"year": 2026}).json["id"]
    other_year = call(client, world, "POST", f"/companies/{world['other'].id}/years", json={"year": 2026}).json["id"]
    mapping = call(client, world, "POST", f"/years/{year_id}/physical-mappings", json={"method": "provider"}).json

    assert call(client, world, "GET", f"/years/{year_id}", as_="client").status_code == 200
    assert call(client, world, "GET", f"/physical-mappings/{mapping['id']}", as_="client").status_code == 200
    assert call(client, world, "POST", f"/years/{year_id}/physical-mappings", as_="client", json={}).status_code == 403
    assert call(client, world, "POST", f"/companies/{world['company'].id}/years", as_="client", json={"year": 2027}).status_code == 403
    answer = mapping["checklist"]["sections"][0]["answers"][0]
    assert call(client, world, "PUT", f"/physical-mappings/{mapping['id']}/answers", as_="client",
                json={"answers": [{"id": answer["id"], "answer": "ok"}]}).status_code == 403
    other = call(client, world, "GET", f"/years/{other_year}", as_="client")
    assert other.status_code == 404 and "Annen Kunde" not in other.get_data(as_text=True)
    assert call(client, world, "GET", f"/companies/{world['other'].id}/years", as_="client").status_code == 404
    bind_tenant(db, world["tenant"].id)
    assert db.scalar(select(ActionItem.id)) is None


def test_checklist_templates_in_the_api_and_edits_need_an_admin(client, db, world):
    templates = call(client, world, "GET", "/checklist-templates")
    physical = next(t for t in templates.json["items"] if t["kind"] == "physical")
    detail = call(client, world, "GET", f"/checklist-templates/{physical['id']}").json
    assert detail["version"] == 1 and detail["sections"][0]["items"][0]["key"] == "A1"
    edit = {"operation": "add_section", "title_nb": "Utendørs arbeid"}
    assert call(client, world, "POST", f"/checklist-templates/{physical['id']}/edits", json=edit).status_code == 403
    done = call(client, world, "POST", f"/checklist-templates/{physical['id']}/edits", as_="admin", json=edit)
    assert done.status_code == 201 and done.json["version"] == 2 and done.json["sections"][-1]["title_nb"] == "Utendørs arbeid"
    refused = call(client, world, "POST", f"/checklist-templates/{physical['id']}/edits", as_="admin",
                   json={"operation": "remove_item", "item_key": "Q9"})
    assert refused.status_code == 422 and "item_key" in refused.json["fields"]


def test_the_openapi_document_lists_the_year_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/t/{slug}/companies/{company_id}/years", "/api/v1/t/{slug}/years/{year_id}",
                 "/api/v1/t/{slug}/physical-mappings/{mapping_id}/answers", "/api/v1/t/{slug}/compliance-checks/{check_id}",
                 "/api/v1/t/{slug}/checklist-templates/{template_id}/edits"):
        assert path in paths
