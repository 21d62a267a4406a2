"""Mappings, safety rounds, compliance checks and checklist templates over HTTP."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from saas.hms.models import ActionItem, ChecklistAnswer, ChecklistTemplateVersion, ComplianceCheck, Evidence, PhysicalMapping
from saas.hms.services import checklists, years
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login


@pytest.fixture
def world(db):
    tenant = factories.make_tenant(db, slug="bht", name="Bedriftstjenesten AS")
    consultant = factories.make_user(db, tenant, roles=("consultant",))
    admin = factories.make_user(db, tenant, roles=("admin",))
    client_user = factories.make_user(db, tenant, roles=("client",))
    company = factories.make_company(db, tenant, name="Jondal Bygg AS", consultant_id=consultant.id, works_off_premises=True)
    factories.make_contact(db, company, user=client_user)
    year = years.open_year(db, consultant, company, {"year": 2026})
    data = dict(tenant=tenant, consultant=consultant, admin=admin, client=client_user, company=company, year=year)
    db.flush()
    bind_tenant(db, None)
    db.commit()
    return data


def answer_ids(db, tenant_id: int, mapping_id: int) -> dict[str, int]:
    bind_tenant(db, tenant_id)
    mapping = db.get(PhysicalMapping, mapping_id)
    return {a.item_key: a.id for a in db.scalars(select(ChecklistAnswer).where(ChecklistAnswer.run_id == mapping.run_id))}


def new_mapping(client, year_id: int, **fields) -> int:
    data = {"performed_on": "2026-03-02", "method": "provider", "participants": "Daglig leder, verneombud", **fields}
    response = client.post(f"/t/bht/years/{year_id}/mappings/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_consultant_records_a_finding_that_lands_in_the_action_plan(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    page = client.get(f"/t/bht/years/mappings/{mapping_id}").get_data(as_text=True)
    assert "Gulv, trapper og gangveier" in page and f'name="a{ids["A1"]}-file"' in page  # a file per item, in the form
    form = {"ids": [ids["B2"], ids["C1"]], f"a{ids['B2']}-answer": "finding", f"a{ids['B2']}-grade": "serious",
            f"a{ids['B2']}-comment": "Bare 310 lx ved benken", f"a{ids['B2']}-value": "310", f"a{ids['B2']}-unit": "lx",
            f"a{ids['C1']}-answer": "ok", f"a{ids['C1']}-value": "21,5", f"a{ids['C1']}-unit": "°C"}
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", data=form, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 nytt tiltak er lagt i handlingsplanen" in body
    bind_tenant(db, world["tenant"].id)
    item = db.scalar(select(ActionItem).where(ActionItem.source_id == ids["B2"]))
    assert (item.source_type, item.grade, item.area) == ("finding", "serious", "physical")
    assert f"/t/bht/actions/{item.id}" in body
    assert str(db.get(ChecklistAnswer, ids["C1"]).measured_value) in ("21.500", "21.5")


def test_a_bad_answer_form_answers_422_and_saves_nothing(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    form = {"ids": [ids["A1"], ids["A2"]], f"a{ids['A1']}-answer": "ok", f"a{ids['A2']}-answer": "finding"}
    response = client.post(f"/t/bht/years/mappings/{mapping_id}/answers", data=form)
    assert response.status_code == 422 and "Velg alvorlighetsgrad for avviket." in response.get_data(as_text=True)
    bad_value = {"ids": [ids["A1"]], f"a{ids['A1']}-answer": "ok", f"a{ids['A1']}-value": "mye"}
    assert client.post(f"/t/bht/years/mappings/{mapping_id}/answers", data=bad_value).status_code == 422
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    assert db.get(ChecklistAnswer, ids["A1"]).answer is None
    assert db.scalar(select(func.count(ActionItem.id))) == 0


def test_completing_and_generating_the_report_gives_a_pdf_with_the_findings(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    ids = answer_ids(db, world["tenant"].id, mapping_id)
    incomplete = client.post(f"/t/bht/years/mappings/{mapping_id}/complete")
    assert incomplete.status_code == 422 and "er ikke besvart" in incomplete.get_data(as_text=True)
    client.post(f"/t/bht/years/mappings/{mapping_id}/answers", data={
        "ids": [ids["H4"]], f"a{ids['H4']}-answer": "finding", f"a{ids['H4']}-grade": "minor",
        f"a{ids['H4']}-comment": "Branndør holdes åpen med kile", "fill_unanswered_ok": "1"})
    assert client.post(f"/t/bht/years/mappings/{mapping_id}/report").status_code == 422  # not completed yet
    assert client.post(f"/t/bht/years/mappings/{mapping_id}/complete").status_code == 302
    assert client.post(f"/t/bht/years/mappings/{mapping_id}/report").status_code == 302  # the job runs after the commit
    page = client.get(f"/t/bht/years/mappings/{mapping_id}").get_data(as_text=True)
    bind_tenant(db, world["tenant"].id)
    reports = db.scalars(select(Evidence).where(Evidence.target_type == "physical_mapping_report", Evidence.target_id == mapping_id)
                         .order_by(Evidence.id)).all()
    assert len(reports) == 2  # completing made the first; "Lag rapport (PDF)" made another
    evidence = reports[-1]
    assert f"/t/bht/evidence/{evidence.id}/download" in page and "Gjeldende" in page
    pdf = client.get(f"/t/bht/evidence/{evidence.id}/download")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Jondal Bygg AS" in text and "Branndør holdes åpen med kile" in text and "Bedriftstjenesten AS" in text
    assert db.get(PhysicalMapping, mapping_id).report_evidence_id == evidence.id


def test_a_client_contact_answers_a_self_mapping_but_not_a_provider_mapping(client, db, world):
    login(client, world["consultant"])
    own = new_mapping(client, world["year"].id, method="self")
    provider = new_mapping(client, world["year"].id, method="provider")
    ids_own, ids_provider = answer_ids(db, world["tenant"].id, own), answer_ids(db, world["tenant"].id, provider)
    client.post("/logout")
    login(client, world["client"])
    assert "Lagre svar" in client.get(f"/t/bht/years/mappings/{own}").get_data(as_text=True)
    response = client.post(f"/t/bht/years/mappings/{own}/answers", data={"ids": [ids_own["A1"]], f"a{ids_own['A1']}-answer": "ok"})
    assert response.status_code == 302
    forbidden = client.post(f"/t/bht/years/mappings/{provider}/answers",
                            data={"ids": [ids_provider["A1"]], f"a{ids_provider['A1']}-answer": "ok"})
    assert forbidden.status_code == 403
    for url in (f"/t/bht/years/mappings/{own}", f"/t/bht/years/mappings/{own}/complete", f"/t/bht/years/mappings/{own}/verify",
                f"/t/bht/years/mappings/{own}/report"):
        assert client.post(url, data={"method": "provider"}).status_code == 403, url
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    assert db.get(ChecklistAnswer, ids_own["A1"]).answer == "ok"
    assert db.get(ChecklistAnswer, ids_provider["A1"]).answer is None


def test_a_third_party_mapping_names_who_did_it_and_is_verified_by_a_consultant(client, db, world):
    login(client, world["consultant"])
    missing = client.post(f"/t/bht/years/{world['year'].id}/mappings/new", data={"method": "third_party", "performed_by": ""})
    assert missing.status_code == 422 and "Skriv hvem som utførte kartleggingen." in missing.get_data(as_text=True)
    mapping_id = new_mapping(client, world["year"].id, method="third_party", performed_by="Bedriftshelse Vest AS")
    assert "Venter på verifisering" in client.get(f"/t/bht/years/{world['year'].id}").get_data(as_text=True)
    assert client.post(f"/t/bht/years/mappings/{mapping_id}/verify").status_code == 302
    bind_tenant(db, world["tenant"].id)
    mapping = db.get(PhysicalMapping, mapping_id)
    assert mapping.verified_by == world["consultant"].id and mapping.verified_at is not None
    assert "Venter på verifisering" not in client.get(f"/t/bht/years/{world['year'].id}").get_data(as_text=True)


def test_psychosocial_mapping_warns_about_personal_data_and_adds_findings_to_the_plan(client, db, world):
    login(client, world["consultant"])
    form = client.get(f"/t/bht/years/{world['year'].id}/psychosocial/new").get_data(as_text=True)
    assert "Skriv ikke personopplysninger her" in form and "Koble til undersøkelse" in form
    response = client.post(f"/t/bht/years/{world['year'].id}/psychosocial/new", data={
        "method_interviews": "1", "conversation_count": "9", "themes": "Arbeidsmengde", "findings": "Høyt tempo i perioder"})
    assert response.status_code == 302
    url = response.headers["Location"]
    assert client.post(url + "/findings", data={"title": ""}).status_code == 422
    assert client.post(url + "/findings", data={"title": "Avklar roller på byggeplassen", "grade": "minor"}).status_code == 302
    bind_tenant(db, world["tenant"].id)
    item = db.scalar(select(ActionItem).where(ActionItem.title == "Avklar roller på byggeplassen"))
    assert item.area == "psychosocial"
    assert "Avklar roller på byggeplassen" in client.get(url).get_data(as_text=True)
    bad = client.post(f"/t/bht/years/{world['year'].id}/psychosocial/new", data={"conversation_count": "-1"})
    assert bad.status_code == 422


def test_a_safety_round_with_a_finding(client, db, world):
    login(client, world["consultant"])
    response = client.post(f"/t/bht/years/{world['year'].id}/rounds/new", data={"held_on": "2026-06-01", "location": "Byggeplass Kongsberg"})
    assert response.status_code == 302
    round_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/t/bht/years/rounds/{round_id}").get_data(as_text=True)
    assert "Formøte" in page and "Befaring" in page
    bind_tenant(db, world["tenant"].id)
    from saas.hms.models import SafetyRound

    run_id = db.get(SafetyRound, round_id).run_id
    answer = db.scalar(select(ChecklistAnswer).where(ChecklistAnswer.run_id == run_id, ChecklistAnswer.item_key == "B1"))
    client.post(f"/t/bht/years/rounds/{round_id}/answers", data={"ids": [answer.id], f"a{answer.id}-answer": "finding",
                                                                   f"a{answer.id}-grade": "serious"})
    assert db.scalar(select(ActionItem.source_type).where(ActionItem.source_id == answer.id)) == "safety_round"


def test_compliance_checks_record_who_verified(client, db, world):
    login(client, world["consultant"])
    bind_tenant(db, world["tenant"].id)
    check = db.scalar(select(ComplianceCheck).where(ComplianceCheck.year_id == world["year"].id, ComplianceCheck.key == "employment_contracts"))
    page = client.get(f"/t/bht/years/{world['year'].id}/compliance").get_data(as_text=True)
    assert "Skriftlige arbeidsavtaler med alle ansatte" in page and f"target_id={check.id}" in page
    assert client.post(f"/t/bht/years/compliance/{check.id}", data={"status": "not_ok", "note": ""}).status_code == 422
    assert client.post(f"/t/bht/years/compliance/{check.id}", data={"status": "verified", "note": "Sett 12 avtaler"}).status_code == 302
    db.expire_all()
    check = db.get(ComplianceCheck, check.id)
    assert (check.status, check.verified_by) == ("verified", world["consultant"].id) and check.verified_at is not None


def test_an_admin_edits_the_template_and_each_save_is_a_version(client, db, world):
    login(client, world["consultant"])
    mapping_id = new_mapping(client, world["year"].id)
    assert client.get("/t/bht/checklists/").status_code == 403
    client.post("/logout")
    login(client, world["admin"])
    bind_tenant(db, world["tenant"].id)
    template = checklists.ensure_default_templates(db)["physical"]
    db.commit()
    assert "Fysisk kartlegging av arbeidsplassen" in client.get("/t/bht/checklists/").get_data(as_text=True)
    edit = f"/t/bht/checklists/{template.id}/edit"
    assert client.post(edit, data={"operation": "add_item", "section_key": "A", "form_id": "add-item-A", "text_nb": ""}).status_code == 422
    assert client.post(edit, data={"operation": "add_item", "section_key": "A", "form_id": "add-item-A",
                                   "text_nb": "Stiger er kontrollert og merket."}).status_code == 302
    assert client.post(edit, data={"operation": "move_item", "item_key": "A4", "step": "-1"}).status_code == 302
    assert client.post(edit, data={"operation": "remove_item", "item_key": "A1"}).status_code == 302
    bind_tenant(db, world["tenant"].id)
    current = checklists.current_version(db, template.id)
    assert current.version == 4
    assert [i["key"] for i in current.content["sections"][0]["items"]] == ["A2", "A4", "A3"]
    page = client.get(f"/t/bht/checklists/{template.id}").get_data(as_text=True)
    assert "Stiger er kontrollert og merket." in page and "Versjon 1" in page
    # The mapping made before the edits still shows version 1 with A1.
    mapping_page = client.get(f"/t/bht/years/mappings/{mapping_id}").get_data(as_text=True)
    assert "versjon 1" in mapping_page and "Gulv, trapper og gangveier" in mapping_page
    first = db.scalar(select(ChecklistTemplateVersion).where(ChecklistTemplateVersion.template_id == template.id,
                                                            ChecklistTemplateVersion.version == 1))
    assert "Gulv, trapper" in client.get(f"/t/bht/checklists/versions/{first.id}").get_data(as_text=True)


def test_a_client_contact_reads_the_psychosocial_mapping_and_safety_round_without_forms(client, db, world):
    login(client, world["consultant"])
    assert client.get(f"/t/bht/years/companies/{world['company'].id}/open").status_code == 200
    psy_url = client.post(f"/t/bht/years/{world['year'].id}/psychosocial/new", data={
        "method_interviews": "1", "conversation_count": "5", "themes": "Støtte fra leder"}).headers["Location"]
    round_url = client.post(f"/t/bht/years/{world['year'].id}/rounds/new", data={"location": "Hytte på Jondal"}).headers["Location"]
    client.post("/logout")
    login(client, world["client"])
    psy_page = client.get(psy_url)
    assert psy_page.status_code == 200 and "Støtte fra leder" in psy_page.get_data(as_text=True)
    assert "<form" not in psy_page.get_data(as_text=True).split("<main>")[1]
    round_page = client.get(round_url)
    assert round_page.status_code == 200 and "Hytte på Jondal" in round_page.get_data(as_text=True)
    assert "Lagre svar" not in round_page.get_data(as_text=True)
    assert client.post(psy_url, data={"themes": "Endret"}).status_code == 403
    assert client.post(psy_url + "/findings", data={"title": "X"}).status_code == 403
    assert client.post(round_url + "/answers", data={}).status_code == 403
