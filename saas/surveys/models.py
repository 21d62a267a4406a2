"""Psychosocial surveys: questionnaires (versioned), surveys, their groups, invitations and responses.

Anonymity is designed into the tables (DOMAIN.md, "Psychosocial survey"):

* ``SurveyInvitation`` knows an address and whether it has responded (a boolean, no time), never which
  response is its own.  Its token is stored only as a SHA-256 digest.
* ``SurveyResponse`` holds the answers with no invitation id, no user, no IP address and no time of day:
  only the calendar date it arrived (``submitted_on``), too coarse to line a response up with the moment
  an invitation flipped to "responded".  At closing every invitation is rewritten in one statement: the
  address is erased and all are marked answered, so nothing that could be lined up outlives the answering
  (not even the database's own row versions written by the submit's transaction).
* Someone watching the live database as answers arrive could still line them up with invitations; no
  table design prevents that, which is why results (and even counts below k) are shown only after closing.
* Raw answers are deleted ``raw_answer_retention_days`` after the report is final; the k-suppressed
  report (``Survey.report``) stays and is what every page, PDF, export and API answer is made from.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.hms.models import CertificationYear
from saas.tenancy import TenantOwned

__all__ = ["Questionnaire", "QuestionnaireVersion", "Survey", "SurveyGroup", "SurveyInvitation", "SurveyResponse"]


class Questionnaire(TenantOwned, Base):
    """A questionnaire of the tenant.  The built-in one is seeded per tenant on first need, read-only."""

    __tablename__ = "survey_questionnaires"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)
    __url_param__ = "questionnaire_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(1000))
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list["QuestionnaireVersion"]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )


class QuestionnaireVersion(TenantOwned, Base):
    """One immutable version of a questionnaire, in the import format (questionnaire_format.py).

    Editing makes a new version; a survey points at the version it was sent with, so its questions and
    its report never change under it.
    """

    __tablename__ = "survey_questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("survey_questionnaires.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))  # the format's own "version" text
    content: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")


class Survey(TenantOwned, Base):
    """An anonymous survey of one client company's certification year."""

    __tablename__ = "surveys"
    __url_param__ = "survey_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("certification_years.id", ondelete="RESTRICT"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("survey_questionnaire_versions.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    min_group: Mapped[int | None] = mapped_column(Integer)  # k chosen for this survey; effective_k() applies
    shared_link: Mapped[bool] = mapped_column(Boolean, default=True)
    # With an open link the shared link takes answers without a one-time code: anyone can answer any number
    # of times, so the results say so and a group is shown only while its answers fit its headcount.
    open_link: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The shared link is meant to be printed on posters, so it is kept readable; personal tokens are not.
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | open | closed
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    invited_count: Mapped[int] = mapped_column(Integer, default=0)  # personal invitations ever sent
    respondent_count: Mapped[int | None] = mapped_column(Integer)  # set at closing
    # The k-suppressed report built once at closing: {"built_on", "k", "reference", "data"}
    report: Mapped[dict | None] = mapped_column(JSON)
    report_final_on: Mapped[date | None]
    raw_deleted_on: Mapped[date | None]
    pdf_key: Mapped[str | None] = mapped_column(String(80))
    pdf_built_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    year: Mapped[CertificationYear] = relationship()
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    groups: Mapped[list["SurveyGroup"]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", order_by="SurveyGroup.position"
    )


class SurveyGroup(TenantOwned, Base):
    """A department respondents choose.  Groups partition the respondents: one grouping per survey."""

    __tablename__ = "survey_groups"
    __table_args__ = (UniqueConstraint("survey_id", "name"),)
    __url_param__ = "survey_group_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    employee_count: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    survey: Mapped[Survey] = relationship(back_populates="groups")


class SurveyInvitation(TenantOwned, Base):
    """One right to answer once: a personal link sent to one address (``kind`` "email"), or a one-time code
    printed on a sheet for the shared link (``kind`` "code", no address).  ``responded`` is all it knows
    about answering.  In a survey with groups it belongs to one group, and the answer it gives is counted
    in that group: so no group can have more answers than invitations, nor more invitations than people."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("survey_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="email", server_default="email")  # email | code
    group_id: Mapped[int | None] = mapped_column(ForeignKey("survey_groups.id", ondelete="RESTRICT"), index=True)
    batch: Mapped[int | None] = mapped_column(Integer)  # codes: the printed sheet they are on
    email: Mapped[str | None] = mapped_column(String(254))  # erased at closing
    salt: Mapped[str] = mapped_column(String(32))  # the token is derived from it (see distribution.py)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_on: Mapped[date]
    reminded_on: Mapped[date | None]
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyResponse(TenantOwned, Base):
    """One respondent's answers ({item key: option position}).

    Deliberately without an invitation id, a user, an IP address or a timestamp: ``submitted_on`` is a
    date.  ``submit_nonce`` is a random value put into the answering form when it was first shown; it is
    unique so that a double submit stores one response, and it is linked to nothing.
    """

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("survey_groups.id", ondelete="RESTRICT"), index=True)
    submitted_on: Mapped[date]
    answers: Mapped[dict] = mapped_column(JSON)
    submit_nonce: Mapped[str] = mapped_column(String(64), unique=True)
