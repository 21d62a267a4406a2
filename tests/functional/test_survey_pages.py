"""Survey pages over HTTP: staff create, publish and close; respondents answer on the public link with no
login; client contacts see only their own companies' surveys; questionnaires are imported with errors
that name the JSON path; the API does CRUD and documents itself."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from saas.auth import create_api_token
from saas.hms.models import ActionItem, Hazard, PsychosocialMapping
from saas.surveys.models import Questionnaire, Survey, SurveyResponse
from saas.surveys.services import oslo_today
from saas.tenancy import bind_tenant
from saas.tenants.models import OutboxMessage
from tests.conftest import keeps_today, login
from tests.integration.test_survey_services import add_responses, close, make_world, survey_data
from saas.surveys.services import surveys

TODAY = oslo_today()  # the answering pages use the real date
_today = keeps_today(TODAY)  # the date the product sees, should the run cross midnight


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        yield make_world(db)


@pytest.fixture
def staff(app, world):
    client = app.test_client()
    login(client, world["consultant"])
    return client


def _open_survey(app, db, world, **fields) -> Survey:
    bind_tenant(db, world["tenant"].id)  # a request in between reset the transaction's tenant setting (RLS)
    with app.test_request_context():
        data = survey_data(world, opens_on=TODAY - timedelta(days=1), closes_on=TODAY + timedelta(days=10), **fields)
        survey = surveys.create_survey(db, world["consultant"], world["tenant"], data)
        surveys.open_survey(db, world["consultant"], world["tenant"], survey, TODAY)
    db.commit()
    return survey


def _responses(db, world, survey) -> int:
    bind_tenant(db, world["tenant"].id)
    return db.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id))


def _hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def _codes(app, db, world, survey, count: int, group: str | None = None) -> list[str]:
    """A printed sheet of ``count`` one-time codes (for ``group``), as staff would make it."""
    from saas.surveys.services import distribution

    bind_tenant(db, world["tenant"].id)
    with app.test_request_context():
        survey = db.get(Survey, survey.id)
        group_id = next(g.id for g in survey.groups if g.name == group) if group else None
        batch = distribution.issue_codes(db, world["consultant"], survey, count, TODAY, group_id=group_id)
        codes = distribution.code_sheet(db, survey, batch)["codes"]
    db.commit()
    return codes


def _answer_all(client, url: str, group: str | None, position: str = "1", code: str | None = None) -> tuple[object, dict]:
    """Walk the public pages like a respondent: start, answer each page, submit; returns the last response."""
    start = client.get(url)
    assert start.status_code == 200 and "Start" in start.get_data(as_text=True)
    assert start.headers["Cache-Control"] == "no-store"  # no answers from the back button on a shared device
    form = _hidden_fields(start.get_data(as_text=True))
    form.update(nav="next", **({"group": group} if group else {}), **({"code": code} if code else {}))
    response = client.post(url, data=form)
    while True:
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:500]
        form = _hidden_fields(html)
        for name in set(re.findall(r'type="radio" name="([^"]+)"', html)):
            form[name] = position
        last = "Send inn" in html
        form["nav"] = "submit" if last else "next"
        response = client.post(url, data=form)
        if last:
            return response, form


# -- answering --------------------------------------------------------------------------------------------------

def test_a_respondent_answers_every_page_without_logging_in_and_one_response_is_stored(app, db, world):
    survey = _open_survey(app, db, world, groups=[{"name": "Lager", "employee_count": 9}])
    first_code, code = _codes(app, db, world, survey, 2, group="Lager")
    client = app.test_client()
    url = f"/s/{survey.public_token}"
    first = client.post(url, data={**_hidden_fields(client.get(url).get_data(as_text=True)), "nav": "next",
                                   "code": first_code.lower().replace("-", " ")})  # typed as people type
    assert "Side 1 av" in first.get_data(as_text=True) and 'role="progressbar"' in first.get_data(as_text=True)
    assert "Du svarer for avdeling: Lager" in first.get_data(as_text=True)
    response, form = _answer_all(client, url, None, code=code)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/s/{survey.public_token}/takk")
    thanks = client.get(response.headers["Location"])
    assert "Takk for svaret" in thanks.get_data(as_text=True) and f'data-survey-done="{survey.id}"' in thanks.get_data(as_text=True)
    assert _responses(db, world, survey) == 1
    row = db.scalar(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))
    assert len(row.answers) == 42 and set(row.answers.values()) == {1} and row.group_id == survey.groups[0].id
    # The same form posted again (a double click, a reload) stores nothing more.
    again = client.post(url, data=form)
    assert again.status_code == 303 and _responses(db, world, survey) == 1


def test_the_answers_of_earlier_pages_ride_along_and_back_keeps_them(app, db, world):
    survey = _open_survey(app, db, world, open_link=True)
    client = app.test_client()
    url = f"/s/{survey.public_token}"
    page1 = client.post(url, data={**_hidden_fields(client.get(url).get_data(as_text=True)), "nav": "next"}).get_data(as_text=True)
    form = _hidden_fields(page1)
    first_item = re.search(r'type="radio" name="([^"]+)"', page1).group(1)
    page2 = client.post(url, data={**form, first_item: "3", "nav": "next"}).get_data(as_text=True)
    assert "Side 2 av" in page2 and _hidden_fields(page2)[first_item] == "3"
    back = client.post(url, data={**_hidden_fields(page2), "nav": "back"}).get_data(as_text=True)
    assert "Side 1 av" in back and re.search(rf'name="{first_item}" value="3" checked', back)
    assert _responses(db, world, survey) == 0  # nothing is stored before the submit


def test_choosing_no_group_is_asked_for_when_the_survey_has_groups(app, db, world):
    # On an open link (no code, so no group from an invitation) the respondent says which group.
    survey = _open_survey(app, db, world, groups=[{"name": "Lager", "employee_count": 9}], open_link=True)
    client = app.test_client()
    url = f"/s/{survey.public_token}"
    response = client.post(url, data={**_hidden_fields(client.get(url).get_data(as_text=True)), "nav": "next"})
    assert response.status_code == 422 and "Velg avdelingen din" in response.get_data(as_text=True)
    ok = client.post(url, data={**_hidden_fields(client.get(url).get_data(as_text=True)), "nav": "next", "group": "none"})
    assert ok.status_code == 200 and "Side 1 av" in ok.get_data(as_text=True)


def test_a_personal_link_works_once_and_then_says_so(app, db, world, staff):
    survey = _open_survey(app, db, world)
    response = staff.post(f"/t/{world['tenant'].slug}/surveys/{survey.id}/invitations", data={"emails": "ola@example.no; feil@"})
    assert response.status_code == 422 and "Ugyldige e-postadresser: feil@" in response.get_data(as_text=True)
    response = staff.post(f"/t/{world['tenant'].slug}/surveys/{survey.id}/invitations", data={"emails": "ola@example.no\nkari@example.no"})
    assert response.status_code == 302
    bind_tenant(db, world["tenant"].id)
    body = db.scalar(select(OutboxMessage.body).where(OutboxMessage.to == "ola@example.no"))
    url = re.search(r"http://localhost(/s/\S+)", body).group(1)
    respondent = app.test_client()
    done, _form = _answer_all(respondent, url, None)
    assert done.status_code == 303
    used = respondent.get(url)
    assert "Lenken er allerede brukt" in used.get_data(as_text=True)
    assert _responses(db, world, survey) == 1


def test_a_closed_survey_and_an_unknown_link_get_a_clear_message(app, db, world):
    survey = _open_survey(app, db, world)
    client = app.test_client()
    with app.test_request_context():
        bind_tenant(db, world["tenant"].id)
        close(db, world, db.get(Survey, survey.id), TODAY)
    db.commit()
    closed = client.get(f"/s/{survey.public_token}")
    assert closed.status_code == 200 and "Undersøkelsen er avsluttet" in closed.get_data(as_text=True)
    unknown = client.get("/s/" + "A" * 43)
    assert unknown.status_code == 404 and "Lenken finnes ikke" in unknown.get_data(as_text=True)



def _ready_to_submit(app, db, world, survey, code: str | None = None) -> tuple[object, str, dict]:
    """A respondent who has opened the page (so this process has read the link) with every answer filled in."""
    client = app.test_client()
    url = f"/s/{survey.public_token}"
    form = _hidden_fields(client.get(url).get_data(as_text=True))
    form.update({f"q_{item['key']}": "2" for item in survey.questionnaire_version.content["items"]}, nav="submit",
                page="99", group="none", **({"code": code} if code else {}))
    return client, url, form


def test_a_submit_on_a_link_that_changed_since_the_page_was_read_stores_nothing_and_says_why(app, db, world):
    closing = _open_survey(app, db, world)
    [code] = _codes(app, db, world, closing, 1)
    turned_off, suspended = _open_survey(app, db, world, open_link=True), None
    waiting = [_ready_to_submit(app, db, world, closing, code), _ready_to_submit(app, db, world, turned_off)]
    with app.test_request_context():
        bind_tenant(db, world["tenant"].id)
        close(db, world, db.get(Survey, closing.id), TODAY)
        db.get(Survey, turned_off.id).shared_link = False
    db.commit()

    closed = waiting[0][0].post(waiting[0][1], data=waiting[0][2])
    assert closed.status_code == 200 and "Undersøkelsen er avsluttet" in closed.get_data(as_text=True)
    gone = waiting[1][0].post(waiting[1][1], data=waiting[1][2])
    assert gone.status_code == 404 and "Lenken finnes ikke" in gone.get_data(as_text=True)
    assert _responses(db, world, closing) == 0 and _responses(db, world, turned_off) == 0

    suspended = _open_survey(app, db, world, open_link=True)
    client, url, form = _ready_to_submit(app, db, world, suspended)
    world["tenant"].active = False
    db.commit()
    assert client.post(url, data=form).status_code == 404
    world["tenant"].active = True
    db.commit()
    assert _responses(db, world, suspended) == 0


def test_a_link_remembered_in_the_wrong_tenant_stores_the_answer_in_its_own(app, db, world):
    from dataclasses import replace

    from saas.auth import token_digest
    from saas.surveys.services import answering

    other = make_world(db, slug="annen")
    db.commit()
    survey = _open_survey(app, db, world, open_link=True)
    client, url, form = _ready_to_submit(app, db, world, survey)
    digest = token_digest(survey.public_token)
    link = answering._SEEN[digest]
    answering._SEEN[digest] = replace(link, tenant=replace(link.tenant, id=other["tenant"].id))

    assert client.post(url, data=form).status_code == 303
    assert _responses(db, world, survey) == 1
    assert answering._SEEN[digest].tenant_id == world["tenant"].id

# -- staff pages ----------------------------------------------------------------------------------------------

def test_staff_create_publish_and_see_the_shared_link_with_a_qr_code(app, db, world, staff):
    slug = world["tenant"].slug
    bad = staff.post(f"/t/{slug}/surveys/new", data={"company_id": world["company"].id, "year": "2026", "title": "X",
                                                      "opens_on": "2026-05-10", "closes_on": "2026-05-01", "min_group": "3",
                                                      "groups": "Lager; mange"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Minst 5 (kan heves, aldri senkes)." in html and "Linje 1: antall ansatte må være et heltall" in html
    response = staff.post(f"/t/{slug}/surveys/new", data={
        "company_id": world["company"].id, "year": str(TODAY.year), "title": "Trivsel", "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=7)).isoformat(), "groups": "Lager; 9\nKontor; 12", "shared_link": "1"})
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    assert staff.post(detail_url + "/open").status_code == 302
    detail = staff.get(detail_url).get_data(as_text=True)
    bind_tenant(db, world["tenant"].id)
    survey = db.scalar(select(Survey).where(Survey.title == "Trivsel"))
    assert survey.status == "open" and [g.name for g in survey.groups] == ["Lager", "Kontor"]
    assert f"http://localhost/s/{survey.public_token}" in detail and "<svg" in detail
    svg = staff.get(detail_url + "/qr.svg")
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml")
    png = staff.get(detail_url + "/qr.png")
    assert png.data.startswith(b"\x89PNG")
    poster = staff.get(detail_url + "/poster").get_data(as_text=True)
    assert "Trivsel" in poster and survey.public_token in poster


def test_a_client_contact_sees_and_distributes_their_own_companys_survey_only(app, db, world):
    own = _open_survey(app, db, world)
    with app.test_request_context():
        bind_tenant(db, world["tenant"].id)
        other = surveys.create_survey(db, world["consultant"], world["tenant"], survey_data(world, company_id=world["other_company"].id))
    db.commit()
    client = app.test_client()
    login(client, world["client"])
    slug = world["tenant"].slug
    listing = client.get(f"/t/{slug}/surveys/").get_data(as_text=True)
    assert f"/surveys/{own.id}" in listing and f"/surveys/{other.id}" not in listing
    assert client.get(f"/t/{slug}/surveys/{own.id}").status_code == 200
    assert client.get(f"/t/{slug}/surveys/{other.id}").status_code == 404
    assert client.get(f"/t/{slug}/surveys/{other.id}/results").status_code == 404
    assert client.post(f"/t/{slug}/surveys/{own.id}/close").status_code == 403
    assert client.get(f"/t/{slug}/surveys/new").status_code == 403
    assert client.post(f"/t/{slug}/surveys/{own.id}/invitations", data={"emails": "ansatt@example.no"}).status_code == 302


def test_one_click_turns_a_weak_dimension_into_an_action_and_a_hazard_and_links_the_mapping(app, db, world, staff):
    bind_tenant(db, world["tenant"].id)
    with app.test_request_context():
        survey = surveys.create_survey(db, world["consultant"], world["tenant"], survey_data(world))
        surveys.open_survey(db, world["consultant"], world["tenant"], survey, survey.opens_on)
        add_responses(db, survey, 6, position=3)
        close(db, world, survey)
        mapping = PsychosocialMapping(year_id=survey.year_id)
        db.add(mapping)
        db.flush()
    db.commit()
    slug = world["tenant"].slug
    page = staff.get(f"/t/{slug}/surveys/{survey.id}/results").get_data(as_text=True)
    assert "Lag tiltak og risiko" in page
    weak = next(d["key"] for d in survey.report["data"]["total"]["dimensions"] if d["colour"] == "bad")
    response = staff.post(f"/t/{slug}/surveys/{survey.id}/actions", data={"dimension": weak, "group": ""})
    assert response.status_code == 302
    bind_tenant(db, world["tenant"].id)
    item = db.scalar(select(ActionItem).where(ActionItem.source_type == "survey", ActionItem.source_id == survey.id))
    assert item is not None and item.area == "psychosocial"
    assert db.scalar(select(Hazard).where(Hazard.source == "survey", Hazard.source_id == survey.id)).area == "psychosocial"
    assert staff.post(f"/t/{slug}/surveys/{survey.id}/mapping", data={"mapping_id": mapping.id}).status_code == 302
    db.expire_all()
    assert db.get(PsychosocialMapping, mapping.id).survey_id == survey.id


# -- questionnaires -------------------------------------------------------------------------------------------

def test_an_imported_questionnaire_with_errors_is_refused_naming_the_json_path(app, db, world, staff):
    slug = world["tenant"].slug
    bad = staff.post(f"/t/{slug}/surveys/questionnaires/new",
                     data={"content": '{"key": "mitt", "version": "1", "title": {"en": "x"}, "scales": [], "dimensions": [], "items": []}'})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "$.title.nb: mangler tekst på bokmål" in html and "$.scales: må inneholde minst én skala" in html
    new_form = staff.get(f"/t/{slug}/surveys/questionnaires/new").get_data(as_text=True)
    assert "hms-psykososial-2026-kopi" in new_form
    content = re.search(r'<textarea[^>]*name="content"[^>]*>(.*?)</textarea>', new_form, re.S).group(1)
    import html as html_lib

    ok = staff.post(f"/t/{slug}/surveys/questionnaires/new", data={"content": html_lib.unescape(content)})
    assert ok.status_code == 302
    bind_tenant(db, world["tenant"].id)
    builtin = db.scalar(select(Questionnaire).where(Questionnaire.is_builtin.is_(True)))
    assert staff.get(f"/t/{slug}/surveys/questionnaires/{builtin.id}/edit").status_code == 404
    listing = staff.get(f"/t/{slug}/surveys/questionnaires").get_data(as_text=True)
    assert "(kopi)" in listing and "Innebygd" in listing
    upload = staff.post(f"/t/{slug}/surveys/questionnaires/import", data={"file": (__import__("io").BytesIO(b"{oops"), "skjema.json")},
                        content_type="multipart/form-data")
    assert upload.status_code == 422 and "Ugyldig JSON: linje 1" in upload.get_data(as_text=True)


# -- API --------------------------------------------------------------------------------------------------------

def test_the_api_creates_changes_opens_closes_and_deletes_surveys(app, db, world):
    bind_tenant(db, world["tenant"].id)
    _row, token = create_api_token(db, world["consultant"], "api")
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/t/{world['tenant'].slug}/surveys"
    bad = client.post(base, headers=headers, json={"company_id": world["company"].id, "year": 2026, "title": "X",
                                                   "opens_on": "2026-01-01", "closes_on": "2025-01-01"})
    assert bad.status_code == 422 and "closes_on" in bad.get_json()["fields"]
    created = client.post(base, headers=headers, json={
        "company_id": world["company"].id, "year": TODAY.year, "title": "API-undersøkelse", "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=5)).isoformat(), "groups": [{"name": "Lager", "employee_count": 8}]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "draft" and body["k"] == 5 and body["groups"][0]["name"] == "Lager"
    url = f"{base}/{body['id']}"
    patched = client.patch(url, headers=headers, json={"title": "Nytt navn", "min_group": 6})
    assert patched.status_code == 200 and patched.get_json()["title"] == "Nytt navn" and patched.get_json()["k"] == 6
    assert client.post(f"{url}/open", headers=headers).get_json()["status"] == "open"
    assert client.delete(url, headers=headers).status_code == 422
    assert client.get(f"{url}/results", headers=headers).status_code == 409
    assert client.post(f"{url}/close", headers=headers).get_json()["status"] == "closed"
    results = client.get(f"{url}/results", headers=headers).get_json()
    assert results["k"] == 6 and results["report"]["total"] == {"suppressed": True}
    listing = client.get(f"{base}?company_id={world['company'].id}", headers=headers).get_json()
    assert [s["title"] for s in listing["items"]] == ["Nytt navn"]
    draft = client.post(base, headers=headers, json={"company_id": world["company"].id, "year": 2026, "title": "Slettes",
                                                     "opens_on": "2026-01-01", "closes_on": "2026-01-31"}).get_json()
    assert client.delete(f"{base}/{draft['id']}", headers=headers).status_code == 204
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/t/{slug}/surveys/{survey_id}/groups/{survey_group_id}/results" in spec["paths"]
    assert "/api/v1/t/{slug}/questionnaires" in spec["paths"]


def test_the_api_imports_a_questionnaire_and_names_the_json_path_of_errors(app, db, world):
    bind_tenant(db, world["tenant"].id)
    _row, token = create_api_token(db, world["consultant"], "api")
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/t/{world['tenant'].slug}/questionnaires"
    builtin_id = client.get(base, headers=headers).get_json()["items"][0]["id"]
    content = client.get(f"{base}/{builtin_id}", headers=headers).get_json()["content"]
    assert client.post(f"{base}/{builtin_id}/versions", headers=headers, json=content).status_code == 422
    broken = dict(content, key="vårt skjema")
    response = client.post(base, headers=headers, json=broken)
    assert response.status_code == 422 and any(m.startswith("$.key:") for m in response.get_json()["fields"]["content"])
    created = client.post(base, headers=headers, json=dict(content, key="vart-skjema"))
    assert created.status_code == 201 and created.get_json()["versions"][0]["number"] == 1
    second = client.post(f"{base}/{created.get_json()['id']}/versions", headers=headers, json=dict(content, key="vart-skjema", version="2"))
    assert second.status_code == 201 and [v["number"] for v in second.get_json()["versions"]] == [2, 1]
