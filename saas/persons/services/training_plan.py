"""The individual training plan of a holder absent from the function over 4 months (seed 002 § 1.7).

A plan is a list of items (what to do, by when) on one register entry.  It can be made as soon as the
absence is recorded; when every item is completed the absence is cleared, so the competence is usable
again (the last completion counts as the last use).  The holder and the employer see the plan on the
person page; client contacts only for their own employees (person_or_404 / get_person).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.persons.models import Holding, TrainingPlanItem
from saas.persons.services import NotFound
from saas.schemas import FieldErrors
from saas.tenants.models import User


def items_of(session: Session, holding_ids) -> dict[int, list[TrainingPlanItem]]:
    """``holding id → plan items`` (due date order), for many holdings in one query."""
    ids = list(holding_ids)
    out: dict[int, list[TrainingPlanItem]] = {i: [] for i in ids}
    if ids:
        for item in session.scalars(select(TrainingPlanItem).where(TrainingPlanItem.holding_id.in_(ids))
                                    .order_by(TrainingPlanItem.due_on, TrainingPlanItem.position, TrainingPlanItem.id)):
            out[item.holding_id].append(item)
    return out


def get_item(session: Session, item_id: int) -> TrainingPlanItem:
    item = session.get(TrainingPlanItem, item_id)
    if item is None:
        raise NotFound(item_id)
    return item


def add_item(session: Session, user: User, holding: Holding, title: str, due_on: date, today: date) -> TrainingPlanItem:
    """Add an item to the holding's plan.  Raises FieldErrors: no absence recorded, no title, a due date
    in the past."""
    if holding.absent_since is None:
        raise FieldErrors({"holding": _("Planen gjelder fravær fra funksjonen. Registrer fraværet først.")})
    if not title.strip():
        raise FieldErrors({"title": _("Skriv hva som skal gjøres.")})
    if due_on < today:
        raise FieldErrors({"due_on": _("Fristen kan ikke være passert.")})
    position = len(items_of(session, [holding.id])[holding.id])
    item = TrainingPlanItem(holding_id=holding.id, title=title.strip()[:200], due_on=due_on, position=position)
    session.add(item)
    session.flush()
    record(session, user, "plan_item.added", holding, f"{item.title} ({due_on.isoformat()})")
    return item


def complete_item(session: Session, user: User, item: TrainingPlanItem, completed_on: date, today: date,
                  note: str = "") -> Holding:
    """Mark an item done; when it was the last open one, the absence is cleared (the competence may be
    used again).  Returns the holding.  Raises FieldErrors."""
    if item.completed_on is not None:
        raise FieldErrors({"item": _("Punktet er allerede fullført.")})
    if completed_on > today:
        raise FieldErrors({"completed_on": _("Datoen kan ikke være fram i tid.")})
    holding = session.get(Holding, item.holding_id)
    item.completed_on, item.completed_by, item.note = completed_on, user.id, note.strip()[:2000]
    session.flush()
    record(session, user, "plan_item.completed", holding, item.title)
    items = items_of(session, [holding.id])[holding.id]
    if items and all(i.completed_on for i in items) and holding.absent_since is not None:
        last = max(i.completed_on for i in items)
        holding.absent_since = None
        holding.last_used_on = max(last, holding.last_used_on or last)
        session.flush()
        record(session, user, "holding.plan_completed", holding, last.isoformat())
    return holding


def remove_item(session: Session, user: User, item: TrainingPlanItem) -> None:
    if item.completed_on is not None:
        raise FieldErrors({"item": _("Et fullført punkt kan ikke fjernes.")})
    holding = session.get(Holding, item.holding_id)
    session.delete(item)
    session.flush()
    record(session, user, "plan_item.removed", holding, item.title)


def plan_data(items: list[TrainingPlanItem], today: date) -> dict:
    """Plain data of one plan: its items and a summary (done, total, the next due date, overdue)."""
    rows = [dict(id=i.id, title=i.title, due_on=i.due_on, completed_on=i.completed_on, note=i.note,
                 overdue=i.completed_on is None and i.due_on < today) for i in items]
    open_ = [r for r in rows if r["completed_on"] is None]
    return dict(items=rows, done=len(rows) - len(open_), total=len(rows),
                next_due=min((r["due_on"] for r in open_), default=None), overdue=any(r["overdue"] for r in rows))


def send_plan(session: Session, user: User, holding: Holding, today: date) -> int:
    """E-mail the plan to the holder and the employer's contacts (queued after the commit).  Returns how
    many messages were queued; raises FieldErrors when there is no plan or nobody to send it to."""
    from saas.mail import send_mail
    from saas.persons.jobs import _employer_addresses
    from saas.persons.models import Person, PersonCompetence
    from saas.tenants.models import Tenant

    items = items_of(session, [holding.id])[holding.id]
    if not items:
        raise FieldErrors({"holding": _("Planen har ingen punkter ennå.")})
    person = session.get(Person, holding.person_id)
    competence = session.get(PersonCompetence, holding.competence_id)
    recipients = ([person.email] if person.email else []) + (
        _employer_addresses(session, {person.employer_id}).get(person.employer_id, []) if person.employer_id else [])
    if not recipients:
        raise FieldErrors({"holding": _("Verken innehaveren eller arbeidsgiveren har en e-postadresse.")})
    tenant = session.get(Tenant, person.tenant_id)
    data = plan_data(items, today)
    lines = [dict(title=i["title"], due_on=i["due_on"].strftime("%d.%m.%Y"),
                  done=i["completed_on"].strftime("%d.%m.%Y") if i["completed_on"] else "") for i in data["items"]]
    for address in dict.fromkeys(recipients):
        send_mail(session, address, f"{person.name}: individuell opplæringsplan for {competence.code}",
                  "person_training_plan", tenant_id=tenant.id, tenant_name=tenant.name, holder_name=person.name,
                  competence=f"{competence.code} {competence.name}", items=lines, done=data["done"],
                  total=data["total"])
    record(session, user, "plan.sent", holding, ", ".join(dict.fromkeys(recipients))[:200])
    return len(dict.fromkeys(recipients))
