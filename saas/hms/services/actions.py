"""The action plan of a certification year: items, progress notes, who may update what, and summaries.

"Overdue" and "in an active improvement process" are the class rules' own definitions
(``saas.hms.rules``): rows are mapped to ``rules.ActionItem`` and judged there, never re-derived here.
Other areas create items through ``create_action_item``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.models import ClientCompany, ContactPerson
from saas.clients.services import NotFound, visible_companies
from saas.db import utcnow
from saas.hms import rules
from saas.hms.models import ActionItem, ActionNote, CertificationYear
from saas.hygiene import db_int
from saas.i18n import today_in_oslo as oslo_today
from saas.schemas import FieldErrors
from saas.tenancy import platform_access
from saas.tenants.models import Role, Tenant, User, UserRole

__all__ = ["NotFound", "Forbidden", "STATUSES", "AREAS", "SOURCES", "ActionFilter", "oslo_today", "visible_year",
           "rule_item", "is_item_overdue", "responsible_choices", "create_action_item", "update_action_item",
           "get_item", "can_update_progress", "record_progress", "save_reminder_days", "list_items", "apply_filter",
           "summarize", "responsible_filter_options", "item_detail", "year_summary"]

STATUSES = ("open", "in_progress", "done")
STATUS_LABELS = {"open": "Åpen", "in_progress": "Pågår", "done": "Utført"}
AREAS = ("physical", "psychosocial")
AREA_LABELS = {"physical": "Fysisk", "psychosocial": "Psykososialt"}
SOURCES = ("finding", "hazard", "survey", "safety_round", "manual")
GRADES = ("serious", "minor", "observation")
PREVIEW_SIZE = 10
EDITABLE = ("title", "description", "area", "grade", "responsible_name", "responsible_user_id", "deadline")


class Forbidden(PermissionError):
    """The user may see the item but not change it (a client contact and an item not assigned to them)."""


# -- visibility ----------------------------------------------------------------------------------------

def _visible_company_ids(user: User) -> Select:
    return visible_companies(user).with_only_columns(ClientCompany.id)


def visible_year(session: Session, user: User, year_id: int) -> CertificationYear:
    """The certification year if ``user`` may see its company; raises NotFound otherwise."""
    year = session.scalar(select(CertificationYear).where(
        CertificationYear.id == year_id, CertificationYear.company_id.in_(_visible_company_ids(user))))
    if year is None:
        raise NotFound(year_id)
    return year


def get_item(session: Session, user: User, action_id: int) -> ActionItem:
    """The action item if ``user`` may see its company (404 otherwise: another tenant's or company's)."""
    item = session.scalar(
        select(ActionItem).join(CertificationYear, CertificationYear.id == ActionItem.year_id)
        .where(ActionItem.id == action_id, CertificationYear.company_id.in_(_visible_company_ids(user))))
    if item is None:
        raise NotFound(action_id)
    return item


def can_update_progress(user: User, item) -> bool:
    """Staff update any item; a client contact only the items assigned to them."""
    return user.is_staff or (item.responsible_user_id is not None and item.responsible_user_id == user.id)


# -- the rules' view of an item ------------------------------------------------------------------------

def rule_item(row) -> rules.ActionItem:
    """Any row with the item's columns (ORM object or select row) as the class rules see it."""
    return rules.ActionItem(id=row.id, title=row.title, area=row.area, status=rules.ActionStatus(row.status),
                            deadline=row.deadline, started=row.started_at is not None)


def is_item_overdue(row, today: date) -> bool:
    # A finished item is no longer "late", whatever its deadline was.
    return row.status != "done" and rules.is_overdue(rule_item(row), today)


# -- creating and changing -----------------------------------------------------------------------------

def responsible_choices(session: Session, company_id: int) -> list[dict]:
    """Users who may be responsible for an item: the tenant's active staff and the company's contacts."""
    staff = select(UserRole.user_id).where(UserRole.role != Role.CLIENT.value)
    contacts = select(ContactPerson.user_id).where(ContactPerson.company_id == company_id, ContactPerson.user_id.is_not(None))
    rows = session.execute(
        select(User.id, User.name, User.id.in_(contacts).label("is_contact"))
        .where(User.active.is_(True), (User.id.in_(staff)) | (User.id.in_(contacts))).order_by(User.name, User.id)
    ).all()
    return [dict(id=r.id, name=r.name, kind="contact" if r.is_contact else "staff") for r in rows]


def _check(session: Session, company_id: int, data: dict) -> None:
    errors: dict[str, str] = {}
    if data.get("area") is not None and data["area"] not in AREAS:
        errors["area"] = "Velg fysisk eller psykososialt."
    if data.get("status") is not None and data["status"] not in STATUSES:
        errors["status"] = "Ugyldig status."
    if data.get("source_type") is not None and data["source_type"] not in SOURCES:
        errors["source_type"] = "Ugyldig kilde."
    if data.get("grade") is not None and data["grade"] not in GRADES:
        errors["grade"] = "Ugyldig gradering."
    if not (data.get("title") or "").strip():
        errors["title"] = "Feltet må fylles ut."
    user_id = data.get("responsible_user_id")
    if user_id is not None and user_id not in {c["id"] for c in responsible_choices(session, company_id)}:
        errors["responsible_user_id"] = "Velg en ansatt hos tilbyderen eller en kontaktperson i virksomheten."
    if errors:
        raise FieldErrors(errors)


def _apply_status(item: ActionItem, status: str) -> None:
    if status == item.status and item.id is not None:
        return
    now = utcnow()
    if status == "open":
        item.started_at = None
        item.completed_at = None
    elif status == "in_progress":
        item.started_at = item.started_at or now
        item.completed_at = None
    else:
        item.started_at = item.started_at or now
        item.completed_at = now
    item.status = status


def create_action_item(session: Session, actor: User | None, year: CertificationYear, **fields) -> ActionItem:
    """THE way to add an item to ``year``'s action plan (by hand, from a finding, a hazard, a survey ...).

    ``fields``: title (required), description, area (physical|psychosocial), source_type, source_id, grade,
    responsible_name, responsible_user_id (staff or a contact of the year's company), deadline, status.
    Flushes and returns the item; raises FieldErrors naming the field.
    """
    unknown = set(fields) - {*EDITABLE, "source_type", "source_id", "status", "carried_from_id"}
    if unknown:
        raise TypeError(f"unknown action item fields: {sorted(unknown)}")
    _check(session, year.company_id, fields)
    status = fields.pop("status", None) or "open"
    item = ActionItem(year_id=year.id, created_by=getattr(actor, "id", None), status="open",
                      **{k: v for k, v in fields.items() if v is not None})
    item.title = item.title.strip()
    _apply_status(item, status)
    session.add(item)
    session.flush()
    record(session, actor, "action.created", item, item.title, source=item.source_type, source_id=item.source_id)
    return item


def update_action_item(session: Session, actor: User, item: ActionItem, data: dict) -> ActionItem:
    """Staff edit of every field; a status change also writes a progress note.  Raises FieldErrors."""
    year = session.get(CertificationYear, item.year_id)
    _check(session, year.company_id, data)
    changed = sorted(k for k in EDITABLE if k in data and getattr(item, k) != data[k])
    for key in EDITABLE:
        if key in data:
            setattr(item, key, data[key].strip() if isinstance(data[key], str) else data[key])
    status = data.get("status")
    if status and status != item.status:
        _apply_status(item, status)
        session.add(ActionNote(action_id=item.id, author_id=actor.id, text="", new_status=status))
        changed.append("status")
    session.flush()
    record(session, actor, "action.updated", item, item.title, fields=changed)
    return item


def record_progress(session: Session, actor: User, item: ActionItem, status: str | None, text: str) -> ActionNote:
    """A progress note, optionally moving the item to ``status``.

    Raises Forbidden for a client contact and an item not assigned to them, FieldErrors for an empty update.
    """
    if not can_update_progress(actor, item):
        raise Forbidden(item.id)
    text = (text or "").strip()
    if status is not None and status not in STATUSES:
        raise FieldErrors({"status": "Ugyldig status."})
    new_status = status if status and status != item.status else None
    if not text and new_status is None:
        raise FieldErrors({"text": "Skriv et notat eller endre status."})
    if new_status:
        _apply_status(item, new_status)
    note = ActionNote(action_id=item.id, author_id=actor.id, text=text, new_status=new_status)
    session.add(note)
    session.flush()
    record(session, actor, "action.progress", item, item.title, status=new_status)
    return note


def save_reminder_days(session: Session, actor: User, tenant: Tenant, days: list[int]) -> None:
    """The tenant's days-before-deadline reminders (``tenant.settings["action_reminder_days"]``)."""
    with platform_access(session):
        tenant.settings = {**(tenant.settings or {}), "action_reminder_days": list(days)}
        session.flush()
    record(session, actor, "tenant.settings_changed", None, "Påminnelser om frister endret", action_reminder_days=list(days))


# -- reading -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionFilter:
    status: str = ""
    area: str = ""
    overdue: bool = False
    responsible: str = ""  # a user id, or a free-text name


def _rows(session: Session, year_id: int):
    return session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.area, ActionItem.status, ActionItem.deadline,
               ActionItem.started_at, ActionItem.completed_at, ActionItem.source_type, ActionItem.grade,
               ActionItem.responsible_name, ActionItem.responsible_user_id, User.name.label("responsible_user_name"))
        .outerjoin(User, User.id == ActionItem.responsible_user_id)
        .where(ActionItem.year_id == year_id).order_by(ActionItem.id)
    ).all()


def _plain(row, today: date) -> dict:
    overdue = is_item_overdue(row, today)
    return dict(id=row.id, title=row.title, area=row.area, area_label=AREA_LABELS.get(row.area, row.area),
                status=row.status, status_label=STATUS_LABELS.get(row.status, row.status), deadline=row.deadline,
                source_type=row.source_type, grade=row.grade, responsible_user_id=row.responsible_user_id,
                responsible=row.responsible_user_name or row.responsible_name or "", overdue=overdue,
                days_overdue=(today - row.deadline).days if overdue else 0,
                active_improvement=rules.is_in_active_improvement(rule_item(row), today))


def _overdue_first(item: dict):
    # Overdue on top (most overdue first), then by deadline (none last), then as entered.
    return (not item["overdue"], item["status"] == "done", item["deadline"] is None, item["deadline"] or date.max, item["id"])


def list_items(session: Session, year_id: int, flt: ActionFilter = ActionFilter(), today: date | None = None) -> list[dict]:
    """The year's items as plain dicts, overdue first (one query whatever the number of items)."""
    today = today or oslo_today()
    return apply_filter(sorted((_plain(row, today) for row in _rows(session, year_id)), key=_overdue_first), flt)


def apply_filter(items: list[dict], flt: ActionFilter) -> list[dict]:
    """Narrow already loaded items, so a page shows the filtered list and the whole plan's counts from
    one query."""
    def keep(item: dict) -> bool:
        if flt.status in STATUSES and item["status"] != flt.status:
            return False
        if flt.area in AREAS and item["area"] != flt.area:
            return False
        if flt.overdue and not item["overdue"]:
            return False
        if flt.responsible.isdigit():
            return db_int(flt.responsible) is not None and item["responsible_user_id"] == int(flt.responsible)
        return not flt.responsible or (item["responsible_user_id"] is None and item["responsible"] == flt.responsible)

    return [item for item in items if keep(item)]


def summarize(items: list[dict]) -> dict:
    """Counts by status, overdue and total, and the first items (overdue first) of a loaded plan."""
    counts = {status: sum(1 for i in items if i["status"] == status) for status in STATUSES}
    return dict(open=counts["open"], in_progress=counts["in_progress"], done=counts["done"],
                overdue=sum(1 for i in items if i["overdue"]), total=len(items), items_preview=items[:PREVIEW_SIZE])


def responsible_filter_options(items: list[dict]) -> list[tuple[str, str]]:
    options = {}
    for item in items:
        if item["responsible_user_id"]:
            options[str(item["responsible_user_id"])] = item["responsible"]
        elif item["responsible"]:
            options[item["responsible"]] = item["responsible"]
    return sorted(options.items(), key=lambda kv: kv[1].lower())


def year_summary(session: Session, year_id: int, today: date | None = None) -> dict:
    """Counts by status, overdue and total, and up to 10 items (overdue first) as plain dicts; one query."""
    return summarize(list_items(session, year_id, today=today))


def item_detail(session: Session, item: ActionItem, today: date | None = None) -> dict:
    """One item with its notes (and who wrote them) as plain data for a page or the API."""
    today = today or oslo_today()
    responsible = session.scalar(select(User.name).where(User.id == item.responsible_user_id)) if item.responsible_user_id else None
    notes = session.execute(
        select(ActionNote.id, ActionNote.text, ActionNote.new_status, ActionNote.created_at, User.name.label("author"))
        .outerjoin(User, User.id == ActionNote.author_id).where(ActionNote.action_id == item.id).order_by(ActionNote.id)
    ).all()
    data = _plain(_ItemRow(item, responsible), today)
    data.update(description=item.description, year_id=item.year_id, source_id=item.source_id,
                responsible_name=item.responsible_name, started_at=item.started_at, completed_at=item.completed_at,
                created_at=item.created_at,
                notes=[dict(id=n.id, text=n.text, new_status=n.new_status,
                            new_status_label=STATUS_LABELS.get(n.new_status, "") if n.new_status else "",
                            created_at=n.created_at, author=n.author or "") for n in notes])
    return data


@dataclass(frozen=True)
class _ItemRow:
    """An ORM item with the responsible user's name, shaped like a ``_rows`` row."""

    item: ActionItem
    responsible_user_name: str | None

    def __getattr__(self, name):
        return getattr(self.item, name)
