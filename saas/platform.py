"""The platform operator's pages: tenants and the outbox."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from saas.auth import operator_required
from saas.db import current_session
from saas.schemas import FieldErrors, load_form
from saas.tenancy import platform_access
from saas.tenants import services
from saas.tenants.models import OutboxMessage, Tenant, User
from saas.tenants.schemas import TenantSchema

bp = Blueprint("platform", __name__, url_prefix="/platform")


@bp.get("/")
@operator_required
def tenants():
    session = current_session()
    with platform_access(session):
        counts = dict(session.execute(select(User.tenant_id, func.count()).group_by(User.tenant_id)).all())
        rows = session.scalars(select(Tenant).order_by(Tenant.name)).all()
        tenants = [dict(id=t.id, slug=t.slug, name=t.name, org_number=t.org_number, active=t.active,
                        users=counts.get(t.id, 0), created_at=t.created_at) for t in rows]
    return render_template("platform/tenants.html", tenants=tenants)


@bp.route("/tenants/new", methods=["GET", "POST"])
@operator_required
def new_tenant():
    values, errors = dict(request.form), {}
    if request.method == "POST":
        session = current_session()
        try:
            data = load_form(TenantSchema(), request.form)
            admin_email = request.form.get("admin_email", "").strip()
            admin_name = request.form.get("admin_name", "").strip()
            if not admin_email or "@" not in admin_email:
                raise FieldErrors({"admin_email": gettext("Oppgi e-postadressen til administratoren.")})
            tenant = services.create_tenant(session, data, current_user)
            from saas.tenancy import bind_tenant

            bind_tenant(session, tenant.id)
            services.invite_user(session, tenant, current_user, {"email": admin_email, "name": admin_name or admin_email, "roles": ["admin"]})
        except FieldErrors as error:
            errors = error.errors
            return render_template("platform/tenant_form.html", values=values, errors=errors), 422
        flash(gettext("%(name)s er opprettet, og administratoren er invitert.", name=tenant.name), "success")
        return redirect(url_for("platform.tenants"))
    return render_template("platform/tenant_form.html", values=values, errors=errors)


@bp.get("/outbox")
@operator_required
def outbox():
    session = current_session()
    with platform_access(session):
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).all()
        messages = [dict(id=m.id, to=m.to, subject=m.subject, body=m.body, created_at=m.created_at, sent_at=m.sent_at) for m in rows]
    return render_template("platform/outbox.html", messages=messages)
