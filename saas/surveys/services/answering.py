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

A submit is the hot path of a survey (a whole workforce answering in the same hour), so it reads and
writes in as few statements as it can: the survey's lock, the claim and the insert in one statement
(``storing``), on the link as this process read it before (``remembered``, checked again by that statement),
else after reading the link (``resolve``).  Everything that is not a plain success (an incomplete form, a
used code, a double click) is explained afterwards by ``_refusal``, on a link read in the same request.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from saas.auth import token_digest
from saas.clients.models import ClientCompany
from saas.hms.models import CertificationYear
from saas.schemas import FieldErrors
from saas.surveys import pages
from saas.surveys.services import distribution, storing
from saas.surveys.services.surveys import survey_k
from saas.surveys.models import QuestionnaireVersion, Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
NONCE = re.compile(r"[A-Za-z0-9_-]{24,64}")
NO_GROUP = "none"  # the respondent's "I'd rather not say"

# What a link leads to
OPEN, NOT_YET, CLOSED, USED = "open", "not_yet", "closed", "used"
# What a submit did; RECHECK: nothing, on a remembered link that no longer holds or that would have more to tell
# than "thank you" (read the link and submit again)
STORED, DUPLICATE, RECHECK = "stored", "duplicate", "recheck"

UNKNOWN_CODE = "Ukjent kode. Skriv koden slik den står på lappen (10 tegn)."
USED_CODE = "Denne koden er allerede brukt. Hver kode kan gi ett svar."


@dataclass(frozen=True, slots=True)
class TenantBrand:
    """What the public pages show of the survey's tenant (its name, colours and logo in base.html)."""

    id: int
    slug: str
    name: str
    primary_color: str
    accent_color: str
    logo_file: str | None


@dataclass(frozen=True, slots=True)
class Link:
    """What a token leads to, as plain values: the survey's state, its questionnaire version, the tenant and,
    for a personal link, the invitation."""

    survey_id: int
    tenant: TenantBrand
    status: str
    opens_on: date
    closes_on: date
    open_link: bool
    version_id: int
    opened_at: datetime | None  # with version_id, names the questionnaire content (see ``questionnaire``)
    invitation_id: int | None = None
    responded: bool = False
    group_id: int | None = None  # the personal invitation's group
    recheck: storing.Remembered | None = None  # a link remembered from an earlier request: what a submit checks

    @property
    def tenant_id(self) -> int:
        return self.tenant.id

    @property
    def needs_code(self) -> bool:
        """The shared link of a survey without an open link: a one-time code comes first."""
        return self.invitation_id is None and not self.open_link


_LINK_COLUMNS = (Survey.id, Survey.status, Survey.opens_on, Survey.closes_on, Survey.open_link,
                 Survey.questionnaire_version_id, Survey.opened_at, Tenant.id.label("tenant_id"), Tenant.slug,
                 Tenant.name, Tenant.primary_color, Tenant.accent_color, Tenant.logo_file)


@cache
def _shared_lookup():
    return (select(*_LINK_COLUMNS).join(Tenant, Tenant.id == Survey.tenant_id)
            .where(Survey.public_token == bindparam("token"), Survey.shared_link.is_(True), Tenant.active.is_(True)))


@cache
def _personal_lookup():
    return (select(*_LINK_COLUMNS, SurveyInvitation.id.label("invitation_id"), SurveyInvitation.responded,
                   SurveyInvitation.group_id)
            .select_from(SurveyInvitation).join(Survey, Survey.id == SurveyInvitation.survey_id)
            .join(Tenant, Tenant.id == Survey.tenant_id)
            .where(SurveyInvitation.token_hash == bindparam("digest"), Tenant.active.is_(True)))


# The links resolved before, by the token's digest (no token is kept), as last read.  A hint: for ``resolve``
# where to look, checked by the very read it saves; for a submit what it links to, checked by the statement that
# stores the answers (``remembered``).
_SEEN: dict[str, Link] = {}


def resolve(session: Session, token: str) -> Link | None:
    """The survey behind a shared or personal token, with the request bound to its tenant; None when the
    token is unknown (or the shared link is turned off, or the tenant is inactive).

    A token this process has seen names its tenant (a link never moves), so it is read with that tenant
    bound, like any tenant page: the transaction's scope is sealed once.  The hint is only where to look: the
    read itself finds the token in that tenant or nothing, and then the token is looked for across tenants
    with platform access.  There the shared link (printed codes, the hot path) is read first and a personal
    link second; a union of the two costs more than both, since every table a statement names is planned and
    checked by row-level security."""
    if not TOKEN.fullmatch(token or ""):
        return None
    digest = token_digest(token)
    row, seen = None, _SEEN.get(digest)
    if seen is not None:
        personal = seen.invitation_id is not None
        bind_tenant(session, seen.tenant_id)
        row = _read_link(session, token, digest, personal)
    if row is None:
        with platform_access(session):
            row, personal = _read_link(session, token, digest, False), False
            if row is None:
                row, personal = _read_link(session, token, digest, True), True
        if row is None:
            bind_tenant(session, None)
            return None
        if len(_SEEN) >= 20_000:
            _SEEN.clear()
    bind_tenant(session, row.tenant_id)
    link = _SEEN[digest] = Link(
        survey_id=row.id, tenant=TenantBrand(row.tenant_id, row.slug, row.name, row.primary_color, row.accent_color,
                                             row.logo_file),
        status=row.status, opens_on=row.opens_on, closes_on=row.closes_on, open_link=row.open_link,
        version_id=row.questionnaire_version_id, opened_at=row.opened_at,
        invitation_id=row.invitation_id if personal else None, responded=personal and row.responded,
        group_id=row.group_id if personal else None)
    return link


def remembered(session: Session, token: str) -> Link | None:
    """The link as this process last read it for ``token``, with the request bound to its tenant, for a submit:
    the statement that stores the answers checks again what the submit takes from it (``Link.recheck``); None
    for a token not read since its survey opened.  A link never moves to another survey or tenant, but the
    survey may have closed, the shared link been turned off or the tenant suspended since."""
    if not TOKEN.fullmatch(token or ""):
        return None
    digest = token_digest(token)
    link = _SEEN.get(digest)
    if link is None or link.opened_at is None:
        return None
    bind_tenant(session, link.tenant_id)
    return replace(link, recheck=storing.Remembered(token=token, digest=digest, version_id=link.version_id,
                                                    opened_at=link.opened_at, open_link=link.open_link))


def _read_link(session: Session, token: str, digest: str, personal: bool):
    if personal:
        return session.execute(_personal_lookup(), {"digest": digest}).first()
    return session.execute(_shared_lookup(), {"token": token}).first()


_CONTENT: dict[tuple[int, datetime], dict] = {}


def questionnaire(session: Session, link: Link) -> dict:
    """The questionnaire (import format) ``link``'s survey is answered with.  Read-only: it is shared.

    A version never changes once written (questionnaires.py) and a survey is pinned to its version when it
    opens, so (version, opening time) names the content for good: it is read once per process.  The opening
    time is in the key because SQLite uses a rolled-back id again."""
    key = (link.version_id, link.opened_at)
    content = _CONTENT.get(key) if link.opened_at is not None else None
    if content is None:
        content = session.scalar(select(QuestionnaireVersion.content).where(QuestionnaireVersion.id == link.version_id))
        if link.opened_at is not None:
            if len(_CONTENT) >= 128:  # some 50 kB each
                _CONTENT.clear()
            _CONTENT[key] = content
    return content


@dataclass(frozen=True)
class PageFacts:
    """What the answering pages show of the survey."""

    title: str
    intro: str
    closes_on: date
    company: str
    k: int
    groups: list[tuple[int, str]]  # (id, name), in order


def page_facts(session: Session, link: Link) -> PageFacts:
    """The survey's title, intro, closing date, company, k and groups for the answering pages, in two reads
    (a submit needs none of it)."""
    row = session.execute(
        select(Survey.title, Survey.intro, Survey.closes_on, Survey.min_group, ClientCompany.name.label("company"), Tenant)
        .join(CertificationYear, CertificationYear.id == Survey.year_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .join(Tenant, Tenant.id == Survey.tenant_id).where(Survey.id == link.survey_id)).one()
    groups = session.execute(select(SurveyGroup.id, SurveyGroup.name).where(SurveyGroup.survey_id == link.survey_id)
                             .order_by(SurveyGroup.position, SurveyGroup.id)).all()
    return PageFacts(title=row.title, intro=row.intro, closes_on=row.closes_on, company=row.company,
                     k=survey_k(row.Tenant, row), groups=[(g.id, g.name) for g in groups])


def state(survey, responded: bool, today: date) -> str:
    """What a survey (or a ``Link``: anything with status, opens_on and closes_on) leads to today."""
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


def check_code(session: Session, survey_id: int, raw: str | None) -> Code:
    """The unused one-time code ``raw`` of the survey; FieldErrors {"code"} when it is unknown or used."""
    code = distribution.normalize_code(raw)
    row = session.execute(select(SurveyInvitation.id, SurveyInvitation.group_id, SurveyInvitation.responded).where(
        SurveyInvitation.survey_id == survey_id, SurveyInvitation.kind == "code",
        SurveyInvitation.token_hash == distribution.code_digest(survey_id, code))).first() if code else None
    if row is None:
        raise FieldErrors({"code": UNKNOWN_CODE})
    if row.responded:
        raise FieldErrors({"code": USED_CODE})
    return Code(invitation_id=row.id, group_id=row.group_id, code=code)


def posted_group(session: Session, link: Link, raw: str | None) -> tuple[int | None, bool]:
    """(group id or None, whether a valid choice was made) for the posted group field.  A survey without
    groups takes any value as no group; the groups' ids are read unless the answer is "none"."""
    if raw == NO_GROUP:
        return None, True
    group_ids = session.scalars(select(SurveyGroup.id).where(SurveyGroup.survey_id == link.survey_id)).all()
    if not group_ids:
        return None, True
    return next(((i, True) for i in group_ids if raw == str(i)), (None, False))


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
    or a missing, unknown or used code on the shared link.  On a remembered link (``remembered``) it returns
    STORED, DUPLICATE or RECHECK, and stores nothing unless the link still holds.

    Idempotent: the invitation (personal link or code) is claimed by a conditional UPDATE and the form
    carries a one-time nonce under a unique constraint, both in the transaction that inserts the response.
    The survey row is share-locked, so a response is either in the report built at closing or refused.
    """
    current = state(link, False, today)
    if current != OPEN:
        return current if link.recheck is None else RECHECK
    answers = pages.parse_answers(form, questionnaire(session, link))
    nonce = form.get("nonce", "")
    if not answers or not NONCE.fullmatch(nonce or ""):
        return _refusal(session, link, form, answers, nonce, today)
    group_id = None
    if link.invitation_id is not None:
        claim = storing.Claim(invitation_id=link.invitation_id)
    elif link.needs_code:
        code = distribution.normalize_code(form.get("code"))
        if code is None:
            return _refusal(session, link, form, answers, nonce, today)
        claim = storing.Claim(code_digest=distribution.code_digest(link.survey_id, code))
    else:  # an open link: the group is the one chosen on the form
        claim = None
        group_id, group_ok = posted_group(session, link, form.get("group"))
        if not group_ok:
            return _refusal(session, link, form, answers, nonce, today)
    outcome = storing.store(session, link.survey_id, claim, group_id, answers, nonce, today, link.recheck)
    if outcome.stored:
        return STORED
    if not outcome.opened:  # closed since the link was read (or, remembered, no longer what it was)
        return _closed(outcome, today) if link.recheck is None else RECHECK
    if claim is None or outcome.claimed:
        return DUPLICATE  # this nonce is stored already
    return _refusal(session, link, form, answers, nonce, today)


def _refusal(session: Session, link: Link, form, answers: dict, nonce: str, today: date) -> str:
    """Why a submit stored nothing, told in the order a respondent should hear it: on the shared link
    DUPLICATE when this very form was stored (a double click), then FieldErrors for the code; FieldErrors for
    the rest of the form; then DUPLICATE or USED.  An invitation without a group in a survey with groups
    (never made since groups are fixed when a survey opens) is stored here, with the group chosen on the form.
    A remembered link is not explained: RECHECK."""
    if link.recheck is not None:
        return RECHECK
    if link.invitation_id is None and link.open_link:
        check_submission(answers, posted_group(session, link, form.get("group"))[1], nonce)
        return DUPLICATE
    if link.invitation_id is None:
        if NONCE.fullmatch(nonce or "") and _stored(session, nonce):
            return DUPLICATE
        code = check_code(session, link.survey_id, form.get("code"))
        claim, group_id = storing.Claim(code_digest=distribution.code_digest(link.survey_id, code.code)), code.group_id
    else:
        claim, group_id = storing.Claim(invitation_id=link.invitation_id), link.group_id
    if group_id is not None:
        check_submission(answers, True, nonce)
        return DUPLICATE if link.invitation_id is not None and _stored(session, nonce) else USED
    group_id, group_ok = posted_group(session, link, form.get("group"))
    check_submission(answers, group_ok, nonce)
    outcome = storing.store(session, link.survey_id, replace(claim, fallback_group=group_id, chosen=True), None, answers,
                            nonce, today)
    if outcome.stored or not outcome.opened:
        return STORED if outcome.stored else _closed(outcome, today)
    return DUPLICATE if outcome.claimed or _stored(session, nonce) else USED


def _closed(outcome: storing.Outcome, today: date) -> str:
    """CLOSED or NOT_YET for a survey that took no answer.  Its row may have been read before the closing
    that the statement waited for, and then still says open."""
    current = state(outcome.survey, False, today) if outcome.survey is not None else NOT_YET
    return current if current != OPEN else CLOSED


def _stored(session: Session, nonce: str) -> bool:
    return session.scalar(select(SurveyResponse.id).where(SurveyResponse.submit_nonce == nonce)) is not None
