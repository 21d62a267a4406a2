"""The survey page's data in one call: the survey, its distribution state and its links to HMS work."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from saas.surveys.models import Survey
from saas.surveys.schemas import GroupLines
from saas.surveys.services import distribution, surveys, work
from saas.tenants.models import Tenant, User


def survey_page(session: Session, tenant: Tenant, user: User, survey: Survey, today: date) -> dict:
    """Plain data for the survey page (what ``user`` may do is decided in the template by role)."""
    show_qr = survey.shared_link and survey.status != "closed"
    return dict(
        survey=surveys.summary(session, tenant, survey, today),
        invitations=distribution.invitation_counts(session, survey, today) if survey.status != "closed" else None,
        code_sheets=distribution.code_sheets(session, survey) if survey.status == "open" else [],
        qr=distribution.qr_svg(survey) if show_qr else "",
        mappings=work.year_mappings(session, survey) if user.is_staff else [],
        actions=work.survey_actions(session, survey),
    )


def edit_values(survey: Survey) -> dict:
    """The edit form's values for ``survey`` (groups as the form's lines)."""
    groups = [dict(name=g.name, employee_count=g.employee_count) for g in survey.groups]
    return dict(title=survey.title, intro=survey.intro, opens_on=survey.opens_on.isoformat(),
                closes_on=survey.closes_on.isoformat(), min_group=survey.min_group, shared_link=survey.shared_link,
                open_link=survey.open_link,
                questionnaire_id=survey.questionnaire_version.questionnaire_id,
                groups=GroupLines()._serialize(groups, "groups", None))
