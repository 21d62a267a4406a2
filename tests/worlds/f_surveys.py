"""A questionnaire, a closed survey with groups, an invitation and a response, for every tenant."""
from datetime import date

from saas.surveys.models import Questionnaire, QuestionnaireVersion, Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.surveys.questionnaire_builtin import BUILTIN_QUESTIONNAIRE


def populate(session, base):
    key = base["key"].upper()
    questionnaire = Questionnaire(key=f"eget-{key.lower()}", title=f"Skjema {key} Hemmelig")
    session.add(questionnaire)
    session.flush()
    version = QuestionnaireVersion(questionnaire_id=questionnaire.id, number=1, label="1",
                                   content={**BUILTIN_QUESTIONNAIRE, "key": f"eget-{key.lower()}"})
    session.add(version)
    session.flush()
    survey = Survey(year_id=base["year"].id, questionnaire_version_id=version.id, title=f"Undersøkelse {key} Hemmelig",
                    opens_on=date(2026, 3, 1), closes_on=date(2026, 3, 20), public_token=f"{key.lower()}" * 43,
                    status="open", created_by=base["consultant"].id)
    session.add(survey)
    session.flush()
    group = SurveyGroup(survey_id=survey.id, name=f"Avdeling {key} Hemmelig", employee_count=9)
    session.add(group)
    session.flush()
    invitation = SurveyInvitation(survey_id=survey.id, email=f"ansatt-{key.lower()}@example.no", salt="0" * 32,
                                  token_hash=f"{key.lower()}" * 64, invited_on=date(2026, 3, 1))
    response = SurveyResponse(survey_id=survey.id, group_id=group.id, submitted_on=date(2026, 3, 2), answers={"dem_1": 1},
                              submit_nonce=f"nonce-{key.lower()}" * 4)
    session.add_all([invitation, response])
    session.flush()
    return dict(questionnaire=questionnaire, questionnaire_version=version, survey=survey, survey_group=group,
                invitation=invitation, survey_response=response)
