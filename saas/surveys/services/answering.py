"""The public answering pages: resolving a link to its survey, and storing one anonymous response.

No login and no tenant in the session: the token names the survey (and for a personal link the
invitation), and the request is bound to the survey's tenant from there.  Nothing about a respondent is
stored before the single submit, and what the submit stores is described in ``models.SurveyResponse``:
the answers, the group and the date.  No audit event is written here (it would hold an IP address).

Every answer uses up one invitation: the personal link's, or on the shared link a printed one-time code
typed on the first page.  The invitation is claimed by a conditional UPDATE in the transaction that
inserts the response, and nothing links the two rows.  The group is the invitation's, so a group never
gets more answers than invitations.  Only a survey made with an open link takes answers on the shared
link without a code (its results say so).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.auth import token_digest
from saas.schemas import FieldErrors
from saas.surveys import pages
from saas.surveys.services import distribution
from saas.surveys.models import Survey, SurveyInvitation, SurveyResponse
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
NONCE = re.compile(r"[A-Za-z0-9_-]{24,64}")
NO_GROUP = "none"  # the respondent's "I'd rather not say"

# What a link leads to
OPEN, NOT_YET, CLOSED, USED = "open", "not_yet", "closed", "used"
# What a submit did
STORED, DUPLICATE = "stored", "duplicate"


@dataclass(frozen=True)
class Link:
    survey: Survey
    tenant: Tenant
    invitation_id: int | None
    responded: bool
    group_id: int | None = None  # the personal invitation's group

    @property
    def needs_code(self) -> bool:
        """The shared link of a survey without an open link: a one-time code comes first."""
        return self.invitation_id is None and not self.survey.open_link


def resolve(session: Session, token: str) -> Link | None:
    """The survey behind a shared or personal token, with the request bound to its tenant; None when the
    token is unknown (or the shared link is turned off)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    with platform_access(session):
        survey = session.scalar(select(Survey).where(Survey.public_token == token, Survey.shared_link.is_(True)))
        invitation = None
        if survey is None:
            invitation = session.scalar(select(SurveyInvitation).where(SurveyInvitation.token_hash == token_digest(token))
                                        .execution_options(populate_existing=True))
            survey = session.get(Survey, invitation.survey_id) if invitation is not None else None
        tenant = session.get(Tenant, survey.tenant_id) if survey is not None else None
    if survey is None or tenant is None or not tenant.active:
        return None
    bind_tenant(session, survey.tenant_id)
    return Link(survey=survey, tenant=tenant, invitation_id=invitation.id if invitation else None,
                responded=bool(invitation and invitation.responded), group_id=invitation.group_id if invitation else None)


def state(survey: Survey, responded: bool, today: date) -> str:
    if survey.status == "closed" or (survey.status == "open" and today > survey.closes_on):
        return CLOSED
    if survey.status != "open" or today < survey.opens_on:
        return NOT_YET
    return USED if responded else OPEN


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Code:
    invitation_id: int
    group_id: int | None
    code: str


def check_code(session: Session, survey: Survey, raw: str | None) -> Code:
    """The unused one-time code ``raw`` of ``survey``; FieldErrors {"code"} when it is unknown or used."""
    code = distribution.normalize_code(raw)
    invitation = session.scalar(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.kind == "code",
        SurveyInvitation.token_hash == distribution.code_digest(survey.id, code))
        .execution_options(populate_existing=True)) if code else None
    if invitation is None:
        raise FieldErrors({"code": "Ukjent kode. Skriv koden slik den står på lappen (10 tegn)."})
    if invitation.responded:
        raise FieldErrors({"code": "Denne koden er allerede brukt. Hver kode kan gi ett svar."})
    return Code(invitation_id=invitation.id, group_id=invitation.group_id, code=code)


def group_name(survey: Survey, group_id: int | None) -> str | None:
    return next((g.name for g in survey.groups if g.id == group_id), None)


def choose_group(survey: Survey, raw: str | None) -> tuple[int | None, bool]:
    """(group id or None, whether a valid choice was made) for the posted group field."""
    if not survey.groups:
        return None, True
    if raw == NO_GROUP:
        return None, True
    for group in survey.groups:
        if raw == str(group.id):
            return group.id, True
    return None, False


def check_submission(answers: dict, group_ok: bool, nonce: str) -> None:
    errors = {}
    if not group_ok:
        errors["group"] = "Velg avdelingen din (eller «Vil ikke oppgi»)."
    if not answers:
        errors["_schema"] = "Svar på minst ett spørsmål før du sender inn."
    if not NONCE.fullmatch(nonce or ""):
        errors["_nonce"] = "Skjemaet er ufullstendig. Åpne lenken på nytt."
    if errors:
        raise FieldErrors(errors)


def submit(session: Session, link: Link, form, today: date) -> str:
    """Store the posted answers once; returns STORED, DUPLICATE (this form was already stored), USED (the
    personal link or code was already used), CLOSED or NOT_YET.  Raises FieldErrors for an incomplete form
    or a missing, unknown or used code on the shared link.

    Idempotent: the invitation (personal link or code) is claimed by a conditional UPDATE and the form
    carries a one-time nonce under a unique constraint, both in the transaction that inserts the response.
    The survey row is share-locked, so a response is either in the report built at closing or refused.
    """
    survey = link.survey
    session.refresh(survey, ["status", "opens_on", "closes_on"], with_for_update={"read": True})
    version = survey.questionnaire_version.content
    answers = pages.parse_answers(form, version)
    nonce = form.get("nonce", "")
    current = state(survey, False, today)
    if current != OPEN:
        return current
    invitation_id, fixed_group = link.invitation_id, link.group_id
    if link.needs_code:
        nonce_ok = NONCE.fullmatch(nonce or "")
        code = check_code(session, survey, form.get("code")) if not nonce_ok or not _stored(session, nonce) else None
        if code is None:  # this very form was stored a moment ago (a double click): nothing more to do
            return DUPLICATE
        invitation_id, fixed_group = code.invitation_id, code.group_id
    if fixed_group is not None:
        group_id, group_ok = fixed_group, True  # the invitation's group: answers can't be moved to another
    else:
        group_id, group_ok = choose_group(survey, form.get("group"))
    check_submission(answers, group_ok, nonce)
    if invitation_id is not None:
        claimed = session.execute(
            update(SurveyInvitation).where(SurveyInvitation.id == invitation_id, SurveyInvitation.responded.is_(False))
            .values(responded=True).execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            # A double click on a personal link: the first click's answers are stored under this nonce.
            return DUPLICATE if _stored(session, nonce) else USED
    try:
        with session.begin_nested():
            session.add(SurveyResponse(survey_id=survey.id, group_id=group_id, submitted_on=today, answers=answers,
                                       submit_nonce=nonce))
            session.flush()
    except IntegrityError:
        return DUPLICATE
    return STORED


def _stored(session: Session, nonce: str) -> bool:
    return session.scalar(select(SurveyResponse.id).where(SurveyResponse.submit_nonce == nonce)) is not None
