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
writes in as few statements as it can: the link in one read (``resolve``), and on PostgreSQL the survey's
lock, the claim and the insert in one statement (``_store_in_one``).  Everything that is not a plain
success (an incomplete form, a used code, a double click) is explained afterwards by ``_refusal``.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Boolean, Date, Integer, Row, String, bindparam, exists, func, literal, null, select, union_all, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from saas.auth import token_digest
from saas.schemas import FieldErrors
from saas.surveys import pages
from saas.surveys.services import distribution
from saas.surveys.models import QuestionnaireVersion, Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
NONCE = re.compile(r"[A-Za-z0-9_-]{24,64}")
NO_GROUP = "none"  # the respondent's "I'd rather not say"

# What a link leads to
OPEN, NOT_YET, CLOSED, USED = "open", "not_yet", "closed", "used"
# What a submit did
STORED, DUPLICATE = "stored", "duplicate"

UNKNOWN_CODE = "Ukjent kode. Skriv koden slik den står på lappen (10 tegn)."
USED_CODE = "Denne koden er allerede brukt. Hver kode kan gi ett svar."


@dataclass(frozen=True)
class TenantBrand:
    """What the public pages show of the survey's tenant (its name, colours and logo in base.html)."""

    id: int
    slug: str
    name: str
    primary_color: str
    accent_color: str
    logo_file: str | None


@dataclass(frozen=True)
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


# token -> (tenant id, personal link?) of the links resolved before: a hint, checked by the very read it saves.
_SEEN: dict[str, tuple[int, bool]] = {}


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
    row, seen = None, _SEEN.get(token)
    if seen is not None:
        bind_tenant(session, seen[0])
        row = _read_link(session, token, personal=seen[1])
    if row is None:
        with platform_access(session):
            row = _read_link(session, token, personal=False) or _read_link(session, token, personal=True)
        if row is None:
            bind_tenant(session, None)
            return None
        if len(_SEEN) >= 20_000:
            _SEEN.clear()
        _SEEN[token] = (row.tenant_id, hasattr(row, "invitation_id"))
    bind_tenant(session, row.tenant_id)
    personal = hasattr(row, "invitation_id")
    return Link(survey_id=row.id, tenant=TenantBrand(row.tenant_id, row.slug, row.name, row.primary_color,
                                                     row.accent_color, row.logo_file),
                status=row.status, opens_on=row.opens_on, closes_on=row.closes_on, open_link=row.open_link,
                version_id=row.questionnaire_version_id, opened_at=row.opened_at,
                invitation_id=row.invitation_id if personal else None, responded=personal and row.responded,
                group_id=row.group_id if personal else None)


def _read_link(session: Session, token: str, personal: bool):
    if personal:
        return session.execute(_personal_lookup(), {"digest": token_digest(token)}).first()
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
            if len(_CONTENT) >= 256:
                _CONTENT.clear()
            _CONTENT[key] = content
    return content


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


def group_name(survey: Survey, group_id: int | None) -> str | None:
    return next((g.name for g in survey.groups if g.id == group_id), None)


def choose_group(survey: Survey, raw: str | None) -> tuple[int | None, bool]:
    """(group id or None, whether a valid choice was made) for the posted group field."""
    return _choice([g.id for g in survey.groups], raw)


def _choice(group_ids: list[int], raw: str | None) -> tuple[int | None, bool]:
    if not group_ids or raw == NO_GROUP:
        return None, True
    return next(((i, True) for i in group_ids if raw == str(i)), (None, False))


def _posted_group(session: Session, link: Link, raw: str | None) -> tuple[int | None, bool]:
    """``choose_group`` for the link's survey, reading its groups only when the answer depends on them."""
    if raw == NO_GROUP:
        return None, True
    return _choice(session.scalars(select(SurveyGroup.id).where(SurveyGroup.survey_id == link.survey_id)).all(), raw)


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


@dataclass(frozen=True)
class _Claim:
    """The invitation a submit uses up: a personal link's (by id) or a code's (by digest).  An invitation
    without a group is claimed only in a survey without groups, or once the form's group has been checked
    (``chosen``): that group, ``fallback_group``, is then the answer's."""

    invitation_id: int | None = None
    code_digest: str | None = None
    fallback_group: int | None = None
    chosen: bool = False


def submit(session: Session, link: Link, form, today: date) -> str:
    """Store the posted answers once; returns STORED, DUPLICATE (this form was already stored), USED (the
    personal link or code was already used), CLOSED or NOT_YET.  Raises FieldErrors for an incomplete form
    or a missing, unknown or used code on the shared link.

    Idempotent: the invitation (personal link or code) is claimed by a conditional UPDATE and the form
    carries a one-time nonce under a unique constraint, both in the transaction that inserts the response.
    The survey row is share-locked, so a response is either in the report built at closing or refused.
    """
    current = state(link, False, today)
    if current != OPEN:
        return current
    answers = pages.parse_answers(form, questionnaire(session, link))
    nonce = form.get("nonce", "")
    if not answers or not NONCE.fullmatch(nonce or ""):
        return _refusal(session, link, form, answers, nonce, today)
    group_id = None
    if link.invitation_id is not None:
        claim = _Claim(invitation_id=link.invitation_id)
    elif link.needs_code:
        code = distribution.normalize_code(form.get("code"))
        if code is None:
            return _refusal(session, link, form, answers, nonce, today)
        claim = _Claim(code_digest=distribution.code_digest(link.survey_id, code))
    else:  # an open link: the group is the one chosen on the form
        claim = None
        group_id, group_ok = _posted_group(session, link, form.get("group"))
        if not group_ok:
            return _refusal(session, link, form, answers, nonce, today)
    outcome = _store(session, link, claim, group_id, answers, nonce, today)
    if outcome.stored:
        return STORED
    if outcome.state != OPEN:  # closed since the link was read
        return outcome.state
    if claim is None or outcome.claimed:
        return DUPLICATE  # this nonce is stored already
    return _refusal(session, link, form, answers, nonce, today)


def _refusal(session: Session, link: Link, form, answers: dict, nonce: str, today: date) -> str:
    """Why a submit stored nothing, told in the order a respondent should hear it: on the shared link
    DUPLICATE when this very form was stored (a double click), then FieldErrors for the code; FieldErrors for
    the rest of the form; then DUPLICATE or USED.  An invitation without a group in a survey with groups
    (never made since groups are fixed when a survey opens) is stored here, with the group chosen on the form."""
    if link.invitation_id is None and link.open_link:
        check_submission(answers, _posted_group(session, link, form.get("group"))[1], nonce)
        return DUPLICATE
    if link.invitation_id is None:
        if NONCE.fullmatch(nonce or "") and _stored(session, nonce):
            return DUPLICATE
        code = check_code(session, link.survey_id, form.get("code"))
        claim, group_id = _Claim(code_digest=distribution.code_digest(link.survey_id, code.code)), code.group_id
    else:
        claim, group_id = _Claim(invitation_id=link.invitation_id), link.group_id
    if group_id is not None:
        check_submission(answers, True, nonce)
        return DUPLICATE if link.invitation_id is not None and _stored(session, nonce) else USED
    group_id, group_ok = _posted_group(session, link, form.get("group"))
    check_submission(answers, group_ok, nonce)
    outcome = _store(session, link, replace(claim, fallback_group=group_id, chosen=True), None, answers, nonce, today)
    if outcome.stored or outcome.state != OPEN:
        return STORED if outcome.stored else outcome.state
    return DUPLICATE if outcome.claimed or _stored(session, nonce) else USED


def _stored(session: Session, nonce: str) -> bool:
    return session.scalar(select(SurveyResponse.id).where(SurveyResponse.submit_nonce == nonce)) is not None


# -- storing -------------------------------------------------------------------------------------------------
# The statements are built once, with bound parameters: building a statement of this size costs more Python
# than sending it.  No parameter is named like a column: an UPDATE takes such a parameter as a column to SET.

class _Outcome(NamedTuple):
    state: str  # the survey's, when the response was stored or refused (OPEN, CLOSED or NOT_YET)
    claimed: bool  # the invitation was used up now
    stored: bool  # the response was inserted


def _store(session: Session, link: Link, claim: _Claim | None, group_id: int | None, answers: dict, nonce: str,
           today: date) -> _Outcome:
    """Claim the invitation and insert the response.  Nothing is claimed for a nonce already stored, and
    nothing is inserted when the survey is no longer open or the claim fails."""
    params = dict(survey=link.survey_id, day=today, form_nonce=nonce, form_answers=answers, group=group_id)
    kind = None
    if claim is not None:
        kind = "personal" if claim.invitation_id is not None else "code"
        params.update(invitation=claim.invitation_id, code_digest=claim.code_digest, group=claim.fallback_group,
                      group_chosen=claim.chosen)
    if session.get_bind().dialect.name != "postgresql":
        return _store_in_steps(session, kind, params, today)
    row = session.execute(_store_in_one(kind), params).first()
    if row is None:  # the survey is gone (a draft deleted)
        return _Outcome(NOT_YET, False, False)
    return _Outcome(state(row, False, today), bool(row.claimed), bool(row.stored))


@cache
def _claiming(kind: str, survey=None):
    """The UPDATE that uses the invitation up, only when it is unused, this form is not stored yet, and the
    invitation brings its group (or the survey has none, or the form's group was checked: ``group_chosen``).
    ``survey`` is the locked survey (``_store_in_one``), else the survey is the parameter."""
    which = (SurveyInvitation.id == bindparam("invitation") if kind == "personal" else
             (SurveyInvitation.kind == "code") & (SurveyInvitation.token_hash == bindparam("code_digest")))
    conditions = [which, SurveyInvitation.responded.is_(False),
                  SurveyInvitation.group_id.isnot(None) | bindparam("group_chosen", type_=Boolean)
                  | ~exists().where(SurveyGroup.survey_id == SurveyInvitation.survey_id),
                  ~exists().where(SurveyResponse.submit_nonce == bindparam("form_nonce", type_=String))]
    if survey is None:
        conditions.append(SurveyInvitation.survey_id == bindparam("survey"))
    else:
        conditions += [SurveyInvitation.survey_id == survey.c.id, _is_open(survey.c)]
    return update(SurveyInvitation).where(*conditions).values(responded=True).execution_options(synchronize_session=False)


def _is_open(survey):
    day = bindparam("day", type_=Date)
    return (survey.status == "open") & (survey.opens_on <= day) & (survey.closes_on >= day)


@cache
def _store_in_one(kind: str | None):
    """PostgreSQL: the survey's share lock (so closing waits for this answer or refuses it), the claim and
    the insert in ONE statement, which answers with the survey's state and whether the invitation was
    claimed and the response stored.  Under read committed the lock waits for a closing in progress and
    then reads the closed survey; the claim waits for a concurrent claim of the same invitation and then
    finds it used; the insert waits for a concurrent insert of the same nonce and then does nothing.

    A SELECT over data-modifying CTEs: the tenancy adds the bound tenant to every table it reads, row-level
    security checks every row it writes, and the response takes its tenant from the row it was claimed from
    (or the locked survey), never from the request."""
    group = bindparam("group", type_=Integer)
    locked = (select(Survey.id, Survey.tenant_id, Survey.status, Survey.opens_on, Survey.closes_on)
              .where(Survey.id == bindparam("survey")).with_for_update(read=True).cte("locked_survey"))
    if kind is not None:
        claimed = (_claiming(kind, locked)
                   .returning(SurveyInvitation.tenant_id, SurveyInvitation.survey_id,
                              func.coalesce(SurveyInvitation.group_id, group).label("group_id"))
                   .cte("claimed"))
        row = select(claimed.c.tenant_id, claimed.c.survey_id, claimed.c.group_id)
    else:
        row = select(locked.c.tenant_id, locked.c.id, group).where(_is_open(locked.c))
    responses = SurveyResponse.__table__
    stored = (postgresql.insert(responses)
              .from_select(["tenant_id", "survey_id", "group_id", "submitted_on", "answers", "submit_nonce"],
                           row.add_columns(bindparam("day", type_=Date),
                                           bindparam("form_answers", type_=responses.c.answers.type),
                                           bindparam("form_nonce", type_=String)))
              .on_conflict_do_nothing(index_elements=[responses.c.submit_nonce])
              .returning(responses.c.id).cte("stored"))
    counts = [select(func.count()).select_from(cte).scalar_subquery() for cte in ((claimed,) if kind else ()) + (stored,)]
    # The locked row read as the entity it is: the tenancy then knows what the statement touches without
    # walking all of it, and the survey is not named a second time (each table costs its RLS checks).
    survey = aliased(Survey, locked)
    return select(survey.status, survey.opens_on, survey.closes_on,
                  (counts[0] if kind else literal(0)).label("claimed"), counts[-1].label("stored"))


def _store_in_steps(session: Session, kind: str | None, params: dict, today: date) -> _Outcome:
    """Other databases (SQLite, whose writers hold the database's write lock from BEGIN): the same in steps."""
    survey = session.execute(select(Survey.status, Survey.opens_on, Survey.closes_on)
                             .where(Survey.id == params["survey"])).first()
    current = state(survey, False, today) if survey is not None else NOT_YET
    if current != OPEN:
        return _Outcome(current, False, False)
    group_id = params["group"]
    if kind is not None:
        claimed = session.execute(_claiming(kind).returning(SurveyInvitation.group_id), params).first()
        if claimed is None:
            return _Outcome(OPEN, False, False)
        group_id = claimed.group_id if claimed.group_id is not None else group_id
    try:
        with session.begin_nested():
            session.add(SurveyResponse(survey_id=params["survey"], group_id=group_id, submitted_on=today,
                                       answers=params["form_answers"], submit_nonce=params["form_nonce"]))
            session.flush()
    except IntegrityError:
        return _Outcome(OPEN, kind is not None, False)
    return _Outcome(OPEN, kind is not None, True)
