"""The action plan of a certification year: items, progress notes, who may update what, and summaries.

"Overdue" and "in an active improvement process" are the class rules' own definitions
(``saas.hms.rules``): rows are mapped to ``rules.ActionItem`` and judged there, never re-derived here.
Other areas create items through ``create_action_item``.
"""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext
from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.clients.models import ContactPerson
from saas.clients.services import NotFound, visible_company_ids
from saas.db import utcnow
from saas.hms import finding_defaults, rules
from saas.hms.models import ActionItem, ActionNote, CertificationYear
from saas.hygiene import db_int
from saas.i18n import today_in_oslo as oslo_today
from saas.schemas import FieldErrors
from saas.tenancy import platform_access, run_built
from saas.tenants.models import Role, Tenant, User, UserRole

__all__ = ["NotFound", "Forbidden", "STATUSES", "AREAS", "SOURCES", "ActionFilter", "oslo_today", "visible_year",
           "rule_item", "is_item_overdue", "responsible_choices", "create_action_item", "update_action_item",
           "get_item", "can_update_progress", "record_progress", "save_reminder_days", "list_items", "apply_filter",
           "summarize", "responsible_filter_options", "item_detail", "year_summary", "year_summary_and_rule_items"]

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
    return visible_company_ids(user.is_staff, user.id)


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

_RULE_STATUS = {status.value: status for status in rules.ActionStatus}


def rule_item(row) -> rules.ActionItem:
    """Any row with the item's columns (ORM object or select row) as the class rules see it."""
    return _rule_item(row.id, row.title, row.area, row.status, row.deadline, row.started_at is not None)


def _rule_item(id_: int, title: str, area: str, status: str, deadline: date | None, started: bool) -> rules.ActionItem:
    # The dict first: a year's verdict maps every item of its plan, and Enum(value) is the slow lookup.
    return rules.ActionItem(id_, title, area, _RULE_STATUS.get(status) or rules.ActionStatus(status), deadline, started)


def is_item_overdue(row, today: date) -> bool:
    return _overdue(row.status, rule_item(row), today)


def _overdue(status: str, item: rules.ActionItem, today: date) -> bool:
    # A finished item is no longer "late", whatever its deadline was.
    return status != "done" and rules.is_overdue(item, today)


# -- creating and changing -----------------------------------------------------------------------------

def finding_settings(session: Session, tenant_id: int) -> dict:
    """The tenant's default deadline and responsible person per grade (``finding_defaults.DEFAULTS`` keys)."""
    with platform_access(session):
        tenant = session.get(Tenant, tenant_id)
    return finding_defaults.settings_with_defaults(tenant.setting("finding_defaults") if tenant else None)


def save_finding_settings(session: Session, actor: User, tenant: Tenant, data: dict) -> None:
    """Store the default deadline days and responsible person per grade (keys of ``finding_defaults.DEFAULTS``)."""
    values = finding_defaults.settings_with_defaults({k: v for k, v in data.items() if k in finding_defaults.DEFAULTS})
    with platform_access(session):
        tenant.settings = {**(tenant.settings or {}), "finding_defaults": values}
        session.flush()
    record(session, actor, "tenant.settings_changed", None, "Standard frist og ansvarlig for avvik endret", **values)


def _company_contact(session: Session, company_id: int, allowed: set[int]) -> tuple[int | None, str]:
    """The company's first contact who logs in (an active user), else its first contact by name only."""
    contacts = session.execute(select(ContactPerson.user_id, ContactPerson.name).where(
        ContactPerson.company_id == company_id).order_by(ContactPerson.id)).all()
    for contact in contacts:
        if contact.user_id in allowed:
            return contact.user_id, contact.name
    return None, contacts[0].name if contacts else ""


def finding_action_fields(session: Session, year: CertificationYear, answer, today: date | None = None) -> dict:
    """The fields of the action a graded checklist finding becomes: a title saying what is wrong, the
    description, grade, and the tenant's default deadline and responsible person for that grade."""
    defaults = finding_defaults.defaults_for(answer.finding_grade, finding_settings(session, year.tenant_id),
                                             today or oslo_today())
    fields = dict(title=finding_defaults.finding_title(answer.item_text, answer.comment),
                  description="\n".join(p for p in (f"Sjekklistepunkt: {answer.item_text}", answer.comment or "") if p),
                  grade=answer.finding_grade, deadline=defaults.deadline)
    if not defaults.responsible:
        return fields
    allowed = {c["id"] for c in responsible_choices(session, year.company_id)}
    if defaults.responsible == "consultant" and year.consultant_id in allowed:
        fields["responsible_user_id"] = year.consultant_id
    elif defaults.responsible == "contact":
        user_id, name = _company_contact(session, year.company_id, allowed)
        if user_id is not None:
            fields["responsible_user_id"] = user_id
        elif name:
            fields["responsible_name"] = name
    return fields


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


def _apply_status(item: ActionItem, status: str, actor: User | None = None) -> None:
    if status == item.status and item.id is not None:
        return
    now = utcnow()
    # Closing by staff is their verification; a client contact's closing waits for a consultant; reopening
    # takes any verification back.
    staff = actor is not None and actor.is_staff
    item.verified_by, item.verified_at = (actor.id, now) if status == "done" and staff else (None, None)
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
    if fields.get("responsible_user_id") is not None:
        fields["responsible_name"] = ""  # a user is the responsible person; a name is only for outsiders
    status = fields.pop("status", None) or "open"
    item = ActionItem(year_id=year.id, created_by=getattr(actor, "id", None), status="open",
                      **{k: v for k, v in fields.items() if v is not None})
    item.title = item.title.strip()
    _apply_status(item, status, actor)
    session.add(item)
    session.flush()
    record(session, actor, "action.created", item, item.title, source=item.source_type, source_id=item.source_id)
    return item


def update_action_item(session: Session, actor: User, item: ActionItem, data: dict) -> ActionItem:
    """Staff edit of every field; a status change also writes a progress note.  Raises FieldErrors."""
    year = session.get(CertificationYear, item.year_id)
    _check(session, year.company_id, data)
    if data.get("responsible_user_id") is not None:
        data = {**data, "responsible_name": ""}  # a user is the responsible person; a name is only for outsiders
    changed = sorted(k for k in EDITABLE if k in data and getattr(item, k) != data[k])
    for key in EDITABLE:
        if key in data:
            setattr(item, key, data[key].strip() if isinstance(data[key], str) else data[key])
    status = data.get("status")
    if status and status != item.status:
        _apply_status(item, status, actor)
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
        _apply_status(item, new_status, actor)
    note = ActionNote(action_id=item.id, author_id=actor.id, text=text, new_status=new_status)
    session.add(note)
    session.flush()
    record(session, actor, "action.progress", item, item.title, status=new_status)
    return note


def verify_action(session: Session, actor: User, item: ActionItem, approve: bool, note: str = "") -> ActionNote:
    """A consultant's check of an item a client contact closed: approve (verified) or send it back to
    "in progress" with a reason.  Raises Forbidden for non-staff, FieldErrors when the item is not done or a
    return has no reason."""
    if not actor.is_staff:
        raise Forbidden(item.id)
    if item.status != "done":
        raise FieldErrors({"_schema": lazy_gettext("Bare utførte tiltak kan verifiseres.")})
    note = (note or "").strip()
    if approve:
        from saas.hms.models import Evidence
        from saas.hms.services import evidence as evidence_services

        item.verified_by, item.verified_at = actor.id, utcnow()
        entry = ActionNote(action_id=item.id, author_id=actor.id, text=note or "Verifisert av HMS-rådgiver.", new_status=None)
        # Approving the action is approving what was shown for it: its files waiting for a consultant too.
        pending = session.scalars(select(Evidence).where(Evidence.target_type == "action_item", Evidence.target_id == item.id,
                                                         Evidence.status == "pending", Evidence.superseded.is_(False))).all()
        if pending:
            target = evidence_services.resolve_target(session, "action_item", item.id)
            for file in pending:
                evidence_services.verify(session, actor, file, target, "verified", note)
    else:
        if not note:
            raise FieldErrors({"note": lazy_gettext("Skriv hva som mangler før tiltaket kan godkjennes.")})
        _apply_status(item, "in_progress", actor)
        entry = ActionNote(action_id=item.id, author_id=actor.id, text=note, new_status="in_progress")
    session.add(entry)
    session.flush()
    record(session, actor, "action.verified" if approve else "action.returned", item, item.title)
    return entry


def bulk_assign(session: Session, actor: User, year: CertificationYear, data: dict) -> int:
    """Give the chosen items of ``year`` one responsible person (a user, a named outsider, or nobody with
    ``clear_responsible``) and/or one deadline.  Returns how many items changed.  Raises FieldErrors naming
    the field: unknown items, a user who may not be responsible, or nothing to change."""
    ids = sorted(set(data.get("action_ids") or []))
    items = session.scalars(select(ActionItem).where(ActionItem.year_id == year.id, ActionItem.id.in_(ids))).all()
    if len(items) != len(ids) or not ids:
        raise FieldErrors({"action_ids": lazy_gettext("Velg tiltak fra denne handlingsplanen.")})
    user_id, name = data.get("responsible_user_id"), (data.get("responsible_name") or "").strip()
    clear, deadline = bool(data.get("clear_responsible")), data.get("deadline")
    if user_id is None and not name and not clear and deadline is None:
        raise FieldErrors({"_schema": lazy_gettext("Velg en ansvarlig eller en frist.")})
    if user_id is not None:
        _check(session, year.company_id, {"title": "-", "responsible_user_id": user_id})
    changed = 0
    for item in items:
        before = (item.responsible_user_id, item.responsible_name, item.deadline)
        if user_id is not None:
            item.responsible_user_id, item.responsible_name = user_id, ""
        elif name:
            item.responsible_user_id, item.responsible_name = None, name[:200]
        elif clear:
            item.responsible_user_id, item.responsible_name = None, ""
        if deadline is not None:
            item.deadline = deadline
        if (item.responsible_user_id, item.responsible_name, item.deadline) != before:
            changed += 1
            record(session, actor, "action.assigned", item, item.title, responsible_user_id=item.responsible_user_id,
                   responsible_name=item.responsible_name or None, deadline=item.deadline.isoformat() if item.deadline else None)
    session.flush()
    return changed


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


def _item_select() -> Select:
    # The first six columns are a rules.ActionItem's fields, in their order (``_rule_items`` unpacks them).
    # Whether it was started and verified, not when: a plan of 300 items read 600 timestamps it never showed.
    return (select(ActionItem.id, ActionItem.title, ActionItem.area, ActionItem.status, ActionItem.deadline,
                   ActionItem.started_at.is_not(None).label("started"), ActionItem.source_type, ActionItem.grade,
                   ActionItem.responsible_name, ActionItem.responsible_user_id,
                   ActionItem.verified_at.is_not(None).label("verified"), User.name.label("responsible_user_name"))
            .outerjoin(User, User.id == ActionItem.responsible_user_id))


def _rows(session: Session, year_id: int):
    # Core rows, not the ORM's: a plan of 300 items cost 0.5 ms of row processing (tenancy.run_built).
    return run_built(session, _rows_query(), {"year_id": year_id}).all()


@cache
def _rows_query() -> Select:
    # Built once, bound per call: the plan and the year page read every item of a year on every visit.
    return _item_select().where(ActionItem.year_id == bindparam("year_id")).order_by(ActionItem.id)


def _plain(row, today: date) -> dict:
    # By position, like ``_rule_items``: the twelve columns of ``_item_select`` (a summary's window counts follow).
    (id_, title, area, status, deadline, started, source_type, grade, responsible_name, responsible_user_id,
     verified, responsible_user_name) = row[:12]
    item = _rule_item(id_, title, area, status, deadline, started)
    overdue = _overdue(status, item, today)
    return dict(id=id_, title=title, area=area, area_label=AREA_LABELS.get(area, area),
                status=status, status_label=STATUS_LABELS.get(status, status), deadline=deadline,
                source_type=source_type, grade=grade, responsible_user_id=responsible_user_id,
                responsible=responsible_user_name or responsible_name or "", overdue=overdue,
                days_overdue=(today - deadline).days if overdue else 0,
                awaiting_verification=status == "done" and not verified,
                active_improvement=rules.is_in_active_improvement(item, today))


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
    """Counts by status, overdue and total, and up to 10 items (overdue first) as plain dicts.

    One query that returns only the first PREVIEW_SIZE items: the counts ride on them as window
    aggregates (computed over the whole plan before LIMIT), so a plan of 300 items sends 10 rows.
    The SQL "overdue" is ``rules.is_overdue`` for a not-done item (a deadline before today); each shown
    item's own flags still come from the rules (``_plain``), and tests/integration/
    test_action_summary_sql.py holds this to ``summarize(list_items(...))``.
    """
    today = today or oslo_today()
    overdue = (ActionItem.status != "done") & ActionItem.deadline.is_not(None) & (ActionItem.deadline < today)

    def total(condition):
        return func.sum(case((condition, 1), else_=0)).over()

    rows = session.execute(
        _item_select().add_columns(
            func.count().over().label("n_total"), total(ActionItem.status == "open").label("n_open"),
            total(ActionItem.status == "in_progress").label("n_in_progress"),
            total(ActionItem.status == "done").label("n_done"), total(overdue).label("n_overdue"))
        .where(ActionItem.year_id == year_id)
        .order_by(case((overdue, 0), else_=1), case((ActionItem.status == "done", 1), else_=0),
                  case((ActionItem.deadline.is_(None), 1), else_=0), ActionItem.deadline, ActionItem.id)
        .limit(PREVIEW_SIZE)).all()
    first = rows[0] if rows else None
    return dict(open=int(first.n_open) if first else 0, in_progress=int(first.n_in_progress) if first else 0,
                done=int(first.n_done) if first else 0, overdue=int(first.n_overdue) if first else 0,
                total=int(first.n_total) if first else 0, items_preview=[_plain(row, today) for row in rows])


def year_summary_and_rule_items(session: Session, year_id: int, today: date | None = None
                                ) -> tuple[dict, tuple[rules.ActionItem, ...]]:
    """``year_summary`` and every item of the plan as the class rules see it (``rule_item``, by id), from
    one query of the whole plan: for the year page, whose verdict reads every item anyway, so one statement
    instead of two.  Only the previewed items become dicts; tests/integration/test_facts_from_overview.py
    holds the summary to ``year_summary``."""
    today = today or oslo_today()
    rows = _rows(session, year_id)
    items = _rule_items(rows)
    done = rules.ActionStatus.DONE
    overdue = [item.status is not done and rules.is_overdue(item, today) for item in items]
    # ``_overdue_first`` on the rules' items, without making a dict of every row.
    first = heapq.nsmallest(PREVIEW_SIZE, range(len(items)), key=lambda n: (
        not overdue[n], items[n].status is done, items[n].deadline is None, items[n].deadline or date.max, items[n].id))
    counts = Counter(item.status.value for item in items)
    summary = dict(open=counts["open"], in_progress=counts["in_progress"], done=counts["done"], overdue=sum(overdue),
                   total=len(rows), items_preview=[_plain(rows[n], today) for n in first])
    return summary, items


def _rule_items(rows) -> tuple[rules.ActionItem, ...]:
    """``rule_item`` of each row of ``_item_select``, its leading columns unpacked by position: reading a
    result row's column by name costs ten times reading it by index, and a year's plan has hundreds of items."""
    return tuple(_rule_item(*row[:6]) for row in rows)


def item_detail(session: Session, item: ActionItem, today: date | None = None) -> dict:
    """One item with its notes (and who wrote them) as plain data for a page or the API."""
    today = today or oslo_today()
    responsible = session.scalar(select(User.name).where(User.id == item.responsible_user_id)) if item.responsible_user_id else None
    verifier = session.scalar(select(User.name).where(User.id == item.verified_by)) if item.verified_by else None
    notes = session.execute(
        select(ActionNote.id, ActionNote.text, ActionNote.new_status, ActionNote.created_at, User.name.label("author"))
        .outerjoin(User, User.id == ActionNote.author_id).where(ActionNote.action_id == item.id).order_by(ActionNote.id)
    ).all()
    data = _plain((item.id, item.title, item.area, item.status, item.deadline, item.started_at is not None, item.source_type,
                   item.grade, item.responsible_name, item.responsible_user_id, item.verified_at is not None, responsible),
                  today)  # a _rows row
    data.update(source=item_source(session, item), description=item.description, year_id=item.year_id, source_id=item.source_id,
                responsible_name=item.responsible_name, started_at=item.started_at, completed_at=item.completed_at,
                verified_at=item.verified_at, verified_by_name=verifier or "",
                created_at=item.created_at,
                notes=[dict(id=n.id, text=n.text, new_status=n.new_status,
                            new_status_label=STATUS_LABELS.get(n.new_status, "") if n.new_status else "",
                            created_at=n.created_at, author=n.author or "") for n in notes])
    return data


def item_source(session: Session, item: ActionItem) -> dict | None:
    """Where a finding's item came from, as {"kind", "id", "answer_id", "label"}: the physical mapping or
    safety round whose checklist answer it is (kind "physical_mapping" / "safety_round"), or the hazard."""
    from saas.hms.models import ChecklistAnswer, Hazard, PhysicalMapping, SafetyRound

    if item.source_id is None:
        return None
    if item.source_type == "hazard":
        hazard = session.get(Hazard, item.source_id)
        return dict(kind="hazard", id=hazard.assessment_id, answer_id=hazard.id, label=hazard.description[:200]) if hazard else None
    if item.source_type not in ("finding", "safety_round"):
        return None
    answer = session.get(ChecklistAnswer, item.source_id)
    if answer is None:
        return None
    for model, kind in ((PhysicalMapping, "physical_mapping"), (SafetyRound, "safety_round")):
        owner = session.scalar(select(model.id).where(model.run_id == answer.run_id))
        if owner is not None:
            return dict(kind=kind, id=owner, answer_id=answer.id, label=f"{answer.item_key} {answer.item_text}")
    return None
