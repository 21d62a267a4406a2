"""Submits at the same moment, on PostgreSQL with real committed transactions in a database of its own (not
the savepoint-per-test one): a double click stores one response, a code answers once, and a submit that
meets the survey being closed waits for the closing and is refused."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from saas.schemas import FieldErrors
from saas.surveys.models import Survey, SurveyInvitation, SurveyResponse
from saas.surveys.services import answering, distribution, oslo_today, surveys
from saas.tenancy import bind_tenant
from saas.tenants.models import Tenant, User
from tests.integration.conftest import app_on_own_database
from tests.integration.test_survey_services import make_world, survey_data

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with app_on_own_database("survey_race", tmp_path_factory.mktemp("survey-race"), JOBS_MODE="sync") as application:
        yield application


@pytest.fixture
def world(app):
    """An open survey with one group and a sheet of codes for it, committed."""
    today = oslo_today()
    with app.test_request_context(), app.extensions["saas.db"].session_scope() as session:
        world = make_world(session)
        survey = surveys.create_survey(session, world["consultant"], world["tenant"], survey_data(
            world, year=today.year, opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=7),
            groups=[{"name": "Lager", "employee_count": 9}]))
        surveys.open_survey(session, world["consultant"], world["tenant"], survey, today)
        batch = distribution.issue_codes(session, world["consultant"], survey, 3, today, group_id=survey.groups[0].id)
        codes = distribution.code_sheet(session, survey, batch)["codes"]
        items = [item["key"] for item in survey.questionnaire_version.content["items"]]
        return dict(tenant=world["tenant"].id, consultant=world["consultant"].id, survey=survey.id,
                    token=survey.public_token, codes=codes, items=items)


def _form(world, code: str, nonce: str | None = None) -> dict:
    return {**{f"q_{key}": "3" for key in world["items"]}, "code": code, "nonce": nonce or answering.new_nonce()}


def _race(app, works) -> list:
    """Run each ``work(session)`` in a thread of its own, all started together; each commits after a pause,
    so the others meet its uncommitted rows and locks.  Returns each thread's outcome or error."""
    barrier, outcomes = threading.Barrier(len(works)), [None] * len(works)

    def run(n):
        with app.test_request_context():
            session = app.extensions["saas.db"].sessionmaker()
            try:
                barrier.wait()
                outcomes[n] = works[n](session)
                time.sleep(0.4)  # hold the locks: the others are now waiting on them
                session.commit()
            except FieldErrors as error:
                session.rollback()
                outcomes[n] = error.errors
            finally:
                session.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _submit(form):
    def work(session):
        return answering.submit(session, answering.resolve(session, form["token"]), form, oslo_today())
    return work


def _stored(app, world) -> tuple[int, int]:
    """(responses of the survey, its used invitations)."""
    with app.app_context():
        session = app.extensions["saas.db"].sessionmaker()
        bind_tenant(session, world["tenant"])
        try:
            return (session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == world["survey"])),
                    session.scalar(select(func.count(SurveyInvitation.id)).where(SurveyInvitation.survey_id == world["survey"],
                                                                               SurveyInvitation.responded.is_(True))))
        finally:
            session.close()


def test_a_double_click_stores_one_response_and_uses_one_code(app, world):
    form = dict(_form(world, world["codes"][0]), token=world["token"])
    outcomes = _race(app, [_submit(form), _submit(form)])
    assert sorted(outcomes) == [answering.DUPLICATE, answering.STORED]
    assert _stored(app, world) == (1, 1)


def test_two_people_typing_the_same_code_at_once_give_one_response(app, world):
    forms = [dict(_form(world, world["codes"][1]), token=world["token"]) for _ in range(2)]
    outcomes = _race(app, [_submit(form) for form in forms])
    assert answering.STORED in outcomes
    refused = next(o for o in outcomes if o != answering.STORED)
    assert refused == {"code": [answering.USED_CODE]} or refused == answering.USED, refused
    assert _stored(app, world) == (1, 1)


def test_a_submit_meeting_the_closing_waits_for_it_and_is_refused_and_the_report_counts_what_was_stored(app, world):
    form = dict(_form(world, world["codes"][2]), token=world["token"])

    def close(session):
        bind_tenant(session, world["tenant"])
        with app.test_request_context():
            surveys.close_survey(session, session.get(User, world["consultant"]), session.get(Tenant, world["tenant"]),
                                 session.get(Survey, world["survey"]), oslo_today())
        return "closed"

    def late_submit(session):
        time.sleep(0.1)  # the closing has the survey locked by now
        return _submit(form)(session)

    outcomes = _race(app, [close, late_submit])
    assert outcomes == ["closed", answering.CLOSED]
    with app.app_context():
        session = app.extensions["saas.db"].sessionmaker()
        bind_tenant(session, world["tenant"])
        survey = session.get(Survey, world["survey"])
        assert survey.respondent_count == _stored(app, world)[0] == 0
        session.close()
