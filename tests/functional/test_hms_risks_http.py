"""Risk pages and API over HTTP: the matrix grid, snapshots that survive matrix edits, hazards validated
on the snapshot, measures as action items, and errors that name the field."""
import re

import pytest
from sqlalchemy import select

from saas.auth import create_api_token
from saas.hms import risk
from saas.hms.models import ActionItem, CertificationYear, Hazard, RiskAssessment, RiskMatrixVersion
from saas.hms.services import risks
from saas.tenancy import bind_tenant
from tests.conftest import login

BASE = "/t/tenant-a/risks"
API = "/api/v1/t/tenant-a"


@pytest.fixture
def year(db, a):
    row = CertificationYear(company_id=a["other_company"].id, year=2026, consultant_id=a["consultant"].id)
    db.add(row)
    db.commit()
    return row


def _grid(matrix: dict) -> dict:
    form = {"n_probability": len(matrix["probability_labels"]), "n_consequence": len(matrix["consequence_labels"])}
    for axis in ("probability_labels", "consequence_labels"):
        for i, label in enumerate(matrix[axis]):
            form[f"{axis}-{i}-nb"], form[f"{axis}-{i}-en"] = label["nb"], label["en"]
    for i, row in enumerate(matrix["cells"]):
        for j, colour in enumerate(row):
            form[f"cells-{i}-{j}"] = colour
    return form


def _versions(db, a) -> list[int]:
    bind_tenant(db, a["tenant"].id)
    return db.scalars(select(RiskMatrixVersion.version).order_by(RiskMatrixVersion.version)).all()


def _cells_drawn(body: str) -> set[tuple[int, int]]:
    return {(int(p), int(c)) for p, c in re.findall(r'data-p="(\d)" data-c="(\d)"', body)}


def test_an_admin_edits_the_matrix_as_a_grid_and_gets_a_new_version(client, db, a):
    login(client, a["admin"])
    page = client.get(f"{BASE}/matrix/edit")
    assert page.status_code == 200 and 'name="cells-4-4"' in page.get_data(as_text=True)
    before = _versions(db, a)
    form = _grid(risk.default_matrix().with_cell(1, 1, risk.YELLOW).to_dict())
    form["probability_labels-0-nb"] = "Nesten aldri"
    response = client.post(f"{BASE}/matrix/edit", data=form)
    assert response.status_code == 302
    assert _versions(db, a) == [*before, before[-1] + 1]
    current = risks.current_matrix(db)
    assert current.data["cells"][0][0] == risk.YELLOW and current.data["probability_labels"][0]["nb"] == "Nesten aldri"
    assert "versjon 2" in client.get(f"{BASE}/matrix").get_data(as_text=True)


def test_a_green_highest_consequence_is_refused_with_a_norwegian_message(client, db, a):
    login(client, a["admin"])
    before = _versions(db, a)
    form = _grid(risk.default_matrix().to_dict())
    form["cells-0-4"] = risk.GREEN
    response = client.post(f"{BASE}/matrix/edit", data=form)
    assert response.status_code == 422
    assert risk.MSG_HIGHEST_CONSEQUENCE_GREEN in response.get_data(as_text=True)
    assert _versions(db, a) == before


def test_the_simple_preset_and_a_new_size_fill_the_grid(client, a):
    login(client, a["admin"])
    simple = client.get(f"{BASE}/matrix/edit?preset=simple").get_data(as_text=True)
    assert 'name="cells-2-2"' in simple and 'name="cells-3-3"' not in simple
    bigger = client.get(f"{BASE}/matrix/edit?n_probability=4&n_consequence=7").get_data(as_text=True)
    assert 'name="cells-3-6"' in bigger and 'name="cells-4-0"' not in bigger


def test_a_consultant_sees_the_matrix_but_cannot_change_it(client, a):
    login(client, a["consultant"])
    assert client.get(f"{BASE}/matrix").status_code == 200
    assert client.get(f"{BASE}/matrix/edit").status_code == 403
    assert client.post(f"{BASE}/matrix/edit", data=_grid(risk.simple_matrix().to_dict())).status_code == 403


def test_an_old_assessment_renders_with_its_snapshot_after_the_matrix_changed(client, db, a, year):
    login(client, a["admin"])
    response = client.post(f"{BASE}/years/{year.id}", data={"title": "Lager og verksted", "assessed_on": "2026-02-01"})
    assert response.status_code == 302
    old_url = response.headers["Location"]
    assert client.post(f"{old_url}/hazards", data={"description": "Fall fra stige", "probability": "5", "consequence": "5",
                                                   "area": "physical"}).status_code == 302
    assert client.post(f"{BASE}/matrix/edit", data=_grid(risk.simple_matrix().to_dict())).status_code == 302

    old = client.get(old_url).get_data(as_text=True)
    assert _cells_drawn(old) == {(p, c) for p in range(1, 6) for c in range(1, 6)}
    assert 'data-p="5" data-c="5" data-count="1"' in old
    assert 'data-colour="red">25 ·' in old
    new_url = client.post(f"{BASE}/years/{year.id}", data={"title": "Kontor"}).headers["Location"]
    assert _cells_drawn(client.get(new_url).get_data(as_text=True)) == {(p, c) for p in range(1, 4) for c in range(1, 4)}


def test_a_hazard_outside_the_snapshots_levels_gets_422_and_a_norwegian_field_error(client, db, a, year):
    assessment = RiskAssessment(year_id=year.id, title="Enkel", matrix_snapshot=risk.simple_matrix().to_dict())
    db.add(assessment)
    db.commit()
    login(client, a["consultant"])
    response = client.post(f"{BASE}/{assessment.id}/hazards", data={"description": "Støy", "probability": "5", "consequence": "2"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'class="field error">\s*<label for="f-probability">', body)
    assert "Sannsynlighet må være fra 1 til 3 i matrisen denne risikovurderingen bruker." in body
    bind_tenant(db, a["tenant"].id)
    assert db.scalars(select(Hazard).where(Hazard.assessment_id == assessment.id)).all() == []


def test_the_measures_button_puts_the_hazard_in_the_action_plan(client, db, a, year):
    login(client, a["consultant"])
    url = client.post(f"{BASE}/years/{year.id}", data={"title": "Verksted"}).headers["Location"]
    client.post(f"{url}/hazards", data={"description": "Kutt", "probability": "3", "consequence": "4", "area": "physical",
                                        "measures": "Skjermer på sagene"})
    bind_tenant(db, a["tenant"].id)
    hazard = db.scalars(select(Hazard).where(Hazard.description == "Kutt")).one()
    response = client.post(f"{BASE}/hazards/{hazard.id}/action", data={"deadline": "2026-10-01"})
    assert response.status_code == 302
    bind_tenant(db, a["tenant"].id)
    item = db.scalars(select(ActionItem).where(ActionItem.source_type == "hazard", ActionItem.source_id == hazard.id)).one()
    assert response.headers["Location"].endswith(f"/t/tenant-a/actions/{item.id}")
    assert (item.title, item.year_id, item.area) == ("Skjermer på sagene", year.id, "physical")
    page = client.get(url).get_data(as_text=True)
    assert f"/t/tenant-a/actions/{item.id}" in page
    assert client.post(f"{BASE}/hazards/{hazard.id}/action", data={}).status_code == 422


def test_the_year_page_shows_the_heat_maps_and_the_assessments(client, db, a, year):
    login(client, a["consultant"])
    url = client.post(f"{BASE}/years/{year.id}", data={"title": "Hele bedriften"}).headers["Location"]
    for p, c in (("4", "4"), ("4", "4"), ("1", "2")):
        client.post(f"{url}/hazards", data={"description": "Fare", "probability": p, "consequence": c,
                                            "probability_after": "1", "consequence_after": c})
    body = client.get(f"{BASE}/years/{year.id}").get_data(as_text=True)
    assert body.count("<svg") == 2 and 'data-p="4" data-c="4" data-count="2"' in body
    assert "Hele bedriften" in body


def test_a_hazard_is_edited_on_its_snapshot_and_removed(client, db, a, year):
    login(client, a["consultant"])
    url = client.post(f"{BASE}/years/{year.id}", data={"title": "Kontor"}).headers["Location"]
    client.post(f"{url}/hazards", data={"description": "Skjermarbeid", "probability": "4", "consequence": "2"})
    bind_tenant(db, a["tenant"].id)
    hazard = db.scalars(select(Hazard).where(Hazard.description == "Skjermarbeid")).one()
    edit = f"{BASE}/hazards/{hazard.id}/edit"
    assert "Skjermarbeid" in client.get(edit).get_data(as_text=True)
    form = {"description": "Skjermarbeid", "probability": "4", "consequence": "2", "probability_after": "2"}
    response = client.post(edit, data=form)
    assert response.status_code == 422 and "Fyll ut både sannsynlighet og konsekvens etter tiltak" in response.get_data(as_text=True)
    assert client.post(edit, data={**form, "consequence_after": "2"}).status_code == 302
    db.refresh(hazard)
    assert (hazard.probability_after, hazard.consequence_after) == (2, 2)
    assert client.post(f"{BASE}/hazards/{hazard.id}/delete").status_code == 302
    bind_tenant(db, a["tenant"].id)
    assert db.scalars(select(Hazard).where(Hazard.description == "Skjermarbeid")).all() == []


def test_the_risk_pages_run_the_same_number_of_queries_for_3_and_100_hazards(client, db, a, year, count_queries):
    bind_tenant(db, a["tenant"].id)
    big = CertificationYear(company_id=a["company"].id, year=2031, consultant_id=a["consultant"].id)
    db.add(big)
    db.flush()
    ids = {}
    for target, hazards in ((year, 3), (big, 100)):
        assessment = RiskAssessment(year_id=target.id, title="Vurdering", matrix_snapshot=risk.default_matrix().to_dict())
        db.add(assessment)
        db.flush()
        db.add_all([Hazard(assessment_id=assessment.id, description=f"Fare {i}", probability=1 + i % 5, consequence=1 + i % 4,
                           measures="Tiltak") for i in range(hazards)])
        ids[hazards] = (target.id, assessment.id)
    db.commit()
    login(client, a["consultant"])
    counts = {}
    for hazards, (year_id, assessment_id) in ids.items():
        for url in (f"{BASE}/years/{year_id}", f"{BASE}/{assessment_id}"):
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts[(hazards, url.count("years"))] = counter.count
    assert counts[(3, 1)] == counts[(100, 1)] and counts[(3, 0)] == counts[(100, 0)], counts


def test_a_client_contact_gets_403_on_risk_pages(client, a, year):
    login(client, a["client"])
    assert client.get(f"{BASE}/years/{year.id}").status_code == 403
    assert client.get(f"{BASE}/matrix").status_code == 403


# -- API -----------------------------------------------------------------------------------------------------

def _auth(a):
    return {"Authorization": f"Bearer {a['api_token']}"}


def test_the_api_creates_an_assessment_and_scores_hazards_on_its_snapshot(client, db, a, year):
    created = client.post(f"{API}/years/{year.id}/risk-assessments", json={"title": "API-vurdering"}, headers=_auth(a))
    assert created.status_code == 201
    assessment_id = created.get_json()["id"]
    hazard = client.post(f"{API}/risk-assessments/{assessment_id}/hazards", headers=_auth(a),
                         json={"description": "Tunge løft", "probability": 4, "consequence": 3, "measures": "Løftehjelpemiddel"})
    assert hazard.status_code == 201
    assert (hazard.get_json()["score"], hazard.get_json()["colour"]) == (12, "red")
    patched = client.patch(f"{API}/hazards/{hazard.get_json()['id']}", json={"probability_after": 2, "consequence_after": 2},
                           headers=_auth(a))
    assert patched.status_code == 200 and patched.get_json()["colour_after"] == "green"
    action = client.post(f"{API}/hazards/{hazard.get_json()['id']}/action-item", json={}, headers=_auth(a))
    assert action.status_code == 201 and action.get_json()["source_type"] == "hazard"
    summary = client.get(f"{API}/years/{year.id}/risk-summary", headers=_auth(a)).get_json()
    assert summary["assessments"][0]["red"] == 1 and summary["heatmap"]["counts"][3][2] == 1


def test_api_validation_errors_name_the_field(client, db, a, year):
    assessment = RiskAssessment(year_id=year.id, title="Enkel", matrix_snapshot=risk.simple_matrix().to_dict())
    db.add(assessment)
    db.commit()
    response = client.post(f"{API}/risk-assessments/{assessment.id}/hazards", json={"probability": 5, "consequence": 1},
                           headers=_auth(a))
    assert response.status_code == 422 and set(response.get_json()["fields"]) == {"description"}
    response = client.post(f"{API}/risk-assessments/{assessment.id}/hazards", json={"description": "x", "probability": 5,
                                                                                    "consequence": 1}, headers=_auth(a))
    assert response.status_code == 422 and list(response.get_json()["fields"]) == ["probability"]
    matrix = risk.default_matrix().to_dict()
    matrix["cells"][2][4] = "green"
    response = client.put(f"{API}/risk-matrix", json=matrix, headers=_auth(a))
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"cells[2][4]": [risk.MSG_HIGHEST_CONSEQUENCE_GREEN]}
    response = client.post(f"{API}/years/{year.id}/risk-assessments", json={"title": ""}, headers=_auth(a))
    assert response.status_code == 422 and list(response.get_json()["fields"]) == ["title"]


def test_the_api_saves_a_new_matrix_version_for_admins_only(client, db, a):
    response = client.put(f"{API}/risk-matrix", json=risk.simple_matrix().to_dict(), headers=_auth(a))
    assert response.status_code == 200 and len(response.get_json()["cells"]) == 3
    assert client.get(f"{API}/risk-matrix", headers=_auth(a)).get_json()["version"] == response.get_json()["version"]
    _, token = create_api_token(db, a["consultant"], "rådgiver")
    db.commit()
    response = client.put(f"{API}/risk-matrix", json=risk.default_matrix().to_dict(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_the_risk_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/t/{slug}/risk-matrix", "/api/v1/t/{slug}/years/{year_id}/risk-assessments",
                 "/api/v1/t/{slug}/risk-assessments/{assessment_id}/hazards", "/api/v1/t/{slug}/hazards/{hazard_id}/action-item"):
        assert path in paths


def test_the_heat_map_speaks_the_users_language(client, db, a, year):
    from tests.functional.test_i18n import english

    login(client, a["consultant"])
    url = client.post(f"{BASE}/years/{year.id}", data={"title": "Lager", "assessed_on": "2026-02-01"}).headers["Location"]
    client.post(f"{url}/hazards", data={"description": "Fall fra stige", "probability": "2", "consequence": "3", "area": "physical"})
    norsk = client.get(url).get_data(as_text=True)
    assert ">Sannsynlighet</text>" in norsk and ">Konsekvens</text>" in norsk and "1 farer" in norsk
    english(client, url)
    body = client.get(url).get_data(as_text=True)
    svg = body[body.index("<svg"):body.rindex("</svg>")]
    assert ">Probability</text>" in svg and ">Consequence</text>" in svg and "1 hazards" in svg
    assert not re.search(r"Sannsynlighet|Konsekvens|farer|grønn|gul\b|rød", svg)
