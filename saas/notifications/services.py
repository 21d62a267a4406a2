"""Notifications: who hears about what, reading and marking them, the counts in the menu, and the daily
e-mail digest.

Nothing below this floor imports this module.  It listens instead (``subscribe()``, run once when the
package is imported): to every audit event (``saas.audit.services.event_recorded``), in the transaction
that recorded it, and to failed jobs (``saas.jobs.job_failed``), in a session of its own.

Who hears about what:
* a proposal is made (``certification.proposed``) → the tenant's reviewers, except the proposer;
* a decision is made (``certification.approved`` / ``.returned``) → the year's consultant and the proposer;
* a client uploads evidence (``evidence.uploaded`` by a non-staff user) → the year's consultant;
* an action is assigned to someone (created with, or bulk-assigned to, a responsible user) → that user;
* a client contact closes an action (``action.progress`` to done) → the year's consultant;
* an action becomes overdue (daily job) → its responsible user and the year's consultant, once per deadline;
* a report or certificate document fails to render → whoever asked for it, else the tenant's admins.
Nobody is told about their own act.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.auth import SESSION_LOOKUP_EXTRAS
from saas.db import utcnow
from saas.notifications.models import Notification, NotificationSettings
from saas.tenants.models import Role, User, UserRole

PAGE_SIZE = 50
KIND_LABELS = {
    "proposal_made": "Forslag venter på beslutning",
    "decision_made": "Beslutning tatt",
    "evidence_uploaded": "Ny fil fra kunden",
    "action_assigned": "Tiltak tildelt deg",
    "action_closed": "Tiltak lukket av kunden",
    "action_overdue": "Tiltak over fristen",
    "document_failed": "Dokument feilet",
}
# The page a notification opens: (endpoint, its id parameter).
TARGET_ENDPOINTS = {
    "year": ("years.detail", "year_id"),
    "certification_year": ("certification.year", "year_id"),
    "action": ("actions.detail", "action_id"),
    "evidence": ("evidence.history", "evidence_id"),
    "physical_mapping": ("years.mapping", "mapping_id"),
    "psychosocial_mapping": ("years.psychosocial", "psy_mapping_id"),
    "certificate": ("certification.certificate", "certificate_id"),
}


def notify(session: Session, user_ids, kind: str, title: str, target_type: str = "", target_id: int | None = None,
           *, exclude: int | None = None, dedupe_key: str = "") -> int:
    """Add a notification for each user (once per user; ``exclude`` is the actor).  With ``dedupe_key`` a
    user gets it at most once ever (a savepoint absorbs the repeat).  Returns how many were added."""
    added = 0
    for user_id in sorted({u for u in user_ids if u is not None and u != exclude}):
        row = Notification(user_id=user_id, kind=kind, title=title[:300], target_type=target_type, target_id=target_id,
                           dedupe_key=dedupe_key)
        if dedupe_key:
            exists = session.scalar(select(Notification.id).where(Notification.user_id == user_id,
                                                                  Notification.dedupe_key == dedupe_key))
            if exists is not None:
                continue
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # a concurrent run added it first
                continue
        else:
            session.add(row)
        added += 1
    session.flush()
    return added


def _reviewers(session: Session) -> list[int]:
    return list(session.scalars(select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(
        UserRole.role == Role.REVIEWER.value, User.active.is_(True)).distinct()))


def _admins(session: Session) -> list[int]:
    return list(session.scalars(select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(
        UserRole.role == Role.ADMIN.value, User.active.is_(True)).distinct()))


def _year_people(session: Session, year_id: int):
    """(company name, year, consultant id of the year or else the company) of a certification year."""
    from saas.clients.models import ClientCompany
    from saas.hms.models import CertificationYear

    return session.execute(select(ClientCompany.name, CertificationYear.year,
                                  func.coalesce(CertificationYear.consultant_id, ClientCompany.consultant_id))
                           .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
                           .where(CertificationYear.id == year_id)).first()


# -- reacting to audit events ---------------------------------------------------------------------------

def on_event(session: Session, event, actor, obj) -> None:
    """Receiver of ``event_recorded``: turn the events people wait on into notifications."""
    handler = _HANDLERS.get(event.action)
    if handler is not None and obj is not None:
        handler(session, event, getattr(actor, "id", None), actor, obj)


def _proposed(session, event, actor_id, actor, proposal) -> None:
    company, year, _ = _year_people(session, proposal.year_id)
    label = "B (andre grunner)" if proposal.b_alternative else proposal.cert_class
    notify(session, _reviewers(session), "proposal_made", f"{company} {year}: forslag om klasse {label} venter på beslutning",
           "certification_year", proposal.year_id, exclude=actor_id)


def _decided(session, event, actor_id, actor, decision) -> None:
    from saas.certification.models import CertificationProposal

    company, year, consultant_id = _year_people(session, decision.year_id)
    proposer = session.scalar(select(CertificationProposal.proposed_by).where(CertificationProposal.id == decision.proposal_id))
    what = "godkjent" if event.action == "certification.approved" else "sendt tilbake"
    notify(session, [consultant_id, proposer], "decision_made", f"{company} {year}: forslaget er {what}",
           "certification_year", decision.year_id, exclude=actor_id)


def _evidence(session, event, actor_id, actor, evidence) -> None:
    if actor is None or actor.is_staff or evidence.year_id is None:
        return
    company, year, consultant_id = _year_people(session, evidence.year_id)
    notify(session, [consultant_id], "evidence_uploaded", f"{company} {year}: ny fil «{evidence.original_name}» venter på kontroll",
           "evidence", evidence.id, exclude=actor_id)


def _action_assigned(session, event, actor_id, actor, item) -> None:
    if item.responsible_user_id is None:
        return
    company, year, _ = _year_people(session, item.year_id)
    notify(session, [item.responsible_user_id], "action_assigned", f"{company} {year}: «{item.title}» er tildelt deg",
           "action", item.id, exclude=actor_id)


def _action_progress(session, event, actor_id, actor, item) -> None:
    if actor is None or actor.is_staff or item.status != "done":
        return
    company, year, consultant_id = _year_people(session, item.year_id)
    notify(session, [consultant_id], "action_closed", f"{company} {year}: «{item.title}» er lukket og venter på verifisering",
           "action", item.id, exclude=actor_id)


_HANDLERS = {
    "certification.proposed": _proposed,
    "certification.approved": _decided,
    "certification.returned": _decided,
    "evidence.uploaded": _evidence,
    "action.created": _action_assigned,
    "action.assigned": _action_assigned,
    "action.progress": _action_progress,
}


# -- failed documents -------------------------------------------------------------------------------------

# Job name → (what it makes, target type, index of the id argument, index of the asking user's id or None)
DOCUMENT_JOBS = {
    "saas.hms.jobs.generate_mapping_report": ("Rapporten for den fysiske kartleggingen", "physical_mapping", 0, 2),
    "saas.hms.jobs.generate_psychosocial_report": ("Rapporten for den psykososiale kartleggingen", "psychosocial_mapping", 0, 2),
    "saas.certification.document_jobs.render_certificate_document": ("Sertifikatdokumentet", "certificate", 0, None),
}


def on_job_failed(app, name: str, tenant_id: int | None, args: list, error: Exception) -> None:
    """Receiver of ``job_failed``: a document job that failed tells whoever asked (else the admins), in a
    session of its own (the job's own rolled back)."""
    spec = DOCUMENT_JOBS.get(name)
    if spec is None or tenant_id is None:
        return
    what, target_type, id_at, user_at = spec
    from saas.tenancy import bind_tenant

    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, tenant_id)
        asked_by = args[user_at] if user_at is not None and len(args) > user_at else None
        users = [asked_by] if asked_by else _admins(session)
        reason = str(error)[:120] or type(error).__name__
        notify(session, users, "document_failed", f"{what} kunne ikke lages: {reason}", target_type,
               args[id_at] if len(args) > id_at else None)


# -- overdue actions (daily) ----------------------------------------------------------------------------

def notify_overdue(session: Session, today: date) -> int:
    """Notify the responsible user and the year's consultant of every open item past its deadline, once per
    item and deadline (a moved deadline that passes again notifies again).  Returns how many were added."""
    from saas.clients.models import ClientCompany
    from saas.hms.models import ActionItem, CertificationYear

    rows = session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.deadline, ActionItem.responsible_user_id, ClientCompany.name,
               func.coalesce(CertificationYear.consultant_id, ClientCompany.consultant_id).label("consultant_id"))
        .join(CertificationYear, CertificationYear.id == ActionItem.year_id)
        .join(ClientCompany, ClientCompany.id == CertificationYear.company_id)
        .where(ActionItem.status != "done", ActionItem.deadline < today, CertificationYear.status == "open")
        .order_by(ActionItem.id)).all()
    added = 0
    for r in rows:
        added += notify(session, [r.responsible_user_id, r.consultant_id], "action_overdue",
                        f"{r.name}: «{r.title}» passerte fristen {r.deadline.strftime('%d.%m.%Y')}", "action", r.id,
                        dedupe_key=f"overdue-{r.id}-{r.deadline.isoformat()}")
    return added


# -- reading ---------------------------------------------------------------------------------------------

def unread_count_query(user_id: int):
    return select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))


def _unread_of_the_session_user():
    # Rides on the signed-in user's lookup (saas.auth.SESSION_LOOKUP_EXTRAS): the menu's count without a
    # statement of its own.  The lookup runs with platform access; the user id alone picks the rows.
    return unread_count_query(User.id).scalar_subquery()


SESSION_LOOKUP_EXTRAS["unread_notifications"] = _unread_of_the_session_user


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(unread_count_query(user_id)) or 0


def menu_counts(session: Session, user_id: int, queue_count=None, unread: int | None = None) -> dict:
    """The menu's counts: the user's unread notifications (``unread`` when already read, see
    ``_unread_of_the_session_user``) and, when ``queue_count`` (a scalar subquery built once) is given, that
    count as ``queue`` (else 0); at most one statement."""
    if unread is not None and queue_count is None:
        return dict(notifications=unread, queue=0)
    row = session.execute(_menu_statement(queue_count, unread is None), {"user_id": user_id}).one()
    if unread is None:
        unread, row = row[0], row[1:]
    return dict(notifications=unread or 0, queue=row[0] if queue_count is not None and row[0] else 0)


@lru_cache(maxsize=8)
def _menu_statement(queue_count, with_unread: bool = True):
    # Built once (per queue count): every page of a tenant draws the menu.
    unread = [unread_count_query(bindparam("user_id")).scalar_subquery()] if with_unread else []
    return select(*unread) if queue_count is None else select(*unread, queue_count)


def _plain(n: Notification) -> dict:
    return dict(id=n.id, kind=n.kind, kind_label=KIND_LABELS.get(n.kind, n.kind), title=n.title,
                target_type=n.target_type, target_id=n.target_id, created_at=n.created_at, read=n.read_at is not None)


def list_for(session: Session, user_id: int, unread_only: bool = False, page: int = 1,
             per_page: int = PAGE_SIZE) -> tuple[list[dict], int]:
    """The user's notifications, newest first, as plain data, and the total."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page))
    return [_plain(n) for n in rows], total


def get_own(session: Session, user_id: int, notification_id: int) -> Notification | None:
    """The user's own notification, or None (another user's is as good as missing)."""
    return session.scalar(select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id))


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of the user as read; returns how many."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.execute(query.values(read_at=utcnow())).rowcount or 0


# -- the daily digest -------------------------------------------------------------------------------------

def settings_for(session: Session, user_id: int) -> dict:
    row = session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    return dict(daily_digest=bool(row and row.daily_digest))


def save_settings(session: Session, user_id: int, daily_digest: bool) -> None:
    row = session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    if row is None:
        row = NotificationSettings(user_id=user_id)
        session.add(row)
    row.daily_digest = daily_digest
    session.flush()


@dataclass(frozen=True)
class Digest:
    user_id: int
    email: str
    name: str
    items: tuple[dict, ...]


def due_digests(session: Session, now: datetime) -> list[Digest]:
    """The digests due for the bound tenant: each opted-in active user's unread notifications since their
    last digest (at most the last day), skipping users with nothing new or a digest in the last 20 hours."""
    out = []
    settings = session.execute(select(NotificationSettings, User.email, User.name)
                               .join(User, User.id == NotificationSettings.user_id)
                               .where(NotificationSettings.daily_digest.is_(True), User.active.is_(True))
                               .order_by(NotificationSettings.user_id)).all()
    for row, email, name in settings:
        if row.last_digest_at is not None and now - row.last_digest_at < timedelta(hours=20):
            continue
        since = max(row.last_digest_at or now - timedelta(days=1), now - timedelta(days=1))
        items = session.scalars(select(Notification).where(Notification.user_id == row.user_id, Notification.read_at.is_(None),
                                                           Notification.created_at > since).order_by(Notification.id)).all()
        if items and email:
            out.append(Digest(row.user_id, email, name, tuple(_plain(n) for n in items)))
    return out


def send_digests(session: Session, tenant, now: datetime) -> int:
    """E-mail each due digest of the bound tenant once (``last_digest_at`` is the claim); returns how many."""
    from flask import current_app

    from saas.mail import send_mail

    sent = 0
    for digest in due_digests(session, now):
        claimed = session.execute(update(NotificationSettings).where(
            NotificationSettings.user_id == digest.user_id,
            (NotificationSettings.last_digest_at.is_(None)) | (NotificationSettings.last_digest_at < now - timedelta(hours=20)))
            .values(last_digest_at=now)).rowcount
        if not claimed:
            continue
        base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
        send_mail(session, digest.email, f"{len(digest.items)} nye varsler fra {tenant.name}", "daily_digest",
                  tenant_id=tenant.id, name=digest.name, items=list(digest.items), tenant_name=tenant.name,
                  url=f"{base}/t/{tenant.slug}/notifications")
        sent += 1
    return sent


def subscribe() -> None:
    """Connect the receivers (idempotent: blinker keeps one connection per receiver)."""
    from saas.audit.services import event_recorded
    from saas.jobs import job_failed

    event_recorded.connect(_audit_receiver, weak=False)
    job_failed.connect(_job_receiver, weak=False)


def _audit_receiver(session, event, actor, obj) -> None:
    on_event(session, event, actor, obj)


def _job_receiver(app, name, tenant_id, args, error) -> None:
    on_job_failed(app, name, tenant_id, args, error)
