"""The person-certification JSON API: the whole flow with a bearer token, errors naming the field, and
the OpenAPI document."""
from __future__ import annotations

from datetime import timedelta

from saas.i18n import today_in_oslo
from tests.person_factories import competence, make_instructor, make_scheme


def _api(client, token, method, path, json=None):
    return client.open(f"/api/v1/t/tenant-a{path}", method=method, json=json,
                       headers={"Authorization": f"Bearer {token}"})


def test_the_api_enrols_logs_tests_approves_issues_and_revokes(app, client, db, a):
    from saas.auth import create_api_token

    scheme = make_scheme(db, a["admin"])
    comp = competence(db, scheme, "TYPE-73")
    today = today_in_oslo()
    instructor = make_instructor(db, a["admin"], comp, today - timedelta(days=100))
    _row, reviewer_token = create_api_token(db, a["reviewer"], "test")
    db.commit()
    token = a["api_token"]  # the admin's
    bad = _api(client, token, "POST", "/persons", {"name": "", "birth_date": "nope"})
    assert bad.status_code == 422 and {"name", "birth_date"} <= set(bad.get_json()["fields"])
    person = _api(client, token, "POST", "/persons", {"name": "Api Kandidat", "birth_date": "1992-02-02",
                                                      "employer_id": a["company"].id}).get_json()
    enrolment = _api(client, token, "POST", f"/persons/{person['id']}/enrolments",
                     {"competence_id": comp.id, "category": "previously_certified_driver",
                      "documented": ["type_training", "infrastructure"]})
    assert enrolment.status_code == 201, enrolment.get_json()
    enrolment_id = enrolment.get_json()["enrolment_id"]
    assert enrolment.get_json()["missing_activities"] == ["internal_training", "driving_practice", "practical_test",
                                                          "locomotive_approval"]
    start = today - timedelta(days=60)
    for i in range(6):
        _api(client, token, "POST", f"/enrolments/{enrolment_id}/practice",
             {"day": (start + timedelta(days=i)).isoformat(), "hours": 9, "phase": 1})
    progress = _api(client, token, "GET", f"/enrolments/{enrolment_id}").get_json()
    assert progress["practice_1"]["credited_hours"] == 36 and progress["practice_1"]["met"]
    theory = _api(client, token, "POST", f"/enrolments/{enrolment_id}/tests",
                  {"kind": "theory", "taken_on": (start + timedelta(days=7)).isoformat(),
                   "examiner_id": a["consultant"].id, "passed": True})
    assert theory.status_code == 201
    for i in range(16):
        _api(client, token, "POST", f"/enrolments/{enrolment_id}/practice",
             {"day": (start + timedelta(days=8 + i)).isoformat(), "hours": 3, "phase": 2})
    from saas.persons.models import Enrolment
    from saas.persons.services import training

    enrolment_row = db.get(Enrolment, enrolment_id)
    training.mark_done(db, a["admin"], enrolment_row, "internal_training")
    training.mark_done(db, a["admin"], enrolment_row, "locomotive_approval")
    db.commit()
    practical = _api(client, token, "POST", f"/enrolments/{enrolment_id}/tests",
                     {"kind": "practical", "taken_on": (start + timedelta(days=30)).isoformat(),
                      "examiner_id": a["consultant"].id, "passed": True,
                      "checklist": [{"item": "Bremseprøve", "ok": True}]})
    assert practical.get_json()["ready"] is True
    approved = _api(client, reviewer_token, "POST", f"/enrolments/{enrolment_id}/approve")
    assert approved.status_code == 201 and approved.get_json()["state"] == "valid"
    card = _api(client, reviewer_token, "POST", f"/persons/{person['id']}/cards", {"scheme_id": scheme.id})
    assert card.status_code == 201 and card.get_json()["number"].startswith("KB-")
    matrix = _api(client, token, "GET", f"/companies/{a['company'].id}/competence-matrix").get_json()
    row = next(p for p in matrix["people"] if p["name"] == "Api Kandidat")
    assert row["cells"]["TYPE-73"]["state"] == "valid"
    case = _api(client, token, "POST", f"/persons/{person['id']}/revocations",
                {"scheme_id": scheme.id, "trigger": "left_employer"}).get_json()
    early = _api(client, reviewer_token, "POST", f"/revocations/{case['id']}/decision",
                 {"outcome": "permanent", "decision_text": "x"})
    assert early.status_code == 422 and "outcome" in early.get_json()["fields"]
    _api(client, token, "POST", f"/revocations/{case['id']}/hearing",
         {"hearing_on": today.isoformat(), "manager_name": "Leder", "manager_present": True})
    decided = _api(client, reviewer_token, "POST", f"/revocations/{case['id']}/decision",
                   {"outcome": "permanent", "decision_text": "Sluttet"}).get_json()
    assert decided["state"] == "decided" and decided["clocks"][0]["name"] == "appeal"
    assert _api(client, token, "GET", f"/persons/{person['id']}/competences").get_json()["items"][0]["state"] == "revoked"
    assert instructor.id


def test_the_openapi_document_lists_the_person_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/persons", "/persons/{person_id}/enrolments", "/enrolments/{enrolment_id}/approve",
                 "/persons/{person_id}/cards", "/revocations/{revocation_id}/decision",
                 "/companies/{company_id}/competence-matrix"):
        assert f"/api/v1/t/{{slug}}{path}" in spec["paths"], path
    assert "EnrolmentProgress" in spec["components"]["schemas"] and "RevocationCase" in spec["components"]["schemas"]
