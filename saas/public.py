"""Pages without a tenant: front page, login, password reset, invitations, language."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session as cookie, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from saas import auth
from saas.app import limiter
from saas.db import current_session, utcnow
from saas.i18n import LANGUAGES
from saas.schemas import FieldErrors, load_form
from saas.tenancy import platform_access
from saas.tenants import services
from saas.tenants.models import Tenant, User
from saas.tenants.schemas import PasswordSchema

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


def _login_key() -> str:
    return f"{request.remote_addr}|{request.form.get('email', '').strip().lower()}"


def _failed_login(response) -> bool:
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_login_key, methods=["POST"],
               deduct_when=_failed_login, error_message=lazy_gettext("For mange mislykkede innlogginger. Vent noen minutter og prøv igjen."))
def login():
    if request.method == "GET":
        return render_template("public/login.html", email="")
    session = current_session()
    email = request.form.get("email", "").strip().lower()
    with platform_access(session):
        user = session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
        tenant_ok = user is not None and (
            user.is_operator or session.scalar(select(Tenant.active).where(Tenant.id == user.tenant_id))
        )
    if not auth.verify_password(user, request.form.get("password", "")) or not tenant_ok:
        return render_template("public/login.html", email=email, error=gettext("Feil e-postadresse eller passord.")), 422
    if not user.active:
        return render_template("public/login.html", email=email, error=gettext("Kontoen er deaktivert. Kontakt administratoren.")), 422
    with platform_access(session):
        user.last_login_at = utcnow()
    lang = cookie.get("lang")
    cookie.clear()  # a fresh session at login; only the chosen language survives
    if lang in LANGUAGES:
        cookie["lang"] = lang
    login_user(user)
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = home_url(user)
    return redirect(target)


@bp.post("/logout")
def logout():
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
    target = request.form.get("next", "/")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
