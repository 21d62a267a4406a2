"""Tenants, users, roles, invitations and passwords."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from flask import current_app, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saas import auth
from saas.audit.services import record
from saas.db import utcnow
from saas.jobs import enqueue, job
from saas.mail import send_mail
from saas.schemas import FieldErrors
from saas.tenancy import bind_tenant, bound_tenant, each_bound, platform_access
from saas.tenants import hooks
from saas.tenants.models import DEFAULT_TENANT_SETTINGS, Role, Tenant, User, UserRole

INVITE_VALID = timedelta(days=7)
RESET_VALID = timedelta(hours=2)


def each_tenant(session: Session, *, active_only: bool = True, reachable_only: bool = False) -> Iterator[Tenant]:
    """For a daily job: the bound tenant alone when the job runs for one, or else every (active) tenant
    in turn, bound while it is handled (see ``tenancy.each_bound``).  ``reachable_only`` leaves out
    suspended tenants (their people can't log in, so mail that sends them to a page is pointless)."""
    bound = bound_tenant(session)
    if bound is not None:
        tenant = session.get(Tenant, bound)
        if not (reachable_only and tenant.suspended_at is not None):
            yield tenant
            session.flush()
        return
    query = select(Tenant).order_by(Tenant.id)
    if active_only:
        query = query.where(Tenant.active.is_(True))
    if reachable_only:
        query = query.where(Tenant.suspended_at.is_(None))
    with platform_access(session):  # the tenants table is platform-level under row-level security
        tenants = {tenant.id: tenant for tenant in session.scalars(query)}
    for tenant_id in each_bound(session, list(tenants)):
        yield tenants[tenant_id]


def create_tenant(session: Session, data: dict, actor: User | None = None) -> Tenant:
    """Create a provider.  Raises FieldErrors when the slug is taken."""
    with platform_access(session):
        if session.scalar(select(Tenant.id).where(Tenant.slug == data["slug"])):
            raise FieldErrors({"slug": "Denne kortnavnet er allerede i bruk."})
        tenant = Tenant(**{k: v for k, v in data.items() if hasattr(Tenant, k)}, settings=dict(DEFAULT_TENANT_SETTINGS))
        session.add(tenant)
        session.flush()
        hooks.tenant_created(session, tenant)
    return tenant


MAX_REASON_LENGTH = 500


def _clean_reason(reason: str | None, field: str = "reason") -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise FieldErrors({field: gettext("Skriv en begrunnelse.")})
    if len(text) > MAX_REASON_LENGTH:
        raise FieldErrors({field: gettext("Begrunnelsen kan være høyst %(n)s tegn.", n=MAX_REASON_LENGTH)})
    return text


def _record_for_tenant(session: Session, tenant: Tenant, actor: User | None, action: str, summary: str, **data) -> None:
    """An audit event in the tenant's own log (its admins see who closed or reopened it, and why)."""
    previous = bound_tenant(session)
    bind_tenant(session, tenant.id)
    try:
        record(session, actor, action, tenant, summary, **data)
        session.flush()
    finally:
        bind_tenant(session, previous)


def suspend_tenant(session: Session, tenant_id: int, actor: User, reason: str | None) -> Tenant:
    """Close the tenant: its staff and client contacts can no longer log in or use the API (see
    ``saas.auth.enter_tenant``); its public register and verification keep answering.  The reason is
    required and audit-logged.  Raises FieldErrors (no reason, already suspended) or LookupError."""
    text = _clean_reason(reason)
    with platform_access(session):
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError(tenant_id)
        if tenant.suspended_at is not None:
            raise FieldErrors({"reason": gettext("Tilbyderen er allerede stengt.")})
        tenant.suspended_at = utcnow()
        tenant.suspension_reason = text
    _record_for_tenant(session, tenant, actor, "tenant.suspended", f"Tilbyderen stengt av plattformen: {text}", reason=text)
    return tenant


def reactivate_tenant(session: Session, tenant_id: int, actor: User, reason: str | None) -> Tenant:
    """Open a suspended tenant again (logins and the API work again); the reason is audit-logged.
    Raises FieldErrors (no reason, not suspended) or LookupError."""
    text = _clean_reason(reason)
    with platform_access(session):
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError(tenant_id)
        if tenant.suspended_at is None:
            raise FieldErrors({"reason": gettext("Tilbyderen er ikke stengt.")})
        previous = tenant.suspension_reason
        tenant.suspended_at = None
        tenant.suspension_reason = ""
    _record_for_tenant(session, tenant, actor, "tenant.reactivated", f"Tilbyderen åpnet igjen av plattformen: {text}",
                       reason=text, suspension_reason=previous)
    return tenant


def email_taken(session: Session, email: str, except_id: int | None = None) -> bool:
    with platform_access(session):
        query = select(User.id).where(func.lower(User.email) == email.lower())
        if except_id:
            query = query.where(User.id != except_id)
        return session.scalar(query) is not None


def create_user(session: Session, tenant_id: int | None, email: str, name: str, roles, password: str | None = None,
                is_operator: bool = False, phone: str = "") -> User:
    """Create a user in the bound tenant (or a platform operator with ``tenant_id=None``)."""
    email = email.strip().lower()
    if email_taken(session, email):
        raise FieldErrors({"email": "Det finnes allerede en bruker med denne e-postadressen."})
    user = User(
        tenant_id=tenant_id, email=email, name=name, phone=phone, is_operator=is_operator,
        password_hash=auth.hash_password(password) if password else None,
    )
    user.role_rows = [UserRole(role=Role(r).value, tenant_id=tenant_id) for r in sorted(set(roles))]
    if tenant_id is None:
        with platform_access(session):
            session.add(user)
            session.flush()
    else:
        session.add(user)
        session.flush()
    return user


def set_roles(session: Session, user: User, roles) -> None:
    wanted = {Role(r).value for r in roles}
    for row in list(user.role_rows):
        if row.role not in wanted:
            user.role_rows.remove(row)
    have = {r.role for r in user.role_rows}
    for role in sorted(wanted - have):
        user.role_rows.append(UserRole(role=role, tenant_id=user.tenant_id))
    session.flush()


def invite_user(session: Session, tenant: Tenant, actor: User, data: dict) -> User:
    """Create the user without a password and e-mail a link to choose one."""
    user = create_user(session, tenant.id, data["email"], data["name"], data["roles"], phone=data.get("phone", ""))
    send_invitation(session, tenant, user)
    record(session, actor, "user.invited", user, f"Inviterte {user.email}", roles=sorted(data["roles"]))
    return user


def send_invitation(session: Session, tenant: Tenant, user: User) -> None:
    token = auth.create_one_time_token(session, user, "invite", INVITE_VALID)
    link = current_app.config["PUBLIC_BASE_URL"] + url_for("public.accept_invite", token=token)
    send_mail(session, user.email, f"Invitasjon til {tenant.name}", "invite", tenant_id=tenant.id,
              name=user.name, tenant_name=tenant.name, link=link, days=INVITE_VALID.days)


MAX_EMAIL_LENGTH = 254


def request_password_reset(session: Session, email: str) -> None:
    """Queue the reset e-mail for ``email``.  The request does the same for every address, known or not
    (one job enqueued after the commit, no lookup), so neither its answer nor its time tells whether the
    address has an account; the job looks the address up and mails only an active user."""
    address = (email or "").strip().lower()[:MAX_EMAIL_LENGTH]
    enqueue(session, send_password_reset, address, tenant_id=None)


@job
def send_password_reset(session: Session, email: str) -> None:
    """Mail a new reset link to the active user with address ``email`` (older links stop working);
    nothing for an unknown or disabled address."""
    with platform_access(session):
        user = session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
        if user is None or not user.active:
            return
        token = auth.create_one_time_token(session, user, "reset", RESET_VALID)
    link = f"{current_app.config['PUBLIC_BASE_URL']}/password/reset/{token}"
    send_mail(session, user.email, "Tilbakestill passordet ditt", "reset", tenant_id=user.tenant_id,
              name=user.name, link=link, hours=int(RESET_VALID.total_seconds() // 3600))


def end_everything(session: Session, user: User) -> None:
    """End every session, API token and unused reset link of ``user`` (the password changed or the
    account was disabled: whoever held any of them must prove themselves again)."""
    user.session_version += 1
    auth.end_sessions(session, user)
    auth.revoke_api_tokens(session, user)
    auth.revoke_one_time_tokens(session, user, "reset")


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password and end every session and API token of the user."""
    user.password_hash = auth.hash_password(password)
    end_everything(session, user)
    if user.tenant_id is not None:
        bind_tenant(session, user.tenant_id)
        record(session, user, "user.password_changed", user, "Passord endret")
    session.flush()


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise FieldErrors({"active": "Du kan ikke deaktivere deg selv."})
    user.active = active
    if not active:
        end_everything(session, user)
    record(session, actor, "user.enabled" if active else "user.disabled", user, user.email)
    session.flush()


def revoke_token(session: Session, actor: User, token) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, actor, "token.revoked", token, token.name)


def branding(tenant: Tenant) -> dict:
    """Plain data about the provider for PDFs and e-mails, with logo and signature as data: URIs."""
    from saas import storage
    from saas.pdf import data_uri

    def image(key: str | None) -> str | None:
        if not key or not storage.exists(key):
            return None
        return data_uri(storage.read(key), "image/png" if key.endswith(".png") else "image/jpeg")

    return dict(
        id=tenant.id, slug=tenant.slug, name=tenant.name, org_number=tenant.org_number, address=tenant.address,
        postcode=tenant.postcode, city=tenant.city, contact_email=tenant.contact_email, vat_registered=tenant.vat_registered,
        primary_color=tenant.primary_color, accent_color=tenant.accent_color, signatory_name=tenant.signatory_name,
        signatory_title=tenant.signatory_title, logo_uri=image(tenant.logo_file), signature_uri=image(tenant.signature_file),
    )
