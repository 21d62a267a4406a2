"""Pages without a tenant: front page, login, password reset, invitations, language."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session as cookie, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from saas import auth, throttle
from saas.app import limiter
from saas.db import current_session, utcnow
from saas.i18n import LANGUAGES
from saas.schemas import FieldErrors, load_form
from saas.tenancy import platform_access
from saas.tenants import services
from saas.tenants.models import Tenant, User
from saas.tenants.schemas import PasswordSchema
from saas.urls import safe_next

bp = Blueprint("public", __name__)


def home_url(user: User) -> str:
    if user.is_operator:
        return url_for("platform.tenants")
    session = current_session()
    with platform_access(session):
        slug = session.scalar(select(Tenant.slug).where(Tenant.id == user.tenant_id))
    return url_for("tenants.home", slug=slug)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return render_template("public/index.html")


TOO_MANY_LOGINS = lazy_gettext("For mange mislykkede innlogginger. Vent noen minutter og prøv igjen.")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("public/login.html", email="")
    session = current_session()
    email = request.form.get("email", "").strip().lower()
    # The attempt is counted before the password is checked, so a parallel burst gets no more checks than
    # the limit; the count is per address and client, so others can't lock the owner out (see saas.throttle).
    if not throttle.take_attempt(throttle.LOGIN, email, request.remote_addr):
        return render_template("errors/error.html", code=429, message=TOO_MANY_LOGINS), 429
    with platform_access(session):
        user = session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
        tenant = session.get(Tenant, user.tenant_id) if user is not None and user.tenant_id is not None else None
        tenant_ok = user is not None and (user.is_operator or (tenant is not None and tenant.active))
    if not auth.verify_password(user, request.form.get("password", "")) or not tenant_ok:
        return render_template("public/login.html", email=email, error=gettext("Feil e-postadresse eller passord.")), 422
    throttle.succeeded(throttle.LOGIN, email, request.remote_addr)
    if not user.active:
        return render_template("public/login.html", email=email, error=gettext("Kontoen er deaktivert. Kontakt administratoren.")), 422
    if tenant is not None and tenant.suspended:
        # Said only after the right password, so the message tells nothing to someone guessing addresses.
        return render_template("public/login.html", email=email, error=auth.suspended_message(tenant)), 403
    with platform_access(session):
        user.last_login_at = utcnow()
    lang = cookie.get("lang")
    cookie.clear()  # a fresh session at login; only the chosen language survives
    if lang in LANGUAGES:
        cookie["lang"] = lang
    auth.start_session(session, user)
    login_user(user)
    return redirect(safe_next(request.args.get("next"), home_url(user)))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        auth.end_sessions(current_session(), current_user)  # every copy of every cookie of this user
    logout_user()
    cookie.clear()
    flash(gettext("Du er logget ut."), "info")
    return redirect(url_for("public.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], error_message=lazy_gettext("For mange forespørsler. Vent litt og prøv igjen."))
def forgot_password():
    if request.method == "POST":
        services.request_password_reset(current_session(), request.form.get("email", ""))
        flash(gettext("Hvis adressen er registrert hos oss, har vi sendt en lenke for å velge nytt passord."), "info")
        return redirect(url_for("public.login"))
    return render_template("public/forgot.html")


def _choose_password(token: str, purpose: str, title: str):
    if request.method == "GET":
        return render_template("public/choose_password.html", title=title, errors={})
    session = current_session()
    try:
        data = load_form(PasswordSchema(), request.form)
        if data["password"] != data["password_repeat"]:
            raise FieldErrors({"password_repeat": gettext("Passordene er ikke like.")})
    except FieldErrors as error:
        return render_template("public/choose_password.html", title=title, errors=error.errors), 422
    user = auth.redeem_one_time_token(session, token, purpose)
    if user is None:
        return render_template("public/choose_password.html", title=title, errors={},
                               invalid=gettext("Lenken er ugyldig, allerede brukt eller utløpt. Be om en ny.")), 422
    with platform_access(session):
        services.set_password(session, user, data["password"])
    flash(gettext("Passordet er lagret. Logg inn med det nye passordet."), "success")
    return redirect(url_for("public.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _choose_password(token, "reset", gettext("Velg nytt passord"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    return _choose_password(token, "invite", gettext("Velkommen! Velg passord"))


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in LANGUAGES:
        cookie["lang"] = code
    return redirect(safe_next(request.form.get("next"), "/"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; the icon is the SVG in static/."""
    return current_app.send_static_file("favicon.svg"), 200, {"Content-Type": "image/svg+xml",
                                                              "Cache-Control": "public, max-age=86400"}
