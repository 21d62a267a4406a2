"""The competence catalogue of a person scheme, enrolments, courses, practice logs and tests."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.persons.models.people import Person
from saas.tenancy import TenantOwned


class CompetenceKind(str, enum.Enum):
    EQUIPMENT = "equipment"        # a work-equipment type of forskrift om utførelse av arbeid § 10-3
    VEHICLE = "vehicle"            # a vehicle type (type training)
    LINE = "line"                  # infrastructure competence on a line, category A/B/C
    LANGUAGE = "language"          # a language test
    OTHER = "other"


class PersonCompetence(TenantOwned, Base):
    """One entry of a person scheme's competence catalogue (e.g. "T1 Truck" or "Type 73" or a line)."""

    __tablename__ = "person_competences"
    __table_args__ = (UniqueConstraint("scheme_id", "code"),
                      CheckConstraint("line_category IN ('', 'A', 'B', 'C')", name="line_category"))
    __url_param__ = "person_competence_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=CompetenceKind.EQUIPMENT.value)
    line_category: Mapped[str] = mapped_column(String(1), default="")
    seasonal: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class EnrolmentState(str, enum.Enum):
    TRAINING = "training"
    APPROVED = "approved"      # the competence is in the register
    REFUSED = "refused"        # the approver refused; a leader is informed
    WITHDRAWN = "withdrawn"


class Enrolment(TenantOwned, Base):
    """A candidate working towards one competence of a scheme, in a candidate category of its matrix."""

    __tablename__ = "person_enrolments"
    __url_param__ = "enrolment_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("person_competences.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12), default=EnrolmentState.TRAINING.value)
    documented: Mapped[list] = mapped_column(JSON, default=list)  # activities met by documented competence
    done: Mapped[list] = mapped_column(JSON, default=list)        # activities completed (courses, approvals)
    theory_passed_on: Mapped[date | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_on: Mapped[date | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    competence: Mapped[PersonCompetence] = relationship()


class Course(TenantOwned, Base):
    """A course (type training, internal training, infrastructure, repetition ...) with its instructor."""

    __tablename__ = "person_courses"
    __table_args__ = (CheckConstraint("hours >= 0", name="hours"),)
    __url_param__ = "course_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="RESTRICT"), index=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("person_competences.id", ondelete="RESTRICT"), index=True)
    activity: Mapped[str] = mapped_column(String(30))  # one of requirements.ACTIVITIES or "repetition"
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hours: Mapped[float] = mapped_column(Float)
    instructor_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"), index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    competence: Mapped[PersonCompetence] = relationship()
    instructor: Mapped[Person] = relationship()
    participants: Mapped[list["CourseParticipant"]] = relationship(order_by="CourseParticipant.id",
                                                                   cascade="all, delete-orphan")


class CourseParticipant(TenantOwned, Base):
    __tablename__ = "person_course_participants"
    __table_args__ = (UniqueConstraint("course_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("person_courses.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("person_enrolments.id", ondelete="RESTRICT"), index=True)

    enrolment: Mapped[Enrolment] = relationship()


class PracticeEntry(TenantOwned, Base):
    """One day of driving practice: hours and km as logged (the daily cap is applied when counting)."""

    __tablename__ = "person_practice_entries"
    __table_args__ = (CheckConstraint("hours >= 0 AND hours <= 24", name="hours"),
                      CheckConstraint("km >= 0", name="km"))
    __url_param__ = "practice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("person_enrolments.id", ondelete="RESTRICT"), index=True)
    phase: Mapped[int] = mapped_column(Integer, default=1)  # øvelseskjøring 1 or 2
    day: Mapped[date]
    hours: Mapped[float] = mapped_column(Float)
    km: Mapped[int] = mapped_column(Integer, default=0)
    supervisor: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TestKind(str, enum.Enum):
    THEORY = "theory"
    PRACTICAL = "practical"
    PERIODIC = "periodic"


class TestAttempt(TenantOwned, Base):
    """A theory or practical test with its appointed examiner (sensor), checklist and result."""

    __tablename__ = "person_tests"
    __url_param__ = "test_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("person_enrolments.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    taken_on: Mapped[date]
    examiner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    checklist: Mapped[list] = mapped_column(JSON, default=list)  # [{"item": str, "ok": bool}]
    passed: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
