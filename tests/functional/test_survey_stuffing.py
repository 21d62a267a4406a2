"""Ballot stuffing, replayed (issue 12, point 1).  The attack: a group of 3 employees, their 3 real answers
plus 2 forged ones whose values the attacker knows, so that the group is shown with n = 5 and the real
three's mean follows by subtraction.

With invitations (the default) the forged answers can't get in: every answer uses up a one-time code or a
personal link, a group gets no more of those than it has employees, and a used one can't answer again.
With an open link (a tenant's explicit choice) they get in, but a group with more answers than employees
is not shown, nor is the total, and the results say they came from an open link."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from saas.surveys.models import Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.tenancy import bind_tenant
from saas.tenants.models import OutboxMessage
from tests.conftest import login
from tests.functional.test_survey_pages import TODAY, _answer_all, _codes, _hidden_fields, _open_survey, world  # noqa: F401
from tests.integration.test_survey_services import add_responses

GROUPS = [{"name": "Lager", "employee_count": 3}, {"name": "Kontor", "employee_count": 12}]


def _count(db, world, survey, group: str | None = None) -> int:
    bind_tenant(db, world["tenant"].id)
    query = select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)
    if group:
        query = query.join(SurveyGroup, SurveyGroup.id == SurveyResponse.group_id).where(SurveyGroup.name == group)
    return db.scalar(query)


def _close_and_read(app, db, world, survey) -> tuple[dict, str, dict]:
    """Close over HTTP as the consultant; (the stored report, the results page, the API's results)."""
    from saas.auth import create_api_token

    staff = app.test_client()
    login(staff, world["consultant"])
    slug = world["tenant"].slug
    assert staff.post(f"/t/{slug}/surveys/{survey.id}/close").status_code == 302
    html = staff.get(f"/t/{slug}/surveys/{survey.id}/results").get_data(as_text=True)
    bind_tenant(db, world["tenant"].id)
    _row, token = create_api_token(db, world["consultant"], "test")
    db.commit()
    api = staff.get(f"/api/v1/t/{slug}/surveys/{survey.id}/results", headers={"Authorization": f"Bearer {token}"}).get_json()
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    return db.get(Survey, survey.id).report, html, api


def _section(html: str, name: str) -> str:
    match = re.search(rf"<h2>{re.escape(name)}</h2>(.*?)</section>", html, re.S)
    assert match, f"no section for {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def _forge(app, survey, form_extra: dict) -> object:
    """An attacker's fresh visit to the shared link: a new nonce, every answer filled in, straight to submit."""
    client = app.test_client()
    url = f"/s/{survey.public_token}"
    form = _hidden_fields(client.get(url).get_data(as_text=True))
    content = survey.questionnaire_version.content
    form.update({f"q_{item['key']}": "4" for item in content["items"]}, nav="submit", **form_extra)
    return client.post(url, data=form)


def test_the_attack_with_invitations_forged_answers_are_refused_and_no_group_result_is_shown(app, db, world):
    survey = _open_survey(app, db, world, groups=GROUPS)
    slug = world["tenant"].slug
    staff = app.test_client()
    login(staff, world["consultant"])
    lager = next(g for g in survey.groups if g.name == "Lager")

    codes = _codes(app, db, world, survey, 3, group="Lager")
    # A fourth code, or a personal link, for the group of 3 is refused: no group gets more invitations than people.
    more = staff.post(f"/t/{slug}/surveys/{survey.id}/codes", data={"count": "1", "group_id": str(lager.id)})
    assert more.status_code == 422 and "har 3 ansatte" in more.get_data(as_text=True)
    mail = staff.post(f"/t/{slug}/surveys/{survey.id}/invitations", data={"emails": "falsk@example.no", "group_id": str(lager.id)})
    assert mail.status_code == 422 and "Det er plass til 0 til" in mail.get_data(as_text=True)

    for code in codes:  # the three real answers
        done, _form = _answer_all(app.test_client(), f"/s/{survey.public_token}", None, position="1", code=code)
        assert done.status_code == 303

    # The two forged answers: no code, a made-up code, and each of the used codes again.
    refused = [_forge(app, survey, {"group": str(lager.id)}), _forge(app, survey, {"code": "AAAAA-AAAAA"}),
               *[_forge(app, survey, {"code": code}) for code in codes]]
    assert [r.status_code for r in refused] == [422] * 5
    assert "Denne koden er allerede brukt" in refused[-1].get_data(as_text=True)
    assert _count(db, world, survey, "Lager") == 3

    add_responses(db, db.get(Survey, survey.id), 12, group="Kontor")
    db.commit()
    report, html, api = _close_and_read(app, db, world, survey)
    assert [g for g in report["data"]["groups"] if not g["suppressed"]] == []  # 3 < k, and 15 - 12 = 3 hides Kontor
    assert "Åpen lenke" not in html
    lager_text = _section(html, "Lager")
    assert "Skjult" in lager_text and re.findall(r"\d+", lager_text.replace("færre enn 5", "")) == []
    assert {g["key"]: g for g in api["report"]["groups"]}["Lager"] == {"key": "Lager", "suppressed": True}


def test_a_used_code_and_a_used_personal_link_cannot_answer_again(app, db, world):
    survey = _open_survey(app, db, world, groups=GROUPS)
    [code] = _codes(app, db, world, survey, 1, group="Kontor")
    url = f"/s/{survey.public_token}"
    done, form = _answer_all(app.test_client(), url, None, code=code)
    assert done.status_code == 303

    again = app.test_client().post(url, data={**_hidden_fields(app.test_client().get(url).get_data(as_text=True)),
                                              "nav": "next", "code": code})
    assert again.status_code == 422 and "Denne koden er allerede brukt" in again.get_data(as_text=True)

    staff = app.test_client()
    login(staff, world["consultant"])
    kontor = next(g for g in survey.groups if g.name == "Kontor")
    assert staff.post(f"/t/{world['tenant'].slug}/surveys/{survey.id}/invitations",
                      data={"emails": "ola@example.no", "group_id": str(kontor.id)}).status_code == 302
    bind_tenant(db, world["tenant"].id)
    personal = re.search(r"http://localhost(/s/\S+)", db.scalar(select(OutboxMessage.body).where(OutboxMessage.to == "ola@example.no"))).group(1)
    first, _form = _answer_all(app.test_client(), personal, None)
    assert first.status_code == 303
    assert "Lenken er allerede brukt" in app.test_client().get(personal).get_data(as_text=True)
    second = app.test_client().post(personal, data={**_form, "nonce": "n" * 32})  # a new form on the used link
    assert "Lenken er allerede brukt" in second.get_data(as_text=True)
    assert _count(db, world, survey, "Kontor") == 2
    # The personal link's answer counts in its invitation's group, whatever the form says.
    assert db.scalar(select(func.count(SurveyInvitation.id)).where(SurveyInvitation.group_id == kontor.id)) == 2


def test_the_attack_on_an_open_link_hides_the_group_and_the_total_and_marks_the_results(app, db, world):
    survey = _open_survey(app, db, world, groups=GROUPS, open_link=True)
    lager = next(g for g in survey.groups if g.name == "Lager")
    for _ in range(3):  # the real three
        done, _form = _answer_all(app.test_client(), f"/s/{survey.public_token}", str(lager.id), position="1")
        assert done.status_code == 303
    for _ in range(2):  # the forged two: an open link can't tell them apart
        assert _forge(app, survey, {"group": str(lager.id)}).status_code == 303
    assert _count(db, world, survey, "Lager") == 5
    add_responses(db, db.get(Survey, survey.id), 12, group="Kontor")
    db.commit()

    report, html, api = _close_and_read(app, db, world, survey)

    groups = {g["key"]: g for g in report["data"]["groups"]}
    assert groups["Lager"] == {"key": "Lager", "suppressed": True, "over_headcount": True}
    assert report["data"]["total"] == {"suppressed": True, "over_headcount": True}  # total - Kontor = Lager again
    assert report["open_link"] is True
    assert "Åpen lenke." in html and "flere svar enn ansatte" in _section(html, "Lager")
    assert re.findall(r"\d+", _section(html, "Lager")) == [] and re.findall(r"\d+", _section(html, "Hele virksomheten")) == []
    api_groups = {g["key"]: g for g in api["report"]["groups"]}
    assert "respondents" not in api_groups["Lager"] and "respondents" not in api["report"]["total"]


def test_an_open_link_survey_needs_a_headcount_for_every_group(app, db, world):
    staff = app.test_client()
    login(staff, world["consultant"])
    response = staff.post(f"/t/{world['tenant'].slug}/surveys/new", data={
        "company_id": world["company"].id, "year": str(TODAY.year), "title": "Åpen", "opens_on": TODAY.isoformat(),
        "closes_on": TODAY.isoformat(), "groups": "Lager\nKontor; 12", "shared_link": "1", "open_link": "1"})
    assert response.status_code == 422 and "må hver gruppe ha antall ansatte" in response.get_data(as_text=True)


def test_a_code_sheet_prints_every_code_of_the_group_and_nothing_about_use(app, db, world):
    survey = _open_survey(app, db, world, groups=GROUPS)
    staff = app.test_client()
    login(staff, world["consultant"])
    kontor = next(g for g in survey.groups if g.name == "Kontor")
    made = staff.post(f"/t/{world['tenant'].slug}/surveys/{survey.id}/codes", data={"count": "4", "group_id": str(kontor.id)})
    assert made.status_code == 302 and "batch=1" in made.headers["Location"]
    sheet = staff.get(made.headers["Location"]).get_data(as_text=True)
    codes = re.findall(r'<p class="code">([0-9A-Z]{5}-[0-9A-Z]{5})</p>', sheet)
    assert len(set(codes)) == 4 and "Avdeling: Kontor" in sheet
    _answer_all(app.test_client(), f"/s/{survey.public_token}", None, code=codes[0])
    assert re.findall(r'<p class="code">([0-9A-Z]{5}-[0-9A-Z]{5})</p>', staff.get(made.headers["Location"]).get_data(as_text=True)) == codes
    bind_tenant(db, world["tenant"].id)
    stored = db.scalars(select(SurveyInvitation.token_hash).where(SurveyInvitation.kind == "code")).all()
    assert not any(code.replace("-", "") in h for code in codes for h in stored)  # only digests are stored
    detail = staff.get(f"/t/{world['tenant'].slug}/surveys/{survey.id}").get_data(as_text=True)
    assert "Ark 1" in detail and "4 koder" in detail


def test_a_group_without_its_own_choice_cannot_be_moved_by_the_form(app, db, world):
    """A code for Kontor gives an answer in Kontor even when the posted form says Lager."""
    survey = _open_survey(app, db, world, groups=GROUPS)
    [code] = _codes(app, db, world, survey, 1, group="Kontor")
    lager = next(g for g in survey.groups if g.name == "Lager")
    assert _forge(app, survey, {"code": code, "group": str(lager.id)}).status_code == 303
    assert _count(db, world, survey, "Kontor") == 1 and _count(db, world, survey, "Lager") == 0


@pytest.mark.parametrize("typed", ["abcde-fghjk", "ABCDE FGHJK", "abcdefghjk"])
def test_codes_are_read_the_way_people_type_them(typed):
    from saas.surveys.services.distribution import normalize_code

    assert normalize_code(typed) == "ABCDEFGHJK"
    assert normalize_code("O0IL1-23456") == "00111" + "23456"
    assert normalize_code("ABCDE-FGHJ") is None and normalize_code("ABCDE-FGHJU") is None and normalize_code(None) is None


def test_the_api_makes_code_sheets_within_the_headcount_and_prints_them_again(app, db, world):
    from saas.auth import create_api_token

    survey = _open_survey(app, db, world, groups=GROUPS)
    lager = next(g for g in survey.groups if g.name == "Lager")
    bind_tenant(db, world["tenant"].id)
    _row, token = create_api_token(db, world["client"], "utdeling")  # the company's contact distributes
    db.commit()
    api, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/t/{world['tenant'].slug}/surveys/{survey.id}/codes"

    made = api.post(url, json={"count": 3, "group_id": lager.id}, headers=headers)
    assert made.status_code == 201
    body = made.get_json()
    assert body["batch"] == 1 and body["group"] == "Lager" and body["count"] == 3 and len(set(body["codes"])) == 3
    over = api.post(url, json={"count": 1, "group_id": lager.id}, headers=headers)
    assert over.status_code == 422 and list(over.get_json()["fields"]) == ["group_id"]
    missing = api.post(url, json={"count": 1}, headers=headers)
    assert missing.status_code == 422 and "group_id" in missing.get_json()["fields"]

    assert api.get(url, headers=headers).get_json()["items"] == [{"batch": 1, "group": "Lager", "count": 3}]
    assert api.get(url, query_string={"batch": 1}, headers=headers).get_json()["items"][0]["codes"] == body["codes"]
    assert api.get(url, query_string={"batch": 2}, headers=headers).status_code == 404
