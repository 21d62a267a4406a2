"""Nothing below k anywhere: the results page, the API (also asked directly for one small group), the PDF
report and the aggregate export, for a group of 4 and for two groups where "total minus one" would
reveal the other.  Every check reads what a person or program actually receives."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from pypdf import PdfReader

from saas.auth import create_api_token
from saas.surveys.models import Survey
from saas.tenancy import bind_tenant
from tests.conftest import login
from tests.integration.test_survey_services import add_responses, make_survey, make_world

HIDDEN = "Skjult (færre enn 5 svar)"


@pytest.fixture
def world(app, db):
    with app.test_request_context():
        yield make_world(db)


def _closed_survey(app, db, world, counts: dict, positions: dict | None = None) -> Survey:
    """A survey with one group per entry of ``counts`` (respondents per group), closed over HTTP."""
    with app.test_request_context():
        survey = make_survey(db, world, groups=[(name, n + 2) for name, n in counts.items()])
        for name, n in counts.items():
            add_responses(db, survey, n, group=name, position=(positions or {}).get(name, 1))
        survey_id = survey.id
    db.commit()
    client = app.test_client()
    login(client, world["consultant"])
    response = client.post(f"/t/{world['tenant'].slug}/surveys/{survey_id}/close")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    bind_tenant(db, world["tenant"].id)
    db.expire_all()
    return db.get(Survey, survey_id)


def _walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _assert_no_count_below_k(data, k: int = 5) -> None:
    for node in _walk(data):
        if isinstance(node, dict):
            for key in ("respondents", "n"):
                if isinstance(node.get(key), int):
                    assert node[key] >= k, node


def _section(html: str, name: str) -> str:
    """The text of the results page's section for group ``name`` (tags stripped)."""
    match = re.search(rf"<h2>{re.escape(name)}</h2>(.*?)</section>", html, re.S)
    assert match, f"no section for {name}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def _digits_besides_k(text: str) -> list[str]:
    return [d for d in re.findall(r"\d+", text.replace(HIDDEN, "")) if d]


def _api(app, db, world):
    client = app.test_client()
    bind_tenant(db, world["tenant"].id)
    _row, token = create_api_token(db, world["consultant"], "test")
    db.commit()
    return client, {"Authorization": f"Bearer {token}"}


def _pdf_text(app, world, survey) -> list[str]:
    client = app.test_client()
    login(client, world["client"])  # the company's own contact person downloads it
    response = client.get(f"/t/{world['tenant'].slug}/surveys/{survey.id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def _pdf_section(pages: list[str], name: str, world: dict) -> str:
    """The text of the PDF's section for group ``name`` (each group starts a page), footers removed."""
    for page in pages:
        lines = page.splitlines()
        if name in lines:
            body = "\n".join(lines[lines.index(name) + 1:])
            return re.sub(r"Side \d+ av \d+", "", body.replace(world["tenant"].name, ""))
    raise AssertionError(f"no PDF section for {name}: {pages}")


# -- a group of 4 ---------------------------------------------------------------------------------------------

def test_a_group_of_4_is_hidden_on_the_page_in_the_api_the_pdf_and_the_export(app, db, world):
    # Lager's 4 answer differently from everyone else, so any number about them would stand out.
    survey = _closed_survey(app, db, world, {"Lager": 4, "Kontor": 8, "Verksted": 9}, positions={"Lager": 4})
    slug = world["tenant"].slug
    groups = {g["key"]: g for g in survey.report["data"]["groups"]}
    assert groups["Lager"] == {"key": "Lager", "suppressed": True}
    # 21 - (8 + 9) = 4 would single Lager out again, so the next smallest (Kontor) is hidden as well.
    assert groups["Kontor"] == {"key": "Kontor", "suppressed": True}
    assert groups["Verksted"]["respondents"] == 9 and survey.report["data"]["total"]["respondents"] == 21

    client = app.test_client()
    login(client, world["consultant"])
    html = client.get(f"/t/{slug}/surveys/{survey.id}/results").get_data(as_text=True)
    for name in ("Lager", "Kontor"):
        text = _section(html, name)
        assert HIDDEN in text and _digits_besides_k(text) == []
    assert "n=9" in _section(html, "Verksted") and "n=4" not in html and "n=8" not in html

    api, headers = _api(app, db, world)
    body = api.get(f"/api/v1/t/{slug}/surveys/{survey.id}/results", headers=headers).get_json()
    assert {g["key"]: g for g in body["report"]["groups"]}["Lager"] == {"key": "Lager", "suppressed": True}
    _assert_no_count_below_k(body)

    pages = _pdf_text(app, world, survey)
    for name in ("Lager", "Kontor"):
        section = _pdf_section(pages, name, world)
        assert HIDDEN in section and _digits_besides_k(section) == []
    assert "Verksted" in "".join(pages)

    export = client.get(f"/t/{slug}/surveys/{survey.id}/export.csv")
    assert export.status_code == 200 and export.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    hidden_rows = [r for r in rows if r["Gruppe"] in ("Lager", "Kontor")]
    assert len(hidden_rows) == 2 and all(r["Svar i gruppen"] == HIDDEN and not _digits_besides_k(" ".join(r.values()))
                                         for r in hidden_rows)
    assert all(int(r["n"]) >= 5 for r in rows if r["n"].isdigit())
    assert {r["Gruppe"] for r in rows} == {"Hele virksomheten", "Lager", "Kontor", "Verksted", "Vil ikke oppgi avdeling"}


def test_the_api_asked_directly_for_a_small_group_answers_only_that_it_is_hidden(app, db, world):
    survey = _closed_survey(app, db, world, {"Lager": 4, "Kontor": 12})
    api, headers = _api(app, db, world)
    slug = world["tenant"].slug
    small = next(g for g in survey.groups if g.name == "Lager")
    response = api.get(f"/api/v1/t/{slug}/surveys/{survey.id}/groups/{small.id}/results", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["result"] == {"key": "Lager", "suppressed": True}
    big = next(g for g in survey.groups if g.name == "Kontor")
    body = api.get(f"/api/v1/t/{slug}/surveys/{survey.id}/groups/{big.id}/results", headers=headers).get_json()
    assert body["result"] == {"key": "Kontor", "suppressed": True}  # 16 - 12 = 4 would reveal Lager
    export = api.get(f"/api/v1/t/{slug}/surveys/{survey.id}/export", headers=headers).get_json()
    assert not [row for row in export["items"] if row["scope"] in ("Lager", "Kontor") and row["respondents"] != HIDDEN]
    csv_body = api.get(f"/api/v1/t/{slug}/surveys/{survey.id}/export?format=csv", headers=headers).data.decode("utf-8-sig")
    assert "Lager;;;" + HIDDEN in csv_body


# -- total minus one --------------------------------------------------------------------------------------------

def test_two_groups_where_total_minus_one_would_reveal_the_other_are_both_hidden(app, db, world):
    survey = _closed_survey(app, db, world, {"Lager": 3, "Kontor": 12}, positions={"Lager": 0})
    data = survey.report["data"]
    assert data["total"]["respondents"] == 15
    assert [g for g in data["groups"] if not g["suppressed"]] == []
    slug = world["tenant"].slug

    client = app.test_client()
    login(client, world["client"])
    html = client.get(f"/t/{slug}/surveys/{survey.id}/results").get_data(as_text=True)
    assert "n=12" not in html and "n=3" not in html and "Svar: 12" not in html
    assert HIDDEN in _section(html, "Kontor") and HIDDEN in _section(html, "Lager")

    pages = _pdf_text(app, world, survey)
    for name in ("Lager", "Kontor"):
        assert _digits_besides_k(_pdf_section(pages, name, world)) == []
    api, headers = _api(app, db, world)
    body = api.get(f"/api/v1/t/{slug}/surveys/{survey.id}/results", headers=headers).get_json()
    _assert_no_count_below_k(body)
    assert "12" not in json.dumps([g for g in body["report"]["groups"]])


def test_a_survey_with_fewer_than_k_answers_shows_no_numbers_at_all(app, db, world):
    survey = _closed_survey(app, db, world, {"Lager": 2, "Kontor": 2})
    assert survey.report["data"]["total"] == {"suppressed": True}
    client = app.test_client()
    login(client, world["consultant"])
    html = client.get(f"/t/{world['tenant'].slug}/surveys/{survey.id}/results").get_data(as_text=True)
    assert _digits_besides_k(_section(html, "Hele virksomheten")) == []
    detail = client.get(f"/t/{world['tenant'].slug}/surveys/{survey.id}").get_data(as_text=True)
    assert "Færre enn 5" in detail


def test_results_are_not_shown_while_the_survey_is_open(app, db, world):
    with app.test_request_context():
        survey = make_survey(db, world)
        add_responses(db, survey, 12)
        survey_id = survey.id
    db.commit()
    client = app.test_client()
    login(client, world["consultant"])
    slug = world["tenant"].slug
    assert "vises når undersøkelsen er avsluttet" in client.get(f"/t/{slug}/surveys/{survey_id}/results").get_data(as_text=True)
    assert client.get(f"/t/{slug}/surveys/{survey_id}/export.csv").status_code == 404
    assert client.get(f"/t/{slug}/surveys/{survey_id}/report.pdf").status_code == 404
    api, headers = _api(app, db, world)
    assert api.get(f"/api/v1/t/{slug}/surveys/{survey_id}/results", headers=headers).status_code == 409
