"""What a respondent's submit costs the database (issue 16): the same few statements whether the form
carries one answer or all of them and whoever answers, with the answers stored exactly as posted."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from saas.surveys.models import SurveyResponse
from saas.tenancy import bind_tenant
from saas.tenants.models import OutboxMessage
from tests.conftest import BACKEND, own_statements
from tests.functional.test_survey_pages import _codes, _hidden_fields, _open_survey, world  # noqa: F401

# On PostgreSQL, once the answering page has shown the link: the tenant's scope sealed, the link read, then the
# survey's lock, the claim and the insert in one statement.  The thank-you page: the seal and the link.
CODE_SUBMIT, PERSONAL_SUBMIT, THANKS = 2, 2, 2


def _submit(app, url: str, statements: list[str], answers: dict[str, int], code: str | None = None) -> list[str]:
    """Open the page, then post ``answers`` straight to submit; the submit's own statements."""
    client = app.test_client()
    form = _hidden_fields(client.get(url).get_data(as_text=True))
    form.update({f"q_{key}": str(position) for key, position in answers.items()}, nav="submit", page="99",
                **({"code": code} if code else {}))
    statements.clear()
    response = client.post(url, data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return own_statements(statements)


def _stored(db, world, survey) -> list[tuple[dict, int | None]]:
    bind_tenant(db, world["tenant"].id)
    return [tuple(r) for r in db.execute(select(SurveyResponse.answers, SurveyResponse.group_id)
                                         .where(SurveyResponse.survey_id == survey.id).order_by(SurveyResponse.id))]


def test_a_code_submit_costs_the_same_few_statements_for_one_answer_or_all_and_for_every_respondent(app, db, world,
                                                                                                   statements):
    survey = _open_survey(app, db, world, groups=[{"name": "Lager", "employee_count": 12}])
    codes = _codes(app, db, world, survey, 6, group="Lager")
    items = [item["key"] for item in survey.questionnaire_version.content["items"]]
    forms = [{items[0]: 4}, {key: i % 5 for i, key in enumerate(items[:5])}] + \
            [{key: (i + n) % 5 for i, key in enumerate(items)} for n in range(4)]
    spent = [_submit(app, f"/s/{survey.public_token}", statements, answers, code) for answers, code in zip(forms, codes)]

    assert len({len(s) for s in spent}) == 1, [len(s) for s in spent]
    assert all(len([s for s in submit if "INSERT INTO survey_responses" in s]) == 1 for submit in spent)
    if BACKEND == "postgres":
        assert len(spent[0]) == CODE_SUBMIT, spent[0]
        assert "saas_private.enter_scope" in spent[0][0] and "INSERT INTO survey_responses" in spent[0][-1]
        statements.clear()
        assert app.test_client().get(f"/s/{survey.public_token}/takk").status_code == 200
        assert len(own_statements(statements)) == THANKS
    lager = survey.groups[0].id
    assert _stored(db, world, survey) == [(answers, lager) for answers in forms]


def test_a_personal_link_submit_costs_a_fixed_few_statements(app, db, world, staff, statements):
    survey = _open_survey(app, db, world)
    assert staff.post(f"/t/{world['tenant'].slug}/surveys/{survey.id}/invitations",
                      data={"emails": "ola@example.no\nkari@example.no"}).status_code == 302
    bind_tenant(db, world["tenant"].id)
    bodies = db.scalars(select(OutboxMessage.body).where(OutboxMessage.to.like("%@example.no"))).all()
    urls = [re.search(r"http://localhost(/s/\S+)", body).group(1) for body in bodies]
    items = [item["key"] for item in survey.questionnaire_version.content["items"]]
    spent = [_submit(app, url, statements, answers) for url, answers in zip(urls, ({items[0]: 0}, dict.fromkeys(items, 3)))]

    assert len(spent[0]) == len(spent[1])
    if BACKEND == "postgres":
        assert len(spent[0]) == PERSONAL_SUBMIT, spent[0]
    assert _stored(db, world, survey) == [({items[0]: 0}, None), (dict.fromkeys(items, 3), None)]


@pytest.fixture
def staff(app, world):
    from tests.conftest import login

    client = app.test_client()
    login(client, world["consultant"])
    return client
