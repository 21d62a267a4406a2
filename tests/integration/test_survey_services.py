"""Survey services against a real database: questionnaires and their versions, creating and opening
surveys, what a response stores (and doesn't), personal links, idempotent submits, closing, retention."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from saas.auth import token_digest
from saas.hms.models import CertificationYear
from saas.schemas import FieldErrors
from saas.surveys.models import QuestionnaireVersion, Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.surveys.questionnaire_builtin import BUILTIN_KEY, BUILTIN_QUESTIONNAIRE
from saas.surveys.services import answering, distribution, questionnaires, retention, surveys
from saas.tenancy import bind_tenant, bound_tenant
from saas.tenants.models import OutboxMessage
from tests import factories

TODAY = date(2026, 3, 10)


# -- helpers shared with the functional tests -------------------------------------------------------------

def make_world(db, **tenant_fields) -> dict:
    tenant = factories.make_tenant(db, **tenant_fields)
    consultant = factories.make_user(db, tenant, roles=("consultant",))
    client_user = factories.make_user(db, tenant, roles=("client",))
    company = factories.make_company(db, tenant, consultant_id=consultant.id, employee_count=40)
    other = factories.make_company(db, tenant)
    factories.make_contact(db, company, user=client_user)
    return dict(tenant=tenant, consultant=consultant, client=client_user, company=company, other_company=other)


def survey_data(world: dict, **fields) -> dict:
    data = dict(company_id=world["company"].id, year=2026, questionnaire_id=None, title="Arbeidsmiljø 2026", intro="",
                opens_on=TODAY - timedelta(days=5), closes_on=TODAY + timedelta(days=10), min_group=None,
                shared_link=True, groups=[])
    data.update(fields)
    return data


def make_survey(db, world: dict, groups=(), open_=True, **fields) -> Survey:
    data = survey_data(world, groups=[{"name": name, "employee_count": count} for name, count in groups], **fields)
    survey = surveys.create_survey(db, world["consultant"], world["tenant"], data)
    if open_:
        surveys.open_survey(db, world["consultant"], world["tenant"], survey, TODAY)
    return survey


def add_responses(db, survey: Survey, n: int, group: str | None = None, position: int = 1, on: date = TODAY) -> None:
    """``n`` respondents answering every item at ``position`` (rows written directly, as submits would)."""
    group_id = next(g.id for g in survey.groups if g.name == group) if group else None
    answers = {item["key"]: position for item in survey.questionnaire_version.content["items"]}
    for _ in range(n):
        db.add(SurveyResponse(survey_id=survey.id, group_id=group_id, submitted_on=on, answers=answers,
                              submit_nonce=answering.new_nonce()))
    db.flush()


def form_for(survey: Survey, position: int = 1, group: str | None = None, nonce: str | None = None) -> dict:
    form = {f"q_{item['key']}": str(position) for item in survey.questionnaire_version.content["items"]}
    form["nonce"] = nonce or answering.new_nonce()
    if group is not None:
        form["group"] = group
    return form


def close(db, world: dict, survey: Survey, today: date = TODAY) -> None:
    surveys.close_survey(db, world["consultant"], world["tenant"], survey, today)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def world(db, ctx):
    return make_world(db)


# -- questionnaires ---------------------------------------------------------------------------------------

def test_the_built_in_questionnaire_is_seeded_once_and_is_read_only(db, world):
    first = questionnaires.ensure_builtin(db)
    assert questionnaires.ensure_builtin(db).id == first.id
    versions = db.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == first.id)).all()
    assert len(versions) == 1 and versions[0].content == BUILTIN_QUESTIONNAIRE and len(versions[0].content["items"]) == 42
    with pytest.raises(FieldErrors) as error:
        questionnaires.new_version(db, world["consultant"], first, BUILTIN_QUESTIONNAIRE)
    assert "innebygde" in error.value.errors["content"][0]


def test_an_invalid_import_names_the_json_path_in_norwegian(db, world):
    broken = questionnaires.copy_of(db, questionnaires.ensure_builtin(db))
    broken["items"][3]["text"] = {"en": "Only English"}
    broken["items"][5]["reversed"] = "yes"
    with pytest.raises(FieldErrors) as error:
        questionnaires.create_questionnaire(db, world["consultant"], broken)
    messages = error.value.errors["content"]
    assert "$.items[3].text.nb: mangler tekst på bokmål" in messages
    assert "$.items[5].reversed: må være true eller false" in messages
    with pytest.raises(FieldErrors) as syntax:
        questionnaires.parse_json('{"key": "x",\n "items": [}')
    assert syntax.value.errors["content"][0].startswith("Ugyldig JSON: linje 2")


def test_an_import_without_a_4_3_factor_is_saved_with_a_warning(db, world):
    content = questionnaires.copy_of(db, questionnaires.ensure_builtin(db))
    content["dimensions"] = [dict(d, factor_4_3=None) if d["key"] == "emotional" else d for d in content["dimensions"]]
    questionnaire, warnings = questionnaires.create_questionnaire(db, world["consultant"], content)
    assert questionnaire.key == f"{BUILTIN_KEY}-kopi"
    assert warnings and "emosjonelle krav" in warnings[0]


def test_a_sent_survey_keeps_its_questionnaire_version_when_the_questionnaire_is_edited(db, world):
    content = questionnaires.copy_of(db, questionnaires.ensure_builtin(db))
    questionnaire, _ = questionnaires.create_questionnaire(db, world["consultant"], content)
    survey = make_survey(db, world, questionnaire_id=questionnaire.id)
    sent_with = survey.questionnaire_version_id
    edited = dict(content, version="2", items=content["items"][:-1])
    version, _ = questionnaires.new_version(db, world["consultant"], questionnaire, edited)
    assert version.number == 2
    db.expire_all()
    assert db.get(Survey, survey.id).questionnaire_version_id == sent_with
    assert len(db.get(Survey, survey.id).questionnaire_version.content["items"]) == 42
    with pytest.raises(FieldErrors, match="Ingen endringer"):
        questionnaires.new_version(db, world["consultant"], questionnaire, edited)
    with pytest.raises(FieldErrors):
        questionnaires.new_version(db, world["consultant"], questionnaire, dict(edited, key="annen-nokkel", version="3"))


def test_a_draft_is_pinned_to_the_newest_version_when_it_is_published(db, world):
    content = questionnaires.copy_of(db, questionnaires.ensure_builtin(db))
    questionnaire, _ = questionnaires.create_questionnaire(db, world["consultant"], content)
    draft = make_survey(db, world, open_=False, questionnaire_id=questionnaire.id)
    version, _ = questionnaires.new_version(db, world["consultant"], questionnaire, dict(content, version="2", items=content["items"][:-2]))
    surveys.open_survey(db, world["consultant"], world["tenant"], draft, TODAY)
    assert draft.questionnaire_version_id == version.id


# -- surveys ----------------------------------------------------------------------------------------------

def test_a_survey_opens_the_companys_year_when_missing_and_uses_the_tenant_k(db, world):
    assert db.scalar(select(CertificationYear).where(CertificationYear.company_id == world["company"].id)) is None
    survey = make_survey(db, world, groups=[("Lager", 9), ("Kontor", 12)])
    year = db.get(CertificationYear, survey.year_id)
    assert (year.company_id, year.year) == (world["company"].id, 2026)
    assert [g.name for g in survey.groups] == ["Lager", "Kontor"]
    assert surveys.survey_k(world["tenant"], survey) == 5
    world["tenant"].settings = {**world["tenant"].settings, "survey_min_group": 7}
    assert surveys.survey_k(world["tenant"], survey) == 7


def test_k_may_be_raised_but_never_below_the_tenants(db, world):
    world["tenant"].settings = {**world["tenant"].settings, "survey_min_group": 6}
    with pytest.raises(FieldErrors) as error:
        surveys.create_survey(db, world["consultant"], world["tenant"], survey_data(world, min_group=5))
    assert error.value.errors["min_group"] == ["Kan ikke være lavere enn tilbyderens grense (6)."]
    raised = surveys.create_survey(db, world["consultant"], world["tenant"], survey_data(world, min_group=8))
    assert surveys.survey_k(world["tenant"], raised) == 8


def test_a_published_survey_keeps_the_k_it_was_sent_with_when_the_tenant_lowers_its_setting(db, world):
    world["tenant"].settings = {**world["tenant"].settings, "survey_min_group": 8}
    survey = make_survey(db, world)
    world["tenant"].settings = {**world["tenant"].settings, "survey_min_group": 5}
    assert surveys.survey_k(world["tenant"], survey) == 8
    add_responses(db, survey, 7)
    close(db, world, survey)
    assert survey.report["k"] == 8 and survey.report["data"]["total"] == {"suppressed": True}


def test_an_open_survey_only_changes_title_intro_and_closing_date(db, world):
    survey = make_survey(db, world, groups=[("Lager", 9)])
    data = survey_data(world, title="Ny tittel", min_group=9, closes_on=TODAY + timedelta(days=30),
                       groups=[{"name": "Noe annet", "employee_count": 3}])
    surveys.update_survey(db, world["consultant"], world["tenant"], survey, data, TODAY)
    assert survey.title == "Ny tittel" and survey.closes_on == TODAY + timedelta(days=30)
    assert survey.min_group == 5 and [g.name for g in survey.groups] == ["Lager"]


# -- answering --------------------------------------------------------------------------------------------

def test_a_response_stores_answers_group_and_date_and_nothing_that_identifies(db, world):
    survey = make_survey(db, world, groups=[("Lager", 9)])
    batch = distribution.issue_codes(db, world["consultant"], survey, 1, TODAY, group_id=survey.groups[0].id)
    [code] = distribution.code_sheet(db, survey, batch)["codes"]
    link = answering.resolve(db, survey.public_token)
    outcome = answering.submit(db, link, {**form_for(survey), "code": code}, TODAY)  # the group comes with the code
    assert outcome == answering.STORED
    row = db.scalar(select(SurveyResponse).where(SurveyResponse.survey_id == survey.id))
    assert set(SurveyResponse.__table__.columns.keys()) == {"id", "tenant_id", "survey_id", "group_id", "submitted_on",
                                                           "answers", "submit_nonce"}
    assert row.submitted_on == TODAY and row.group_id == survey.groups[0].id and len(row.answers) == 42


def test_a_double_submit_of_one_form_stores_one_response(db, world):
    survey = make_survey(db, world, open_link=True)
    link = answering.resolve(db, survey.public_token)
    form = form_for(survey)
    assert answering.submit(db, link, form, TODAY) == answering.STORED
    assert answering.submit(db, link, form, TODAY) == answering.DUPLICATE
    assert answering.submit(db, link, form_for(survey), TODAY) == answering.STORED  # a second person, same link
    assert surveys.response_count(db, survey) == 2


def test_a_personal_link_is_stored_hashed_works_once_and_is_not_linked_to_the_answer(db, world):
    survey = make_survey(db, world)
    result = distribution.invite(db, world["consultant"], world["tenant"], survey, ["ola@example.no", "kari@example.no"], TODAY)
    assert result == {"sent": 2, "skipped": 0}
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.to == "ola@example.no"))
    token = re.search(r"/s/([A-Za-z0-9_-]{43})", mail.body).group(1)
    invitation = db.scalar(select(SurveyInvitation).where(SurveyInvitation.email == "ola@example.no"))
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {invitation.salt, invitation.token_hash}

    link = answering.resolve(db, token)
    assert link.invitation_id == invitation.id
    form = form_for(survey)
    assert answering.submit(db, link, form, TODAY) == answering.STORED
    assert answering.submit(db, answering.resolve(db, token), form, TODAY) == answering.DUPLICATE  # a double click
    assert answering.submit(db, answering.resolve(db, token), form_for(survey), TODAY) == answering.USED
    assert answering.state(survey, answering.resolve(db, token).responded, TODAY) == answering.USED
    db.refresh(invitation)
    assert invitation.responded is True
    assert surveys.response_count(db, survey) == 1
    assert distribution.invite(db, world["consultant"], world["tenant"], survey, ["ola@example.no"], TODAY) == {"sent": 0, "skipped": 1}


def test_a_reminder_goes_only_to_those_who_have_not_answered_and_once_a_day(db, world):
    survey = make_survey(db, world)
    distribution.invite(db, world["consultant"], world["tenant"], survey, ["ola@example.no", "kari@example.no"], TODAY)
    token = re.search(r"/s/(\S+)", db.scalar(select(OutboxMessage.body).where(OutboxMessage.to == "ola@example.no"))).group(1)
    answering.submit(db, answering.resolve(db, token), form_for(survey), TODAY)
    assert distribution.remind(db, world["consultant"], world["tenant"], survey, TODAY) == 1
    reminders = db.scalars(select(OutboxMessage.to).where(OutboxMessage.subject.like("Påminnelse%"))).all()
    assert reminders == ["kari@example.no"]
    assert distribution.remind(db, world["consultant"], world["tenant"], survey, TODAY) == 0


def test_answers_are_refused_before_opening_after_closing_and_for_a_draft(db, world):
    draft = make_survey(db, world, open_=False)
    assert answering.state(draft, False, TODAY) == answering.NOT_YET
    survey = make_survey(db, world, opens_on=TODAY + timedelta(days=1))
    assert answering.submit(db, answering.resolve(db, survey.public_token), form_for(survey), TODAY) == answering.NOT_YET
    assert answering.submit(db, answering.resolve(db, survey.public_token), form_for(survey), survey.closes_on + timedelta(days=1)) == answering.CLOSED
    assert surveys.response_count(db, survey) == 0


def test_an_incomplete_form_is_refused_with_field_errors(db, world):
    survey = make_survey(db, world, groups=[("Lager", 9)], open_link=True)
    link = answering.resolve(db, survey.public_token)
    with pytest.raises(FieldErrors) as error:
        answering.submit(db, link, {"nonce": answering.new_nonce(), "q_dem_1": "9", "group": "999999"}, TODAY)
    assert set(error.value.errors) == {"group", "_schema"}
    assert surveys.response_count(db, survey) == 0


def test_the_shared_link_can_be_turned_off_and_unknown_tokens_resolve_to_nothing(db, world):
    survey = make_survey(db, world, shared_link=False)
    assert answering.resolve(db, survey.public_token) is None
    assert answering.resolve(db, "x" * 43) is None
    assert answering.resolve(db, "../../etc/passwd") is None


def test_a_link_is_read_in_its_tenant_only_and_a_wrong_hint_finds_nothing_there(db, world):
    survey = make_survey(db, world)
    other = make_world(db, slug="annen")
    foreign = make_survey(db, other)
    assert answering.resolve(db, foreign.public_token).tenant_id == other["tenant"].id
    # A hint that pointed a token at another tenant would find nothing there; the token is found where it is.
    link = answering.resolve(db, survey.public_token)
    answering._SEEN[token_digest(survey.public_token)] = replace(link, tenant=replace(link.tenant, id=other["tenant"].id))
    link = answering.resolve(db, survey.public_token)
    assert (link.survey_id, link.tenant_id) == (survey.id, world["tenant"].id)
    assert bound_tenant(db) == world["tenant"].id
    assert answering._SEEN[token_digest(survey.public_token)].tenant_id == world["tenant"].id
    answering._SEEN[token_digest(foreign.public_token)] = replace(link, invitation_id=1)
    assert answering.resolve(db, foreign.public_token).tenant_id == other["tenant"].id


# -- closing and retention ----------------------------------------------------------------------------------

def test_closing_builds_the_report_once_and_erases_who_was_invited(db, world):
    survey = make_survey(db, world)
    distribution.invite(db, world["consultant"], world["tenant"], survey, ["ola@example.no", "kari@example.no"], TODAY)
    add_responses(db, survey, 6)
    close(db, world, survey)
    assert survey.status == "closed" and survey.respondent_count == 6 and survey.report_final_on == TODAY
    assert survey.report["data"]["total"]["respondents"] == 6
    rows = db.execute(select(SurveyInvitation.email, SurveyInvitation.responded).where(SurveyInvitation.survey_id == survey.id)).all()
    assert rows and all(email is None and responded for email, responded in rows)
    assert survey.invited_count == 2
    with pytest.raises(FieldErrors):
        close(db, world, survey)
    with pytest.raises(FieldErrors):
        surveys.open_survey(db, world["consultant"], world["tenant"], survey, TODAY)


def test_last_years_survey_of_the_company_is_the_reference(db, world):
    last_year = make_survey(db, world, year=2025, title="I fjor")
    add_responses(db, last_year, 6, position=2)
    close(db, world, last_year)
    survey = make_survey(db, world)
    add_responses(db, survey, 6, position=1)
    close(db, world, survey)
    assert survey.report["reference"] == {"survey_id": last_year.id, "title": "I fjor", "year": 2025}
    def support(report):
        return next(d for d in report["data"]["total"]["dimensions"] if d["key"] == "leader_support")
    assert support(survey.report)["reference"] == support(last_year.report)["score"] != support(survey.report)["score"]


def test_raw_answers_are_deleted_after_the_retention_time_and_the_report_stays(db, world):
    world["tenant"].settings = {**world["tenant"].settings, "raw_answer_retention_days": 30}
    survey = make_survey(db, world)
    add_responses(db, survey, 6)
    close(db, world, survey)
    report = dict(survey.report)
    assert retention.purge_raw_answers(db, world["tenant"], survey, TODAY + timedelta(days=29)) == 0
    assert surveys.response_count(db, survey) == 6
    assert retention.purge_raw_answers(db, world["tenant"], survey, TODAY + timedelta(days=30)) == 6
    assert surveys.response_count(db, survey) == 0
    assert survey.raw_deleted_on == TODAY + timedelta(days=30) and survey.report == report


def test_the_daily_job_closes_expired_surveys_and_purges_due_answers(app, db, world):
    from saas.surveys import jobs

    expired = make_survey(db, world, open_=False, closes_on=TODAY - timedelta(days=1))
    surveys.open_survey(db, world["consultant"], world["tenant"], expired, TODAY - timedelta(days=3))
    add_responses(db, expired, 5)
    old = make_survey(db, world, title="Gammel")
    add_responses(db, old, 5)
    close(db, world, old, TODAY - timedelta(days=120))
    tenant_id = world["tenant"].id
    db.commit()
    bind_tenant(db, None)
    result = jobs.daily_surveys(db, TODAY.isoformat())
    assert result == {"closed": 1, "purge_checked": 1}
    db.commit()  # the fanned-out jobs run after this commit (JOBS_MODE=sync)
    bind_tenant(db, tenant_id)
    db.expire_all()
    assert db.get(Survey, expired.id).status == "closed"
    assert db.get(Survey, expired.id).report["data"]["total"]["respondents"] == 5
    assert db.get(Survey, old.id).raw_deleted_on == TODAY
    assert db.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == old.id)) == 0


def test_only_a_draft_can_be_deleted(db, world):
    survey = make_survey(db, world, groups=[("Lager", 9)])
    with pytest.raises(FieldErrors):
        surveys.delete_survey(db, world["consultant"], survey)
    draft = make_survey(db, world, open_=False, groups=[("Lager", 9)])
    surveys.delete_survey(db, world["consultant"], draft)
    assert db.get(Survey, draft.id) is None
    assert db.scalar(select(func.count(SurveyGroup.id)).where(SurveyGroup.survey_id == draft.id)) == 0


def test_the_pdf_report_is_rendered_by_a_job_without_a_request_and_only_once(app, db):
    from saas import storage
    from saas.jobs import run_job
    from saas.surveys import jobs

    with app.test_request_context():
        world = make_world(db)
        survey = make_survey(db, world, groups=[("Lager", 9)])
        add_responses(db, survey, 6, group="Lager")
        close(db, world, survey)
    with app.app_context():
        db.commit()  # JOBS_MODE=sync: the job runs now, in an application context with no request
        bind_tenant(db, world["tenant"].id)
        db.expire_all()
        key = db.get(Survey, survey.id).pdf_key
        assert key is not None and storage.read(key).startswith(b"%PDF")
        assert run_job(jobs.render_report_pdf.job_name, world["tenant"].id, [survey.id], app=app) is None  # done already
        bind_tenant(db, world["tenant"].id)
        assert db.get(Survey, survey.id).pdf_key == key
