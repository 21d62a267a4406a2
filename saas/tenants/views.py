"""A tenant's own pages: home, users and roles, settings, the user's account and API tokens."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, logout_user
from sqlalchemy import select

from saas.auth import admin_required, create_api_token, tenant_blueprint
from saas.db import current_session
from saas.jobs import BackgroundTask
from saas.schemas import FieldErrors, load_form
from saas.tenants import services
from saas.tenants.models import ApiToken, Role, User
from saas.tenants.schemas import PasswordSchema, TenantSettingsSchema, TokenSchema, UserSchema, UserUpdateSchema

bp = tenant_blueprint("tenants", __name__)

ROLE_LABELS = {"admin": lazy_gettext("Administrator"), "consultant": lazy_gettext("HMS-rådgiver"),
               "reviewer": lazy_gettext("Sertifiseringsansvarlig"), "client": lazy_gettext("Kontaktperson (kunde)")}


@bp.get("/")
def home():
    if not current_user.is_staff:
        return redirect(url_for("work.mine"))
    return redirect(url_for("work.home"))


# -- users -------------------------------------------------------------------------------------------

def _user_row(u: User) -> dict:
    return dict(id=u.id, name=u.name, email=u.email, phone=u.phone, active=u.active,
                roles=sorted(r.value for r in u.roles), last_login_at=u.last_login_at)


@bp.get("/users")
@admin_required
def users():
    session = current_session()
    rows = session.scalars(select(User).order_by(User.name)).all()
    return render_template("tenants/users.html", users=[_user_row(u) for u in rows], role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def invite():
    # ?ekstern=1: a reviewer from outside (e.g. another provider) for decisions nobody here may take
    # impartially; the user gets the reviewer role and nothing else.
    external = request.args.get("ekstern") == "1"
    values, errors = {"roles": ["reviewer"] if external else []}, {}
    if request.method == "POST":
        form = request.form.copy()
        if external:
            form.setlist("roles", ["reviewer"])
        values = dict(form, roles=form.getlist("roles"))
        try:
            data = load_form(UserSchema(), form)
            user = services.invite_user(current_session(), g.tenant, current_user, data)
        except FieldErrors as error:
            return render_template("tenants/user_form.html", values=values, errors=error.errors, role_labels=ROLE_LABELS, new=True,
                                   external=external), 422
        flash(gettext("Invitasjon sendt til %(email)s.", email=user.email), "success")
        return redirect(url_for("tenants.users"))
    return render_template("tenants/user_form.html", values=values, errors=errors, role_labels=ROLE_LABELS, new=True,
                           external=external)


def _load_user(user_id: int) -> User:
    user = current_session().scalar(select(User).where(User.id == user_id))
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    session = current_session()
    user = _load_user(user_id)
    values = _user_row(user)
    if request.method == "POST":
        values = dict(request.form, roles=request.form.getlist("roles"), email=user.email)
        try:
            data = load_form(UserUpdateSchema(), request.form)
            if user.id == current_user.id and Role.ADMIN.value not in data["roles"]:
                raise FieldErrors({"roles": gettext("Du kan ikke fjerne din egen administratorrolle.")})
            user.name, user.phone = data["name"], data["phone"]
            services.set_roles(session, user, data["roles"])
            from saas.audit.services import record

            record(session, current_user, "user.updated", user, user.email, roles=sorted(data["roles"]))
        except FieldErrors as error:
            return render_template("tenants/user_form.html", values=values, errors=error.errors, role_labels=ROLE_LABELS, new=False, user_id=user.id), 422
        flash(gettext("Brukeren er oppdatert."), "success")
        return redirect(url_for("tenants.users"))
    return render_template("tenants/user_form.html", values=values, errors={}, role_labels=ROLE_LABELS, new=False, user_id=user.id)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_user_active(user_id: int):
    user = _load_user(user_id)
    try:
        services.set_active(current_session(), current_user, user, request.form.get("active") == "1")
    except FieldErrors as error:
        flash(error.errors["active"][0], "error")
        return redirect(url_for("tenants.users"))
    flash(gettext("Brukeren er aktivert.") if user.active
          else gettext("Brukeren er deaktivert, og alle innlogginger er avsluttet."), "success")
    return redirect(url_for("tenants.users"))


@bp.post("/users/<int:user_id>/reinvite")
@admin_required
def reinvite(user_id: int):
    user = _load_user(user_id)
    services.send_invitation(current_session(), g.tenant, user)
    flash(gettext("Ny invitasjon sendt til %(email)s.", email=user.email), "success")
    return redirect(url_for("tenants.users"))


# -- settings ------------------------------------------------------------------------------------------

# Kept in Tenant.settings (JSON) rather than columns.
SETTING_KEYS = ("certificate_prefix", "survey_min_group", "raw_answer_retention_days",
                "renewal_reminder_days")

def _tenant_values(tenant) -> dict:
    values = {c: getattr(tenant, c) for c in TenantSettingsSchema().load_fields if hasattr(tenant, c)}
    values.update({k: tenant.setting(k) for k in SETTING_KEYS})
    return values


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    tenant = g.tenant
    if request.method == "POST":
        try:
            data = load_form(TenantSettingsSchema(), request.form)
        except FieldErrors as error:
            return render_template("tenants/settings.html", values=dict(request.form), errors=error.errors), 422
        session = current_session()
        from saas.tenancy import platform_access
        from saas.audit.services import record

        with platform_access(session):
            tenant = session.merge(tenant)
            for key in SETTING_KEYS:
                tenant.settings = {**tenant.settings, key: data.pop(key)}
            for key, value in data.items():
                setattr(tenant, key, value)
        record(session, current_user, "tenant.settings_changed", None, "Innstillinger endret")
        flash(gettext("Innstillingene er lagret."), "success")
        return redirect(url_for("tenants.settings"))
    return render_template("tenants/settings.html", values=_tenant_values(tenant), errors={})


# -- the signed-in user's account -------------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
def account():
    session = current_session()
    errors = {}
    if request.method == "POST":
        from saas import throttle
        from saas.auth import verify_password

        # Counted like a login, per user: a stolen session can't be used to guess the password.
        if not throttle.take_attempt(throttle.CURRENT_PASSWORD, str(current_user.id), ""):
            return render_template("errors/error.html", code=429, message=gettext(
                "For mange forsøk med feil passord. Vent noen minutter og prøv igjen.")), 429
        try:
            if not verify_password(current_user, request.form.get("current_password", "")):
                raise FieldErrors({"current_password": gettext("Feil passord.")})
            throttle.succeeded(throttle.CURRENT_PASSWORD, str(current_user.id), "")
            data = load_form(PasswordSchema(), request.form)
            if data["password"] != data["password_repeat"]:
                raise FieldErrors({"password_repeat": gettext("Passordene er ikke like.")})
            services.set_password(session, current_user, data["password"])
        except FieldErrors as error:
            errors = error.errors
        else:
            logout_user()
            flash(gettext("Passordet er endret. Alle økter er avsluttet; logg inn på nytt."), "success")
            return redirect(url_for("public.login"))
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())).all()
    token_rows = [dict(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at, last_used_at=t.last_used_at, revoked=t.revoked_at is not None) for t in tokens]
    return render_template("tenants/account.html", errors=errors, tokens=token_rows), (422 if errors else 200)


@bp.post("/account/tokens")
def create_token():
    try:
        data = load_form(TokenSchema(), request.form)
    except FieldErrors as error:
        flash(error.errors["name"][0], "error")
        return redirect(url_for("tenants.account"))
    session = current_session()
    row, token = create_api_token(session, current_user, data["name"])
    from saas.audit.services import record

    record(session, current_user, "token.created", row, row.name)
    return render_template("tenants/token_created.html", token=token, name=row.name)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    session = current_session()
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id))
    if token is None:
        abort(404)
    services.revoke_token(session, current_user, token)
    flash(gettext("Nøkkelen er trukket tilbake."), "success")
    return redirect(url_for("tenants.account"))


# -- progress of background work ---------------------------------------------------------------------

@bp.get("/tasks/<int:task_id>")
def task_status(task_id: int):
    task = current_session().scalar(select(BackgroundTask).where(BackgroundTask.id == task_id))
    if task is None or (task.created_by != current_user.id and not current_user.is_staff):
        abort(404)
    data = dict(id=task.id, kind=task.kind, status=task.status, done=task.done, total=task.total,
                percent=task.percent, message=task.message, result=task.result)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return data
    return render_template("tasks/status.html", task=data)


# -- branding files ----------------------------------------------------------------------------------

@bp.get("/branding/<kind>")
def branding_file(kind: str):
    from saas import storage

    key = {"logo": g.tenant.logo_file, "signature": g.tenant.signature_file}.get(kind)
    if not key or (kind == "signature" and not current_user.is_staff):
        abort(404)
    return storage.download_response(key, f"{kind}.{key.rsplit('.', 1)[-1]}", "image/" + ("png" if key.endswith("png") else "jpeg"))


@bp.get("/logo")
def logo():
    return branding_file("logo")


@bp.post("/settings/branding")
@admin_required
def upload_branding():
    from saas import storage
    from saas.audit.services import record
    from saas.tenancy import platform_access

    session = current_session()
    kind = request.form.get("kind")
    upload = request.files.get("file")
    if kind not in ("logo", "signature") or upload is None or not upload.filename:
        flash(gettext("Velg en bildefil (PNG eller JPEG)."), "error")
        return redirect(url_for("tenants.settings"))
    try:
        stored = storage.save_upload(session, upload.read(), upload.filename, kinds=("png", "jpeg"))
    except storage.UploadRejected as error:
        flash(str(error), "error")
        return redirect(url_for("tenants.settings"))
    with platform_access(session):
        setattr(g.tenant, f"{kind}_file", stored.key)
    record(session, current_user, f"tenant.{kind}_uploaded", None, stored.original_name, sha256=stored.sha256)
    flash(gettext("Logoen er lagret.") if kind == "logo" else gettext("Signaturen er lagret."), "success")
    return redirect(url_for("tenants.settings"))
