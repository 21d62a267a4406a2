"""The platform operator's pages: tenants (with a page per tenant, suspension and reactivation) and the outbox.

A tenant's page shows what this floor knows (users, jobs) and what the features above it add through
``tenant_section`` (companies, certificates, subscription): the platform page never imports upward.
"""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from saas.auth import operator_required
from saas.db import current_session
from saas.schemas import FieldErrors, load_form
from saas.outbox import FAILED, OutboxJob, counts as job_counts
from saas.tenancy import bind_tenant, bound_tenant, platform_access
from saas.tenants import services
from saas.tenants.models import OutboxMessage, Role, Tenant, User, UserRole
from saas.tenants.schemas import TenantSchema

bp = Blueprint("platform", __name__, url_prefix="/platform")

# (order, fn): fn(session, tenant_id) runs inside the tenant's scope and returns a section for the operator's
# page of that tenant: dict(title=str, rows=[(label, value)], link=(label, url) | None), or None.
_TENANT_SECTIONS: list[tuple[int, Callable]] = []


def tenant_section(order: int):
    """Register a section of the operator's tenant page (features above the tenants floor use this)."""
    def register(fn: Callable) -> Callable:
        if fn not in [f for _, f in _TENANT_SECTIONS]:
            _TENANT_SECTIONS.append((order, fn))
            _TENANT_SECTIONS.sort(key=lambda pair: pair[0])
        return fn
    return register


@bp.get("/")
@operator_required
def tenants():
    session = current_session()
    with platform_access(session):
        counts = dict(session.execute(select(User.tenant_id, func.count()).group_by(User.tenant_id)).all())
        rows = session.scalars(select(Tenant).order_by(Tenant.name)).all()
        tenants = [dict(id=t.id, slug=t.slug, name=t.name, org_number=t.org_number, active=t.active,
                        suspended=t.suspended, users=counts.get(t.id, 0), created_at=t.created_at) for t in rows]
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


def _users_section(session) -> dict:
    staff = select(UserRole.id).where(UserRole.user_id == User.id, UserRole.role != Role.CLIENT.value).exists()
    total, staff_count, inactive, last_login = session.execute(select(
        func.count(User.id), func.count(User.id).filter(staff), func.count(User.id).filter(User.active.is_(False)),
        func.max(User.last_login_at))).one()
    return dict(title=gettext("Brukere"), link=None, rows=[
        (gettext("Brukere i alt"), total),
        (gettext("Ansatte"), staff_count),
        (gettext("Kundekontakter"), total - staff_count),
        (gettext("Deaktiverte"), inactive),
        (gettext("Siste innlogging"), last_login),
    ])


def tenant_detail(session, tenant_id: int) -> dict:
    """The operator's view of one tenant as plain data (raises LookupError when there is none)."""
    with platform_access(session):
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError(tenant_id)
        info = dict(id=tenant.id, slug=tenant.slug, name=tenant.name, org_number=tenant.org_number,
                    contact_email=tenant.contact_email, created_at=tenant.created_at, active=tenant.active,
                    suspended=tenant.suspended, suspended_at=tenant.suspended_at, suspension_reason=tenant.suspension_reason)
    previous = bound_tenant(session)
    bind_tenant(session, tenant_id)
    try:
        sections = [_users_section(session)]
        sections += [s for s in (fn(session, tenant_id) for _, fn in _TENANT_SECTIONS) if s]
        jobs = job_counts(session)
        failed = session.scalars(select(OutboxJob).where(OutboxJob.status == FAILED).order_by(OutboxJob.id.desc()).limit(10)).all()
        from saas.outbox_views import job_row

        failed_jobs = [job_row(j) for j in failed]
    finally:
        bind_tenant(session, previous)
    return dict(tenant=info, sections=sections, jobs=jobs, failed_jobs=failed_jobs)


def _detail_page(tenant_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    try:
        data = tenant_detail(current_session(), tenant_id)
    except LookupError:
        abort(404)
    return render_template("platform/tenant.html", errors=errors or {}, values=values or {}, **data), status


@bp.get("/tenants/<int:tenant_id>")
@operator_required
def tenant(tenant_id: int):
    return _detail_page(tenant_id)


@bp.post("/tenants/<int:tenant_id>/suspend")
@operator_required
def suspend(tenant_id: int):
    return _change_state(tenant_id, services.suspend_tenant,
                         lambda t: gettext("%(name)s er stengt. Ansatte og kunder kan ikke logge inn før tilbyderen er åpnet igjen.", name=t.name))


@bp.post("/tenants/<int:tenant_id>/reactivate")
@operator_required
def reactivate(tenant_id: int):
    return _change_state(tenant_id, services.reactivate_tenant,
                         lambda t: gettext("%(name)s er åpnet igjen.", name=t.name))


def _change_state(tenant_id: int, change, message):
    session = current_session()
    try:
        tenant = change(session, tenant_id, current_user, request.form.get("reason"))
    except LookupError:
        abort(404)
    except FieldErrors as error:
        return _detail_page(tenant_id, error.errors, dict(request.form), 422)
    flash(message(tenant), "success")
    return redirect(url_for("platform.tenant", tenant_id=tenant_id))
