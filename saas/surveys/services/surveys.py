"""Surveys: who may see which, creating and editing them, opening and closing.

Closing is the moment the report is built, once (``results.build_report_for``), and the moment the
personal invitations (the only rows with addresses) lose their addresses.  A closed survey never opens again: two
reports of one survey taken at different times could be subtracted to single out the late answerers.
"""
from __future__ import annotations

import secrets
from datetime import date

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, joinedload

from saas.audit.services import record
from saas.clients.models import ClientCompany
from saas.clients.services import NotFound, get_company, visible_company_ids
from saas.db import utcnow
from saas.hms.models import CertificationYear
from saas.hms.services.years import open_year
from saas.jobs import enqueue
from saas.pagination import Page
from saas.schemas import FieldErrors
from saas.surveys.models import Questionnaire, QuestionnaireVersion, Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.surveys.scoring import effective_k
from saas.surveys.services import oslo_today, questionnaires
from saas.tenants.models import Tenant, User

STATUS_LABELS = {"draft": "Utkast", "open": "Publisert", "closed": "Avsluttet"}
PAGE_SIZE = 25


def survey_k(tenant: Tenant, survey: Survey) -> int:
    """The anonymity threshold of ``survey``: the tenant's and the survey's k, never below 5."""
    return effective_k(_int_or_none(tenant.setting("survey_min_group")), survey.min_group)


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tenant_k(tenant: Tenant) -> int:
    return effective_k(_int_or_none(tenant.setting("survey_min_group")))


def visible_surveys(user: User) -> Select:
    """Surveys of the companies ``user`` may see (all of the tenant's for staff)."""
    return (select(Survey).join(CertificationYear, CertificationYear.id == Survey.year_id)
            .where(CertificationYear.company_id.in_(visible_company_ids(user.is_staff, user.id))))


def get_survey(session: Session, user: User, survey_id: int) -> Survey:
    """The survey with its year and company if ``user`` may see it; raises NotFound."""
    survey = session.scalar(visible_surveys(user).where(Survey.id == survey_id)
                            .options(joinedload(Survey.year).joinedload(CertificationYear.company)))
    if survey is None:
        raise NotFound(survey_id)
    return survey


def list_surveys(session: Session, user: User, company_id: int | None = None, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of surveys, newest first, as plain data (two queries)."""
    query = visible_surveys(user)
    if company_id:
        query = query.where(CertificationYear.company_id == company_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.with_only_columns(Survey.id, Survey.title, Survey.status, Survey.opens_on, Survey.closes_on,
                                CertificationYear.year, ClientCompany.id.label("company_id"), ClientCompany.name.label("company_name"))
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .order_by(Survey.opens_on.desc(), Survey.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    items = [dict(id=r.id, title=r.title, status=r.status, status_label=STATUS_LABELS[r.status], opens_on=r.opens_on,
                  closes_on=r.closes_on, year=r.year, company_id=r.company_id, company_name=r.company_name) for r in rows]
    return Page(items=items, total=total, page=max(page, 1), per_page=per_page)


def questionnaire_choices(session: Session) -> list[dict]:
    return [dict(id=q["id"], title=q["title"] + (" (innebygd)" if q["is_builtin"] else f" (v{q['version']})"))
            for q in questionnaires.list_questionnaires(session)]


def _pinned_version(session: Session, questionnaire_id: int | None) -> QuestionnaireVersion:
    questionnaire = (questionnaires.ensure_builtin(session) if questionnaire_id is None
                     else session.get(Questionnaire, questionnaire_id))
    if questionnaire is None:
        raise FieldErrors({"questionnaire_id": "Velg et spørreskjema hos denne tilbyderen."})
    return questionnaires.latest_version(session, questionnaire)


def _check(tenant: Tenant, data: dict) -> None:
    errors: dict[str, str] = {}
    if data["closes_on"] < data["opens_on"]:
        errors["closes_on"] = "Sluttdatoen kan ikke være før startdatoen."
    minimum = tenant_k(tenant)
    if data.get("min_group") is not None and data["min_group"] < minimum:
        errors["min_group"] = f"Kan ikke være lavere enn tilbyderens grense ({minimum})."
    names = [g["name"].strip().casefold() for g in data.get("groups") or []]
    if len(names) != len(set(names)):
        errors["groups"] = "To grupper har samme navn."
    if data.get("open_link") and not data.get("shared_link", True):
        errors["open_link"] = "En åpen lenke krever at felles lenke er slått på."
    elif data.get("open_link") and any(g.get("employee_count") is None for g in data.get("groups") or []):
        # Without a code anyone can answer any number of times: a group is shown only while its answers fit
        # its headcount, so every group needs one.
        errors["groups"] = "Med åpen lenke må hver gruppe ha antall ansatte (f.eks. «Lager; 12»)."
    if errors:
        raise FieldErrors(errors)


def _set_groups(session: Session, survey: Survey, groups: list[dict]) -> None:
    survey.groups = []
    session.flush()  # the old rows go first: a kept name would otherwise collide with itself
    survey.groups = [SurveyGroup(name=g["name"].strip(), employee_count=g.get("employee_count"), position=i)
                     for i, g in enumerate(groups)]
    session.flush()


def create_survey(session: Session, actor: User, tenant: Tenant, data: dict) -> Survey:
    """A draft survey of the company's certification year ``data["year"]`` (opened when missing),
    pinned to the chosen questionnaire's newest version (the built-in one by default).

    Raises FieldErrors naming the field; NotFound for a company ``actor`` may not see.
    """
    _check(tenant, data)
    company = get_company(session, actor, data["company_id"])
    year = session.scalar(select(CertificationYear).where(CertificationYear.company_id == company.id,
                                                          CertificationYear.year == data["year"]))
    if year is None:
        year = open_year(session, actor, company, {"year": data["year"]})
    if year.status != "open":
        raise FieldErrors({"year": "Sertifiseringsåret er avsluttet. Velg et åpent år."})
    version = _pinned_version(session, data.get("questionnaire_id"))
    survey = Survey(year_id=year.id, questionnaire_version=version, title=data["title"].strip(),
                    intro=data.get("intro") or "", opens_on=data["opens_on"], closes_on=data["closes_on"],
                    min_group=data.get("min_group"), shared_link=data.get("shared_link", True),
                    open_link=bool(data.get("open_link")), public_token=secrets.token_urlsafe(32), created_by=actor.id)
    session.add(survey)
    session.flush()
    _set_groups(session, survey, data.get("groups") or [])
    record(session, actor, "survey.created", survey, f"{company.name}: {survey.title}")
    return survey


def update_survey(session: Session, actor: User, tenant: Tenant, survey: Survey, data: dict, today: date) -> Survey:
    """A draft changes freely.  An open survey may only get a new title, intro and closing date: its
    questions, groups and k are what respondents already answered under.  A closed survey never changes."""
    if survey.status == "closed":
        raise FieldErrors({"_schema": "Undersøkelsen er avsluttet og kan ikke endres."})
    if survey.status == "open":
        if data["closes_on"] < max(survey.opens_on, today):
            raise FieldErrors({"closes_on": "Sluttdatoen kan ikke være i fortiden."})
        survey.title, survey.intro, survey.closes_on = data["title"].strip(), data.get("intro") or "", data["closes_on"]
        session.flush()
        record(session, actor, "survey.updated", survey, survey.title, fields=["title", "intro", "closes_on"])
        return survey
    _check(tenant, data)
    survey.questionnaire_version = _pinned_version(session, data.get("questionnaire_id"))
    for key in ("opens_on", "closes_on", "min_group", "shared_link"):
        setattr(survey, key, data.get(key) if key != "shared_link" else data.get(key, True))
    survey.open_link = bool(data.get("open_link"))
    survey.title, survey.intro = data["title"].strip(), data.get("intro") or ""
    _set_groups(session, survey, data.get("groups") or [])
    record(session, actor, "survey.updated", survey, survey.title)
    return survey


def open_survey(session: Session, actor: User, tenant: Tenant, survey: Survey, today: date) -> None:
    """Publish a draft: its links start working on the opening date.  The survey is pinned now to the
    newest version of its questionnaire and to today's k, and keeps both for good (respondents were
    promised that k; a tenant lowering its own setting later must not lower it)."""
    if survey.status != "draft":
        raise FieldErrors({"_schema": "Bare et utkast kan publiseres."})
    if survey.closes_on < today:
        raise FieldErrors({"closes_on": "Sluttdatoen har passert. Endre datoene først."})
    survey.questionnaire_version = _pinned_version(session, survey.questionnaire_version.questionnaire_id)
    survey.min_group = survey_k(tenant, survey)
    survey.status, survey.opened_at = "open", utcnow()
    session.flush()
    record(session, actor, "survey.opened", survey, survey.title)


def delete_survey(session: Session, actor: User, survey: Survey) -> None:
    """Only a draft (nobody can have answered it) may be deleted."""
    if survey.status != "draft":
        raise FieldErrors({"_schema": "Bare et utkast kan slettes."})
    record(session, actor, "survey.deleted", survey, survey.title)
    session.delete(survey)
    session.flush()


def close_survey(session: Session, actor: User | None, tenant: Tenant, survey: Survey, today: date) -> None:
    """Close the survey now: no more answers, the report is built once and kept, personal invitations lose
    their addresses, and the PDF report is rendered by a job after the commit.

    The survey row is locked first, so answers being stored right now either make it into the report or
    are refused (see answering.submit).
    """
    from saas.surveys.services.results import build_report_for
    from saas.surveys import jobs

    if survey.status != "open":
        raise FieldErrors({"_schema": "Bare en publisert undersøkelse kan avsluttes."})
    session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    session.refresh(survey)
    if survey.status != "open":
        raise FieldErrors({"_schema": "Undersøkelsen er allerede avsluttet."})
    survey.status, survey.closed_at = "closed", utcnow()
    survey.respondent_count = session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id))
    survey.report = build_report_for(session, tenant, survey, today)
    survey.report_final_on = today
    # Erase the addresses and mark every invitation answered, all in this one statement: afterwards no
    # invitation says who answered, and none still carries the row version its submit wrote.
    session.execute(update(SurveyInvitation).where(SurveyInvitation.survey_id == survey.id)
                    .values(email=None, responded=True, reminded_on=None).execution_options(synchronize_session=False))
    session.flush()
    record(session, actor, "survey.closed", survey, survey.title)
    enqueue(session, jobs.render_report_pdf, survey.id, tenant_id=survey.tenant_id, job_id=f"survey-pdf-{survey.id}")


def survey_link(survey: Survey) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/s/{survey.public_token}"


def response_count(session: Session, survey: Survey) -> int:
    return session.scalar(select(func.count(SurveyResponse.id)).where(SurveyResponse.survey_id == survey.id)) or 0


def summary(session: Session, tenant: Tenant, survey: Survey, today: date | None = None) -> dict:
    """The survey as plain data for its page and the API.  Counts of answers are shown only from k on,
    and per-invitation state never: who answered is nobody's business."""
    version = survey.questionnaire_version
    k = survey_k(tenant, survey)
    answered = survey.respondent_count if survey.status == "closed" else response_count(session, survey)
    company = survey.year.company
    return dict(
        id=survey.id, title=survey.title, intro=survey.intro, status=survey.status, status_label=STATUS_LABELS[survey.status],
        company_id=company.id, company_name=company.name, year=survey.year.year, year_id=survey.year_id,
        opens_on=survey.opens_on, closes_on=survey.closes_on, k=k, min_group=survey.min_group, shared_link=survey.shared_link,
        open_link=survey.open_link,
        shared_url=survey_link(survey) if survey.shared_link and survey.status != "closed" else None,
        questionnaire=dict(id=version.questionnaire_id, title=version.questionnaire.title, version=version.number,
                           label=version.label),
        groups=[dict(id=g.id, name=g.name, employee_count=g.employee_count) for g in survey.groups],
        invited_count=survey.invited_count,
        # A count of respondents is itself an aggregate: shown from k on (0 tells nothing about anyone).
        answered=answered if answered is not None and (answered == 0 or answered >= k) else None,
        answered_below_k=answered is not None and 0 < answered < k,
        results_available=survey.status == "closed" and survey.report is not None,
        pdf_ready=survey.pdf_key is not None, raw_deleted_on=survey.raw_deleted_on,
        accepting=survey.status == "open" and survey.opens_on <= (today or oslo_today()) <= survey.closes_on,
    )


def api_dump(session: Session, tenant: Tenant, survey: Survey) -> dict:
    data = summary(session, tenant, survey)
    keep = ("id", "title", "intro", "status", "company_id", "company_name", "year", "year_id", "opens_on", "closes_on",
            "min_group", "k", "shared_link", "open_link", "shared_url", "questionnaire", "invited_count", "results_available")
    out = {key: data[key] for key in keep}
    out["opens_on"], out["closes_on"] = data["opens_on"].isoformat(), data["closes_on"].isoformat()
    out["groups"] = [dict(g) for g in data["groups"]]
    return out
