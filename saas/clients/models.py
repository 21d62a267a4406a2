"""Client companies of a provider, their sub-units and contact persons."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.db import Base, utcnow
from saas.tenancy import TenantOwned
from saas.tenants.models import User


class ClientCompany(TenantOwned, Base):
    __tablename__ = "client_companies"
    __table_args__ = (UniqueConstraint("tenant_id", "org_number"),)
    __url_param__ = "company_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    org_number: Mapped[str] = mapped_column(String(9))
    org_form: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(4), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postal_address: Mapped[str] = mapped_column(String(300), default="")
    industry_code: Mapped[str] = mapped_column(String(10), default="")
    employee_count: Mapped[int | None] = mapped_column(Integer)
    works_off_premises: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    follow_up_from: Mapped[date | None]
    follow_up_to: Mapped[date | None]
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultant: Mapped[User | None] = relationship()
    sub_units: Mapped[list["SubUnit"]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="SubUnit.name"
    )
    contacts: Mapped[list["ContactPerson"]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="ContactPerson.name"
    )

    def follow_up_active(self, on: date) -> bool:
        if not self.follow_up_agreement:
            return False
        return (self.follow_up_from is None or self.follow_up_from <= on) and (
            self.follow_up_to is None or on <= self.follow_up_to
        )


class SubUnit(TenantOwned, Base):
    """An underavdeling: shown on the certificate."""

    __tablename__ = "sub_units"
    __url_param__ = "sub_unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")

    company: Mapped[ClientCompany] = relationship(back_populates="sub_units")


class ContactPerson(TenantOwned, Base):
    """A person in the client company.  With ``user_id`` set, the person logs in as a client contact."""

    __tablename__ = "contact_persons"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)
    __url_param__ = "contact_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(100), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    company: Mapped[ClientCompany] = relationship(back_populates="contacts")
    user: Mapped[User | None] = relationship()
