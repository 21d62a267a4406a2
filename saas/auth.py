"""Logging in, roles, API tokens, and the hooks that put a request inside its tenant.

The tenant of a request comes from the authenticated user (session cookie or bearer token) together
with the ``<slug>`` in the URL, never from a header the client sets.  A user of another tenant gets 404.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache, wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, jsonify, make_response, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from saas.db import current_session, utcnow
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import ApiToken, OneTimeToken, Role, Tenant, User, UserSession

login_manager = LoginManager()
login_manager.login_view = "public.login"
login_manager.login_message = _l("Logg inn for å fortsette.")
login_manager.session_protection = "basic"

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def configure_password_hasher(params: dict | None) -> None:
    """Tests use cheap argon2 parameters; production keeps argon2-cffi's defaults."""
    global _hasher, _DUMMY_HASH
    if params:
        _hasher = PasswordHasher(**params)
        _DUMMY_HASH = _hasher.hash("not-a-real-password")

TOKEN_PREFIX = "hms_"
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password) and bool(
            user and user.password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


SESSION_LIFETIME = timedelta(hours=12)


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a live server-side session (see ``start_session``); None ends the visit as anonymous."""
    if not session_id or len(session_id) > 100:
        return None
    session = current_session()
    with platform_access(session):
        # The session row, the user, its roles and its tenant in one statement.
        user, _row = _user_with_roles_and_tenant(session, _by_session(), digest=token_digest(session_id), now=utcnow())
    if user is None or not user.active:
        return None
    user.session_token = session_id
    return user


def start_session(session, user: User) -> None:
    """A new server-side session for ``user``; its random id becomes the cookie's user id (``get_id``)."""
    token = secrets.token_urlsafe(32)
    with platform_access(session):
        _forget_old_sessions(session, user)
        session.add(UserSession(user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + SESSION_LIFETIME))
    user.session_token = token


def end_sessions(session, user: User) -> None:
    """End every browser session of ``user`` now, on every device (logout, password change, disabling)."""
    with platform_access(session):
        session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
        _forget_old_sessions(session, user)


def _forget_old_sessions(session, user: User) -> None:
    # Rows that ended long ago are of no use to anyone: the table keeps live sessions and a day's history.
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.expires_at < utcnow() - timedelta(days=1))
                    .execution_options(synchronize_session=False))


def revoke_api_tokens(session, user: User) -> int:
    """Revoke every API token of ``user`` (password change or reset, disabling); returns how many."""
    with platform_access(session):
        return session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                               .values(revoked_at=utcnow()).execution_options(synchronize_session=False)).rowcount


# What other packages read about the signed-in user on every page, riding on the session lookup instead of
# a statement of its own: name -> a function making a scalar subquery correlated to ``User.id`` (the menu's
# unread notifications).  Registered when the package is imported, before the first request builds the lookup;
# the values are in ``session_user_extras()``.
SESSION_LOOKUP_EXTRAS: dict = {}


def session_user_extras() -> dict:
    """The ``SESSION_LOOKUP_EXTRAS`` values read with this request's session user (empty for a bearer token
    or no user): as the request began, so a page that changes them must read them again."""
    return g.get("session_user_extras", {})


def _user_with_roles_and_tenant(session, statement, **params):
    """The user, its roles and its tenant with what names the user (a session's id or an API token's row), in
    one statement (``_by_session`` or ``_by_api_token``), as ``(user, row)`` (``(None, None)`` when none
    matches); the tenant is kept in ``g.user_tenant`` so that ``enter_tenant`` need not read it again."""
    row = session.execute(statement, params).unique().first()
    if row is None:
        return None, None
    user, g.user_tenant, joined, *extras = row
    if extras:
        g.session_user_extras = dict(zip(SESSION_LOOKUP_EXTRAS, extras))
    return user, joined


def _lookup(join, joined, *where, extras=()):
    return (select(User, Tenant, joined, *extras).join(join, join.user_id == User.id)
            .outerjoin(Tenant, Tenant.id == User.tenant_id).where(*where).options(joinedload(User.role_rows)))


# Built once: every signed-in request runs one of them, and one built per request pays its construction and
# a fresh cache key (about 470 of the 5,500 Python calls of an API read).
@cache
def _by_session():
    return _lookup(UserSession, UserSession.id, UserSession.token_hash == bindparam("digest"),
                   UserSession.revoked_at.is_(None), UserSession.expires_at > bindparam("now"),
                   extras=[make().label(name) for name, make in SESSION_LOOKUP_EXTRAS.items()])


@cache
def _by_api_token():
    return _lookup(ApiToken, ApiToken, ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))


def user_from_bearer() -> User | None:
    """The user behind ``Authorization: Bearer <token>``, or None.  Marks the token as used."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        return None
    session = current_session()
    with platform_access(session):
        # The token, its user, the user's roles and tenant in one statement.
        user, row = _user_with_roles_and_tenant(session, _by_api_token(), digest=token_digest(token.strip()))
        if user is None or not user.active:
            return None
        now = utcnow()
        # A read stays a read: the token's last use is written at most every few minutes.
        if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
            row.last_used_at = now
        return user


def create_api_token(session, user: User, name: str) -> tuple[ApiToken, str]:
    """Return the new token row and the token itself (shown once, never stored)."""
    token = new_secret_token(TOKEN_PREFIX)
    row = ApiToken(user_id=user.id, tenant_id=user.tenant_id, name=name, prefix=token[:10], token_hash=token_digest(token))
    session.add(row)
    session.flush()
    return row, token


def create_one_time_token(session, user: User, purpose: str, valid_for: timedelta) -> str:
    """A new link of ``purpose`` for ``user``; every older unused link of the same purpose stops working."""
    revoke_one_time_tokens(session, user, purpose)
    token = new_secret_token()
    session.add(
        OneTimeToken(
            user_id=user.id, tenant_id=user.tenant_id, purpose=purpose,
            token_hash=token_digest(token), expires_at=utcnow() + valid_for,
        )
    )
    session.flush()
    return token


def revoke_one_time_tokens(session, user: User, purpose: str) -> None:
    with platform_access(session):
        session.execute(update(OneTimeToken).where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose,
                                                   OneTimeToken.used_at.is_(None))
                        .values(used_at=utcnow()).execution_options(synchronize_session=False))


def redeem_one_time_token(session, token: str, purpose: str) -> User | None:
    """Mark the token used and return its user; None when unknown, used or expired."""
    with platform_access(session):
        row = session.scalar(
            select(OneTimeToken).where(OneTimeToken.token_hash == token_digest(token), OneTimeToken.purpose == purpose)
        )
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            return None
        row.used_at = utcnow()
        return row.user


def enter_tenant(slug: str, *, api: bool = False) -> Tenant:
    """Bind the request to the tenant named by ``slug`` if the authenticated user belongs to it.

    Anonymous visitors are sent to the login page (or get 401 from the API); users of any other tenant,
    and platform operators, get 404 so the tenant's existence is not revealed.
    """
    session = current_session()
    user = user_from_bearer() if api else current_user
    if api:
        g._login_user = user  # flask-login's current_user for this request only; no cookie is involved
        if user is None:
            abort(401)
    elif not user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    tenant = g.get("user_tenant")  # read together with the user
    if tenant is None or tenant.slug != slug or not tenant.active:
        with platform_access(session):
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug, Tenant.active.is_(True)))
    if tenant is None or user.tenant_id != tenant.id:
        abort(404)
    if tenant.suspended:
        refuse_suspended(tenant, api=api)
    bind_tenant(session, tenant.id)
    g.tenant = tenant
    from saas.billing.guard import refuse_writes_when_lapsed

    refuse_writes_when_lapsed()  # a lapsed subscription keeps read access and exports, nothing else
    return tenant


def suspended_message(tenant: Tenant) -> str:
    return gettext("Tilgangen til %(name)s er stengt inntil videre, så du kan ikke logge inn eller bruke API-et. "
                   "Ta kontakt med %(name)s eller med driften av tjenesten.", name=tenant.name)


def refuse_suspended(tenant: Tenant, *, api: bool) -> None:
    """Abort with 403 for a member of a suspended tenant: a page saying why, or JSON for the API."""
    message = suspended_message(tenant)
    if api:
        abort(make_response(jsonify(error="tenant_suspended", message=message), 403))
    from flask import render_template

    abort(make_response(render_template("errors/error.html", code=403, message=message), 403))


def enter_public_tenant(slug: str) -> Tenant:
    """For public pages of a tenant (register): bind the tenant without a user."""
    session = current_session()
    # A signed-in visitor's user is read first (the page's menu needs it anyway): it comes with its tenant,
    # which is the page's when they look at their own provider, and under the same platform seal as the
    # lookup below, instead of a platform seal, the user and a tenant seal again in the middle of the page.
    tenant = g.get("user_tenant") if current_user.is_authenticated else None
    if tenant is None or tenant.slug != slug or not tenant.active:
        with platform_access(session):
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug, Tenant.active.is_(True)))
    if tenant is None:
        abort(404)
    bind_tenant(session, tenant.id)
    g.tenant = tenant
    return tenant


def public(view):
    """Mark a view under /t/<slug>/ that anyone may see (no login)."""
    view.is_public = True
    return view


def require_roles(*roles: Role):
    """Allow the view to users holding any of ``roles`` within the bound tenant (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


staff_required = require_roles(Role.ADMIN, Role.CONSULTANT, Role.REVIEWER)
admin_required = require_roles(Role.ADMIN)


def operator_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not current_user.is_operator:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def api_unauthorized():
    response = jsonify(error="unauthorized", message="Mangler eller ugyldig API-nøkkel (Authorization: Bearer <token>).")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def tenant_blueprint(name: str, import_name: str, prefix: str = "", api: bool = False):
    """A blueprint under ``/t/<slug>`` (or ``/api/v1/t/<slug>``) whose views run inside the tenant.

    The slug is consumed here, so views never see it and ``url_for`` fills it in from the request.
    """
    from flask import Blueprint

    base = "/api/v1/t/<slug>" if api else "/t/<slug>"
    bp = Blueprint(name, import_name, url_prefix=base + prefix)

    @bp.url_value_preprocessor
    def _enter(endpoint, values):
        slug = values.pop("slug")
        view = current_app.view_functions.get(endpoint)
        if getattr(view, "is_public", False):
            enter_public_tenant(slug)
        else:
            enter_tenant(slug, api=api)

    @bp.url_defaults
    def _slug(endpoint, values):
        if "slug" not in values and "tenant" in g and current_app.url_map.is_endpoint_expecting(endpoint, "slug"):
            values["slug"] = g.tenant.slug

    return bp
