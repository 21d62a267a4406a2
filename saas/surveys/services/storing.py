"""Storing one anonymous response: the invitation claimed and the answers inserted (answering.submit).

A whole workforce may answer in the same hour, so on PostgreSQL the survey's share lock, the claim and the
INSERT are ONE statement, built once with bound parameters (building a statement of this size costs more
Python than sending it).  Other databases do the same in steps: SQLite's writers hold the database's write
lock from BEGIN, so nothing can come between them.

No parameter is named like a column: an UPDATE takes such a parameter as one more column to SET.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Boolean, Date, Integer, Row, String, bindparam, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from saas.surveys.models import Survey, SurveyGroup, SurveyInvitation, SurveyResponse
from saas.tenancy import run_built
from saas.tenants.models import Tenant


@dataclass(frozen=True)
class Claim:
    """The invitation a submit uses up: a personal link's (by id) or a code's (by digest).  An invitation
    without a group is claimed only in a survey without groups, or once the form's group has been checked
    (``chosen``): that group, ``fallback_group``, is then the answer's."""

    invitation_id: int | None = None
    code_digest: str | None = None
    fallback_group: int | None = None
    chosen: bool = False


@dataclass(frozen=True)
class Remembered:
    """What a submit took from the link as this process read it before (``answering.remembered``), for the
    statement to check again: the survey is still reached by ``token`` (the shared link; a personal link by the
    invitation with the token's ``digest``), in an active tenant, answered with the questionnaire version pinned at
    ``opened_at``, with or without an open link."""

    token: str
    digest: str
    version_id: int
    opened_at: datetime
    open_link: bool


class Outcome(NamedTuple):
    opened: bool  # the survey was taking answers
    claimed: bool  # the invitation was used up now
    stored: bool  # the response was inserted
    # The survey's status, opens_on and closes_on; None when it is gone (a deleted draft) or the remembered link
    # no longer leads to it
    survey: Row | None


def store(session: Session, survey_id: int, claim: Claim | None, group_id: int | None, answers: dict, nonce: str,
          today: date, remembered: Remembered | None = None) -> Outcome:
    """Claim the invitation (none on an open link, whose answers count in ``group_id``) and insert the
    response.  Nothing is claimed for a nonce already stored, and nothing is inserted when the survey is not
    taking answers or the claim fails, nor when the link is no longer what ``remembered`` says (the outcome's
    ``survey`` is then None)."""
    params = dict(survey=survey_id, day=today, form_nonce=nonce, form_answers=answers, group=group_id)
    kind = None
    if claim is not None:
        kind = "personal" if claim.invitation_id is not None else "code"
        params.update(invitation=claim.invitation_id, code_digest=claim.code_digest, group=claim.fallback_group,
                      group_chosen=claim.chosen)
    if remembered is not None:
        params.update(link_token=remembered.token, link_digest=remembered.digest, link_version=remembered.version_id,
                      link_opened_at=remembered.opened_at, link_open=remembered.open_link)
    checked = remembered is not None
    if session.get_bind().dialect.name != "postgresql":
        return _store_in_steps(session, kind, checked, params, today)
    row = run_built(session, _store_in_one(kind, checked), params).first()
    if row is None:
        return Outcome(False, False, False, None)
    return Outcome(_takes_answers(row, today), bool(row.claimed), bool(row.stored), row)


def _takes_answers(survey, today: date) -> bool:
    return survey.status == "open" and survey.opens_on <= today <= survey.closes_on


def _taking_answers(survey):
    """``_takes_answers`` in SQL, for the survey's columns ``survey`` and the parameter ``day``."""
    day = bindparam("day", type_=Date)
    return (survey.status == "open") & (survey.opens_on <= day) & (survey.closes_on >= day)


def _link_holds(kind: str | None):
    """The conditions under which a remembered link still leads where it did (``Remembered``), on the survey's
    columns and the parameters ``link_*``."""
    conditions = [Survey.questionnaire_version_id == bindparam("link_version", type_=Integer),
                  Survey.opened_at == bindparam("link_opened_at", type_=Survey.__table__.c.opened_at.type),
                  Survey.open_link == bindparam("link_open", type_=Boolean),
                  exists().where(Tenant.id == Survey.tenant_id, Tenant.active.is_(True))]
    if kind != "personal":
        conditions += [Survey.public_token == bindparam("link_token", type_=String), Survey.shared_link.is_(True)]
    return conditions


@cache
def _claiming(kind: str, locked=None, checked: bool = False):
    """The UPDATE that uses the invitation up, only when it is unused, this form is not stored yet, and the
    invitation brings its group (or the survey has none, or the form's group was checked: ``group_chosen``).
    ``locked`` is the locked survey of ``_store_in_one``; without it the survey is the parameter.  ``checked``:
    a personal link's invitation is also the one with the remembered token's digest."""
    which = (SurveyInvitation.id == bindparam("invitation") if kind == "personal" else
             (SurveyInvitation.kind == "code") & (SurveyInvitation.token_hash == bindparam("code_digest")))
    if checked and kind == "personal":
        which = which & (SurveyInvitation.token_hash == bindparam("link_digest", type_=String))
    conditions = [which, SurveyInvitation.responded.is_(False),
                  SurveyInvitation.group_id.isnot(None) | bindparam("group_chosen", type_=Boolean)
                  | ~exists().where(SurveyGroup.survey_id == SurveyInvitation.survey_id),
                  ~exists().where(SurveyResponse.submit_nonce == bindparam("form_nonce", type_=String))]
    if locked is None:
        conditions.append(SurveyInvitation.survey_id == bindparam("survey"))
    else:
        conditions += [SurveyInvitation.survey_id == locked.c.id, _taking_answers(locked.c)]
    return update(SurveyInvitation).where(*conditions).values(responded=True).execution_options(synchronize_session=False)


@cache
def _store_in_one(kind: str | None, checked: bool = False):
    """PostgreSQL: the survey's share lock (so closing waits for this answer or refuses it), the claim and
    the insert in ONE statement, which answers with the survey's state and whether the invitation was
    claimed and the response stored.  Under read committed the lock waits for a closing in progress and
    then reads the closed survey; the claim waits for a concurrent claim of the same invitation and then
    finds it used; the insert waits for a concurrent insert of the same nonce and then does nothing.

    A SELECT over data-modifying CTEs: the tenancy adds the bound tenant to every table it reads, row-level
    security checks every row it writes, and the response takes its tenant from the row it was claimed from
    (or the locked survey), never from the request.

    ``checked``: the link was remembered, and the survey is locked only when it still holds (``_link_holds``);
    else the statement answers no row and does nothing."""
    group = bindparam("group", type_=Integer)
    locked = (select(Survey.id, Survey.tenant_id, Survey.status, Survey.opens_on, Survey.closes_on)
              .where(Survey.id == bindparam("survey"), *(_link_holds(kind) if checked else ()))
              .with_for_update(read=True).cte("locked_survey"))
    if kind is not None:
        claimed = (_claiming(kind, locked, checked)
                   .returning(SurveyInvitation.tenant_id, SurveyInvitation.survey_id,
                              func.coalesce(SurveyInvitation.group_id, group).label("group_id"))
                   .cte("claimed"))
        row = select(claimed.c.tenant_id, claimed.c.survey_id, claimed.c.group_id)
    else:
        row = select(locked.c.tenant_id, locked.c.id, group).where(_taking_answers(locked.c))
    responses = SurveyResponse.__table__
    stored = (postgresql.insert(responses)
              .from_select(["tenant_id", "survey_id", "group_id", "submitted_on", "answers", "submit_nonce"],
                           row.add_columns(bindparam("day", type_=Date),
                                           bindparam("form_answers", type_=responses.c.answers.type),
                                           bindparam("form_nonce", type_=String)))
              .on_conflict_do_nothing(index_elements=[responses.c.submit_nonce])
              .returning(responses.c.id).cte("stored"))
    # The locked row read as the entity it is: the tenancy then knows what the statement touches without
    # walking all of it, and the table is not named a second time (each name costs its row-level checks).
    survey = aliased(Survey, locked)
    claims = select(func.count()).select_from(claimed).scalar_subquery() if kind is not None else literal(0)
    return select(survey.status, survey.opens_on, survey.closes_on, claims.label("claimed"),
                  select(func.count()).select_from(stored).scalar_subquery().label("stored"))


def _store_in_steps(session: Session, kind: str | None, checked: bool, params: dict, today: date) -> Outcome:
    survey = session.execute(select(Survey.status, Survey.opens_on, Survey.closes_on)
                             .where(Survey.id == bindparam("survey"), *(_link_holds(kind) if checked else ())),
                             params).first()
    if survey is None or not _takes_answers(survey, today):
        return Outcome(False, False, False, survey)
    group_id = params["group"]
    if kind is not None:
        claimed = session.execute(_claiming(kind, checked=checked).returning(SurveyInvitation.group_id), params).first()
        if claimed is None:
            return Outcome(True, False, False, survey)
        group_id = claimed.group_id if claimed.group_id is not None else group_id
    try:
        with session.begin_nested():
            session.add(SurveyResponse(survey_id=params["survey"], group_id=group_id, submitted_on=today,
                                       answers=params["form_answers"], submit_nonce=params["form_nonce"]))
            session.flush()
    except IntegrityError:
        return Outcome(True, kind is not None, False, survey)
    return Outcome(True, kind is not None, True, survey)
