"""A client contact's home: their checklists, their action items and what evidence is missing; they answer
and upload there, and the consultant verifies with who and when recorded."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from saas.hms.models import ActionItem, ActionNote, CertificationYear, ChecklistAnswer, ComplianceCheck, Evidence, PhysicalMapping
from saas.hms.services import actions as action_services
from saas.hms.services import mappings
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def a(two_tenants, db):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    return two_tenants["a"]


@pytest.fixture
def today():
    return action_services.oslo_today()


def fresh(db, a):
    bind_tenant(db, a["tenant"].id)  # requests on the shared test connection changed its tenant settings
    db.expire_all()


def relogin(client, db, a, user):
    client.post("/logout")
    bind_tenant(db, a["tenant"].id)  # so reading the user's e-mail sees the tenant's rows
    login(client, user)


def test_the_client_home_shows_my_items_and_not_the_ones_of_others(client, db, a, today):
    mine = ActionItem(year_id=a["year"].id, title="Bytt brannslukker", deadline=today + timedelta(days=10),
                      responsible_user_id=a["client"].id)
    not_mine = ActionItem(year_id=a["year"].id, title="Rådgiverens eget tiltak", responsible_user_id=a["consultant"].id)
    db.add_all([mine, not_mine])
    db.commit()
    login(client, a["client"])
    body = client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    assert "Kunde A Hemmelig AS" in body
    assert "Bytt brannslukker" in body and "Tiltak A Hemmelig" in body  # the world's item is assigned to the client too
    assert "Rådgiverens eget tiltak" not in body
    assert "Annen kunde A AS" not in body  # a company the client is not linked to
    assert f'action="/t/tenant-a/work/mine/actions/{mine.id}"' in body and 'enctype="multipart/form-data"' in body


def test_the_client_home_lists_what_evidence_is_missing(client, db, a):
    a["action"].status = "in_progress"
    db.commit()
    login(client, a["client"])
    body = client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    section = body[body.index("Dette mangler dokumentasjon"):]
    # the world's mapping is done with the provider, so A2's compliance documentation is not asked for
    assert "Skriftlige arbeidsavtaler med alle ansatte" not in section
    fresh(db, a)
    a["mapping"].method = "third_party"
    db.commit()
    body = client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    section = body[body.index("Dette mangler dokumentasjon"):]
    assert "Skriftlige arbeidsavtaler med alle ansatte" in section  # the pending compliance check
    assert "Rapport fra fysisk kartlegging" in section and "Rapport fra psykososial kartlegging" in section
    # the world's item has a file already (pending), so it is not missing
    assert "Bevis for tiltaket" not in section
    assert f"target_type=compliance_check&amp;target_id={a['compliance_check'].id}" in section


def test_a_client_closes_an_item_with_a_note_and_a_file_and_the_consultant_verifies_it(client, db, a):
    login(client, a["client"])
    response = client.post(f"/t/tenant-a/work/mine/actions/{a['action'].id}", content_type="multipart/form-data",
                           data={"status": "done", "text": "Nytt nødlys er montert.", "file": (io.BytesIO(PDF), "faktura.pdf")})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/work/mine#tiltak-{a['action'].id}")
    fresh(db, a)
    item = db.get(ActionItem, a["action"].id)
    assert item.status == "done" and item.completed_at is not None
    note = db.scalar(select(ActionNote).where(ActionNote.action_id == item.id).order_by(ActionNote.id.desc()))
    assert note.text == "Nytt nødlys er montert." and note.new_status == "done" and note.author_id == a["client"].id
    evidence = db.scalar(select(Evidence).where(Evidence.original_name == "faktura.pdf"))
    assert evidence.target_type == "action_item" and evidence.target_id == item.id and evidence.status == "pending"
    evidence_id = evidence.id
    assert "faktura.pdf" in client.get("/t/tenant-a/work/mine").get_data(as_text=True)

    relogin(client, db, a, a["consultant"])
    assert "faktura.pdf" in client.get("/t/tenant-a/work/").get_data(as_text=True)
    assert client.post(f"/t/tenant-a/evidence/{evidence_id}/verify", data={"status": "verified"}).status_code == 302
    fresh(db, a)
    evidence = db.get(Evidence, evidence_id)
    assert evidence.status == "verified" and evidence.verified_by == a["consultant"].id and evidence.verified_at

    relogin(client, db, a, a["client"])
    body = client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    assert re.search(r"faktura\.pdf</a>.*?Godkjent", body, re.S) and a["consultant"].name in body  # who verified


def test_a_refused_file_saves_nothing_of_the_update(client, db, a):
    login(client, a["client"])
    response = client.post(f"/t/tenant-a/work/mine/actions/{a['action'].id}", content_type="multipart/form-data",
                           data={"status": "done", "text": "Ferdig", "file": (io.BytesIO(b"<svg/>"), "bilde.svg")})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Filtypen er ikke tillatt" in body and "Ferdig" in body  # the note is kept in the form
    fresh(db, a)
    assert db.get(ActionItem, a["action"].id).status == "open"
    assert db.scalar(select(ActionNote).where(ActionNote.text == "Ferdig")) is None


def test_an_empty_update_is_refused(client, a):
    login(client, a["client"])
    response = client.post(f"/t/tenant-a/work/mine/actions/{a['action'].id}", data={"status": "open", "text": " "})
    assert response.status_code == 422 and "Skriv et notat, endre status eller last opp en fil." in response.get_data(as_text=True)


def test_a_client_cannot_update_an_item_not_assigned_to_them(client, db, a):
    other = ActionItem(year_id=a["year"].id, title="Noen andres", responsible_user_id=a["consultant"].id)
    db.add(other)
    stranger = factories.make_user(db, a["tenant"], roles=("client",))
    factories.make_contact(db, a["other_company"], user=stranger)
    db.commit()
    login(client, a["client"])
    assert client.post(f"/t/tenant-a/work/mine/actions/{other.id}", data={"status": "done"}).status_code == 404
    relogin(client, db, a, stranger)
    assert client.post(f"/t/tenant-a/work/mine/actions/{a['action'].id}", data={"status": "done"}).status_code == 404
    fresh(db, a)
    assert db.get(ActionItem, other.id).status == "open" and db.get(ActionItem, a["action"].id).status == "open"


def _self_year(db, a, today):
    company = factories.make_company(db, a["tenant"], name="Selvgjort AS", consultant_id=a["consultant"].id)
    factories.make_contact(db, company, user=a["client"])
    year = CertificationYear(company_id=company.id, year=today.year, self_mapping=True)
    db.add(year)
    db.commit()
    return year


def _answer_fields(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="ids" value="(\d+)"', body)]


def test_a_client_maps_itself_and_the_consultant_verifies_the_mapping(client, db, a, today):
    year = _self_year(db, a, today)
    year_id = year.id
    login(client, a["client"])
    home = client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    assert f'action="/t/tenant-a/work/mine/years/{year_id}/mapping"' in home
    response = client.post(f"/t/tenant-a/work/mine/years/{year_id}/mapping")
    assert response.status_code == 302
    fill_url = response.headers["Location"]
    page = client.get(fill_url)
    assert page.status_code == 200
    ids = _answer_fields(page.get_data(as_text=True))
    assert len(ids) > 20  # the default checklist

    # saving part of it keeps the answers
    first = {f"a{ids[0]}-answer": "finding", f"a{ids[0]}-grade": "minor", f"a{ids[0]}-comment": "Løs ledning",
             f"a{ids[1]}-answer": "ok", f"a{ids[1]}-value": "520,5", "ids": [str(i) for i in ids], "submit": "0"}
    assert client.post(fill_url, data=first).status_code == 302
    fresh(db, a)
    saved = db.get(ChecklistAnswer, ids[1])
    assert saved.answer == "ok" and float(saved.measured_value) == 520.5
    finding = db.get(ChecklistAnswer, ids[0])
    assert finding.answer == "finding" and finding.action_item_id is not None  # it went into the action plan

    # handing it in with items unanswered is refused, and the typed answers stay on the page
    incomplete = dict(first, submit="1", performed_on=today.isoformat())
    incomplete[f"a{ids[2]}-answer"] = "not_relevant"
    response = client.post(fill_url, data=incomplete)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "ikke besvart" in body and re.search(rf'name="a{ids[2]}-answer" value="not_relevant" checked', body)

    complete = dict(first, submit="1", performed_on=today.isoformat(), participants="Daglig leder, verneombud")
    for i in ids[2:]:
        complete[f"a{i}-answer"] = "ok"
    response = client.post(fill_url, data=complete)
    assert response.status_code == 302
    fresh(db, a)
    mapping = db.scalar(select(PhysicalMapping).where(PhysicalMapping.year_id == year_id))
    mapping_id = mapping.id
    assert mapping.method == "self" and mapping.status == "completed" and mapping.run.submitted_by == a["client"].id
    assert mapping.run.filled_by_client and mapping.verified_at is None
    assert "Sendt inn, venter på verifisering" in client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    # once handed in the client cannot change it
    assert client.post(fill_url, data=complete).status_code == 422

    relogin(client, db, a, a["consultant"])
    home = client.get("/t/tenant-a/work/").get_data(as_text=True)
    assert f'href="/t/tenant-a/years/mappings/{mapping_id}"' in home
    assert client.post(f"/t/tenant-a/years/mappings/{mapping_id}/verify").status_code == 302
    fresh(db, a)
    mapping = db.get(PhysicalMapping, mapping_id)
    assert mapping.verified_by == a["consultant"].id and mapping.verified_at is not None
    assert f'href="/t/tenant-a/years/mappings/{mapping_id}"' not in client.get("/t/tenant-a/work/").get_data(as_text=True)

    relogin(client, db, a, a["client"])
    body = client.get("/t/tenant-a/work/mine").get_data(as_text=True)
    assert "Verifisert" in body and a["consultant"].name in body


def test_a_client_fills_only_self_mappings_of_their_own_companies(client, db, a, today):
    provider_mapping = a["mapping"]  # method "provider"
    year = _self_year(db, a, today)
    bind_tenant(db, a["tenant"].id)
    own = mappings.create_physical(db, a["consultant"], db.get(CertificationYear, year.id), {"method": "self"})
    stranger = factories.make_user(db, a["tenant"], roles=("client",))
    factories.make_contact(db, a["other_company"], user=stranger)
    db.commit()
    login(client, a["client"])
    assert client.get(f"/t/tenant-a/work/mine/mappings/{own.id}").status_code == 200
    assert client.get(f"/t/tenant-a/work/mine/mappings/{provider_mapping.id}").status_code == 404
    relogin(client, db, a, stranger)
    assert client.get(f"/t/tenant-a/work/mine/mappings/{own.id}").status_code == 404
    assert client.post(f"/t/tenant-a/work/mine/years/{year.id}/mapping").status_code == 404
    relogin(client, db, a, a["consultant"])
    assert client.get(f"/t/tenant-a/work/mine/mappings/{own.id}").status_code == 403


def test_a_self_mapping_is_started_once(client, db, a, today):
    year = _self_year(db, a, today)
    login(client, a["client"])
    assert client.post(f"/t/tenant-a/work/mine/years/{year.id}/mapping").status_code == 302
    again = client.post(f"/t/tenant-a/work/mine/years/{year.id}/mapping")
    assert again.status_code == 302
    fresh(db, a)
    assert len(db.scalars(select(PhysicalMapping).where(PhysicalMapping.year_id == year.id)).all()) == 1
    assert "allerede startet" in client.get("/t/tenant-a/work/mine").get_data(as_text=True)


def test_a_year_the_provider_maps_offers_no_self_mapping(client, db, a):
    login(client, a["client"])
    assert client.post(f"/t/tenant-a/work/mine/years/{a['year'].id}/mapping").status_code == 404


def test_the_client_home_query_count_does_not_grow_with_companies_and_items(client, db, a, today, count_queries):
    login(client, a["client"])
    client.get("/t/tenant-a/work/mine")
    with count_queries() as small:
        assert client.get("/t/tenant-a/work/mine").status_code == 200
    for n in range(4):
        company = factories.make_company(db, a["tenant"])
        factories.make_contact(db, company, user=a["client"])
        year = CertificationYear(company_id=company.id, year=today.year)
        db.add(year)
        db.flush()
        db.add(ComplianceCheck(year_id=year.id, key="employment_contracts"))
        for k in range(5):
            db.add(ActionItem(year_id=year.id, title=f"Tiltak {n}-{k}", status="in_progress", responsible_user_id=a["client"].id))
    db.commit()
    with count_queries() as large:
        response = client.get("/t/tenant-a/work/mine")
    assert response.status_code == 200 and "Tiltak 3-4" in response.get_data(as_text=True)
    assert large.count == small.count, large.statements
