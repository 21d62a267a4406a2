"""The calendar across clients: action deadlines, certificate expiries, planned mappings and safety rounds,
scoped to what the user may see; and each user's private iCal feed (a token shown once, stored hashed,
revocable by making a new one or turning it off)."""
from __future__ import annotations

import calendar as month_calendar
import hashlib
import hmac
import secrets
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.calendar.models import CalendarFeed
from saas.clients.models import ClientCompany
from saas.clients.services import visible_company_ids
from saas.db import utcnow
from saas.tenants.models import User

KINDS = ("action", "certificate", "mapping", "round")
KIND_LABELS = {"action": "Tiltaksfrist", "certificate": "Sertifikat utløper", "mapping": "Planlagt kartlegging",
               "round": "Planlagt vernerunde"}
MAX_EVENTS = 2000
FEED_DAYS_BACK, FEED_DAYS_AHEAD = 30, 400


def _companies(user: User, company_id: int | None, mine_only: bool):
    query = visible_company_ids(user.is_staff, user.id)
    if company_id is not None:
        query = query.where(ClientCompany.id == company_id)
    if mine_only and user.is_staff:
        query = query.where(ClientCompany.consultant_id == user.id)
    return query


def events(session: Session, user: User, start: date, end: date, kinds=KINDS, *, company_id: int | None = None,
           mine_only: bool = False, today: date | None = None) -> list[dict]:
    """Events from ``start`` to ``end`` (both included) as plain data, by date then kind: kind, kind_label, on,
    title, company_id, company, target_type, target_id, overdue.  ``mine_only``: for staff, the companies
    they are the consultant of, and actions they are responsible for."""
    from saas.certification.models import Certificate
    from saas.hms.models import ActionItem, CertificationYear, PhysicalMapping, SafetyRound

    today = today or date.today()
    wanted = set(kinds) & set(KINDS)
    scoped = _companies(user, company_id, mine_only)
    out: list[dict] = []

    def add(kind, on, title, company_id_, company, target_type, target_id, overdue=False):
        out.append(dict(kind=kind, kind_label=KIND_LABELS[kind], on=on, title=title, company_id=company_id_, company=company,
                        target_type=target_type, target_id=target_id, overdue=overdue))

    if "action" in wanted:
        query = (select(ActionItem.id, ActionItem.title, ActionItem.deadline, ClientCompany.id.label("cid"), ClientCompany.name)
                 .join(CertificationYear, CertificationYear.id == ActionItem.year_id)
                 .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
                 .where(ActionItem.status != "done", ActionItem.deadline.between(start, end),
                        ClientCompany.id.in_(_companies(user, company_id, False))))
        if mine_only:
            query = query.where((ActionItem.responsible_user_id == user.id) | (ClientCompany.consultant_id == user.id))
        for r in session.execute(query.limit(MAX_EVENTS)):
            add("action", r.deadline, r.title, r.cid, r.name, "action", r.id, r.deadline < today)
    if "certificate" in wanted:
        for r in session.execute(select(Certificate.id, Certificate.number, Certificate.cert_class, Certificate.valid_until,
                                        ClientCompany.id.label("cid"), ClientCompany.name)
                                 .join(ClientCompany, ClientCompany.id == Certificate.company_id)
                                 .where(Certificate.state == "active", Certificate.valid_until.between(start, end),
                                        ClientCompany.id.in_(scoped)).limit(MAX_EVENTS)):
            add("certificate", r.valid_until, f"Sertifikat {r.number} (klasse {r.cert_class}) utløper", r.cid, r.name,
                "certificate", r.id)
    for kind, model, label, target in (("mapping", PhysicalMapping, "Fysisk kartlegging", "physical_mapping"),
                                       ("round", SafetyRound, "Vernerunde", "safety_round")):
        if kind not in wanted:
            continue
        for r in session.execute(select(model.id, model.planned_on, ClientCompany.id.label("cid"), ClientCompany.name)
                                 .join(CertificationYear, CertificationYear.id == model.year_id)
                                 .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
                                 .where(model.status == "draft", model.planned_on.between(start, end),
                                        ClientCompany.id.in_(scoped)).limit(MAX_EVENTS)):
            add(kind, r.planned_on, label, r.cid, r.name, target, r.id)
    order = {k: n for n, k in enumerate(KINDS)}
    out.sort(key=lambda e: (e["on"], order[e["kind"]], e["company"], e["target_id"]))
    return out[:MAX_EVENTS]


def month_grid(year: int, month: int, items: list[dict]) -> list[list[dict]]:
    """Weeks (Monday first) of ``month``: each day as {"date", "in_month", "events"}."""
    by_day = defaultdict(list)
    for item in items:
        by_day[item["on"]].append(item)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[dict(date=d, in_month=d.month == month, events=by_day.get(d, [])) for d in week] for week in weeks]


def month_range(year: int, month: int) -> tuple[date, date]:
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return weeks[0][0], weeks[-1][-1]


# -- the private feed --------------------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_status(session: Session, user_id: int) -> dict:
    row = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return dict(active=row is not None, created_at=row.created_at if row else None, last_used_at=row.last_used_at if row else None)


def new_feed(session: Session, user: User) -> str:
    """Make (or replace) the user's feed and return its token, the only time it is seen: the old link stops."""
    token = secrets.token_urlsafe(32)
    row = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if row is None:
        row = CalendarFeed(user_id=user.id)
        session.add(row)
    row.token_hash, row.created_at, row.last_used_at = _hash(token), utcnow(), None
    session.flush()
    return token


def revoke_feed(session: Session, user: User) -> bool:
    row = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def feed_user(session: Session, token: str) -> User | None:
    """The active user whose feed the token opens in the bound tenant, or None."""
    if not token or len(token) > 100:
        return None
    digest = _hash(token)
    row = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    user = session.scalar(select(User).where(User.id == row.user_id, User.active.is_(True)))
    if user is not None:
        row.last_used_at = utcnow()
    return user


def feed_events(session: Session, user: User, today: date) -> list[dict]:
    return events(session, user, today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD),
                  mine_only=user.is_staff, today=today)
