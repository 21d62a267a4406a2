"""Client companies: listing, creating, editing, archiving; who may see which company."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from saas.audit.services import record
from saas.clients.models import ClientCompany, ContactPerson, SubUnit
from saas.db import contains, contains_pattern, utcnow
from saas.norway import org_number_searched
from saas.pagination import Page, page_statements, run_page
from saas.schemas import FieldErrors
from saas.tenants.models import Role, User, UserRole

SORTS = {
    "name": ClientCompany.name,
    "org_number": ClientCompany.org_number,
    "city": ClientCompany.city,
    "employees": ClientCompany.employee_count,
    "created": ClientCompany.created_at,
}
PAGE_SIZE = 25


class NotFound(LookupError):
    """The object does not exist for this user (another tenant's, or not one of a client's companies)."""


def visible_companies(user: User) -> Select:
    """Companies the user may see: all of the tenant's for staff, only linked ones for client contacts."""
    return _visible_companies(user.is_staff, user.id)


def visible_company_ids(staff: bool, user_id) -> Select:
    """The ids of the companies ``visible_companies`` gives a staff member (``staff``) or the client contact
    ``user_id``, for an ``in_``; ``user_id`` may be a ``bindparam`` (a statement built once, bound per call)."""
    return _visible_companies(staff, user_id).with_only_columns(ClientCompany.id)


def _visible_companies(staff: bool, user_id) -> Select:
    query = select(ClientCompany)
    if not staff:
        linked = select(ContactPerson.company_id).where(ContactPerson.user_id == user_id)
        query = query.where(ClientCompany.id.in_(linked))
    return query


def get_company(session: Session, user: User, company_id: int, *, with_details: bool = False) -> ClientCompany:
    """Return the company or raise NotFound; ``with_details``: with its consultant and contacts (the same
    statement) and its sub-units (one more)."""
    company = session.scalars(_company_statement(user.is_staff, with_details),
                              {"company_id": company_id, "user_id": user.id}).unique().first()
    if company is None:
        raise NotFound(company_id)
    return company


@lru_cache(maxsize=4)
def _company_statement(staff: bool, with_details: bool) -> Select:
    # Built once: nearly every page of a company reads it.
    query = _visible_companies(staff, bindparam("user_id")).where(ClientCompany.id == bindparam("company_id"))
    if with_details:
        # The consultant is shown by name: their roles (loaded with every user otherwise) are not read.
        query = query.options(joinedload(ClientCompany.consultant).lazyload(User.role_rows),
                              joinedload(ClientCompany.contacts), selectinload(ClientCompany.sub_units))
    return query


@dataclass(frozen=True)
class CompanyFilter:
    q: str = ""
    consultant_id: int | None = None
    archived: bool = False
    cert_class: str = ""  # "A+", "A", "B" or "none" (no valid certificate)
    expiring_days: int | None = None  # certificate valid today but ending within this many days
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = PAGE_SIZE


def list_companies(session: Session, user: User, flt: CompanyFilter) -> Page:
    """One page of companies (one query whatever the number of companies; two past the last page)."""
    today = None
    if flt.cert_class or flt.expiring_days is not None:
        from saas.scheduler import today_in_oslo

        today = today_in_oslo()
    digits = org_number_searched(flt.q) or ""
    shape = _ListShape(staff=user.is_staff, archived=flt.archived, search=bool(flt.q), digits=bool(digits),
                       consultant=bool(flt.consultant_id), cert_class=flt.cert_class or None, expiring_days=flt.expiring_days,
                       today=today, sort=flt.sort if flt.sort in SORTS else "name", descending=flt.descending)
    page = max(flt.page, 1)
    rows, total = run_page(session, _list_statements(shape), page, flt.per_page, dict(
        user_id=user.id, term=contains_pattern(flt.q.strip()), digits=f"%{digits}%", consultant_id=flt.consultant_id))
    items = [
        dict(id=r.id, name=r.name, org_number=r.org_number, city=r.city, employee_count=r.employee_count,
             consultant_id=r.consultant_id, consultant_name=r.consultant_name, archived=r.archived_at is not None)
        for r in rows
    ]
    return Page(items=items, total=total, page=page, per_page=flt.per_page)


@dataclass(frozen=True)
class _ListShape:
    """What decides the list statement's SQL; the values it is run with are bind parameters."""
    staff: bool
    archived: bool
    search: bool
    digits: bool
    consultant: bool
    cert_class: str | None
    expiring_days: int | None
    today: date | None
    sort: str
    descending: bool


@lru_cache(maxsize=256)
def _list_statements(shape: _ListShape) -> tuple:
    # Built once per shape: the list is the most visited page, and a statement built per request pays its
    # construction, its tenant-scoped copy and a fresh cache key.
    archived = ClientCompany.archived_at.is_not(None) if shape.archived else ClientCompany.archived_at.is_(None)
    query = _visible_companies(shape.staff, bindparam("user_id")).where(archived)
    if shape.search:
        term = bindparam("term")
        conditions = [contains(ClientCompany.name, term), contains(ClientCompany.city, term)]
        if shape.digits:
            conditions.append(ClientCompany.org_number.like(bindparam("digits")))
        query = query.where(or_(*conditions))
    if shape.consultant:
        query = query.where(ClientCompany.consultant_id == bindparam("consultant_id"))
    if shape.today is not None:
        from saas.certification.services.certificates import company_filter_clause

        query = query.where(company_filter_clause(shape.cert_class, shape.expiring_days, shape.today))
    column = SORTS[shape.sort]
    rows = query.with_only_columns(
        ClientCompany.id, ClientCompany.name, ClientCompany.org_number, ClientCompany.city,
        ClientCompany.employee_count, ClientCompany.consultant_id, ClientCompany.archived_at, ClientCompany.created_at,
    ).order_by(column.desc() if shape.descending else column.asc(), ClientCompany.id)
    page_rows, count = page_statements(rows, query, scan_once=shape.search)
    # The consultants' names are joined to the page's rows, not to every match: a search's matches are estimated
    # at one row, and the join then scanned the users once per match (a search of 2,000 companies that
    # matches 1,000: 2.2 ms, 1.3 ms joined after the page is cut).
    page = page_rows.subquery("page")
    sort = page.c[column.key]
    return (select(*page.c, User.name.label("consultant_name"))
            .outerjoin_from(page, User, User.id == page.c.consultant_id)
            .order_by(sort.desc() if shape.descending else sort.asc(), page.c.id), count)


def consultants(session: Session) -> list[dict]:
    return [dict(id=r.id, name=r.name) for r in session.execute(_consultants_statement()).all()]


@cache
def _consultants_statement():
    # Built once: the client list's filter and every company form show the consultants.
    return (select(User.id, User.name).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.CONSULTANT.value, User.active.is_(True)).order_by(User.name))


def _check(session: Session, data: dict, company_id: int | None = None) -> None:
    errors: dict[str, str] = {}
    query = select(ClientCompany.id).where(ClientCompany.org_number == data["org_number"])
    if company_id:
        query = query.where(ClientCompany.id != company_id)
    if session.scalar(query) is not None:
        errors["org_number"] = "En kunde med dette organisasjonsnummeret finnes allerede."
    if data.get("consultant_id") is not None and data["consultant_id"] not in {c["id"] for c in consultants(session)}:
        errors["consultant_id"] = "Velg en HMS-rådgiver hos denne tilbyderen."
    if data.get("follow_up_from") and data.get("follow_up_to") and data["follow_up_to"] < data["follow_up_from"]:
        errors["follow_up_to"] = "Sluttdato kan ikke være før startdato."
    if errors:
        raise FieldErrors(errors)


def create_company(session: Session, actor: User, data: dict) -> ClientCompany:
    """Create a client company.  Raises FieldErrors (duplicate org number, unknown consultant)."""
    _check(session, data)
    company = ClientCompany(**data)
    session.add(company)
    session.flush()
    record(session, actor, "company.created", company, company.name)
    return company


def update_company(session: Session, actor: User, company: ClientCompany, data: dict) -> ClientCompany:
    _check(session, data, company.id)
    changed = sorted(k for k, v in data.items() if getattr(company, k) != v)
    for key, value in data.items():
        setattr(company, key, value)
    session.flush()
    record(session, actor, "company.updated", company, company.name, fields=changed)
    return company


def set_archived(session: Session, actor: User, company: ClientCompany, archived: bool) -> None:
    """Archive or restore.  Companies are never hard-deleted: their certification history stays."""
    company.archived_at = utcnow() if archived else None
    record(session, actor, "company.archived" if archived else "company.restored", company, company.name)


def add_sub_unit(session: Session, actor: User, company: ClientCompany, data: dict) -> SubUnit:
    unit = SubUnit(company_id=company.id, **data)
    session.add(unit)
    session.flush()
    record(session, actor, "sub_unit.created", unit, f"{company.name}: {unit.name}")
    return unit


def add_contact(session: Session, actor: User, company: ClientCompany, data: dict) -> ContactPerson:
    contact = ContactPerson(company_id=company.id, **data)
    session.add(contact)
    session.flush()
    record(session, actor, "contact.created", contact, f"{company.name}: {contact.name}")
    return contact
