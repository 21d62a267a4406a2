"""Client company pages: list, detail, create, edit, archive, sub-units and contacts."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import select

from saas.auth import staff_required, tenant_blueprint
from saas.clients import services
from saas.clients.models import ContactPerson, SubUnit
from saas.clients.schemas import CompanySchema, ContactSchema, SubUnitSchema
from saas.db import current_session
from saas.platform import tenant_section
from saas.schemas import FieldErrors, load_form

bp = tenant_blueprint("clients", __name__, "/companies")


def company_or_404(company_id: int, **kwargs):
    try:
        return services.get_company(current_session(), current_user, company_id, **kwargs)
    except services.NotFound:
        abort(404)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


CLASS_FILTERS = {"A+": "A+", "A": "A", "B": "B", "none": lazy_gettext("Uten gyldig sertifikat")}
EXPIRY_FILTERS = (30, 60, 90, 180)


def filter_from_args(args) -> services.CompanyFilter:
    sort = args.get("sort", "name")
    expiring = _int_arg("expiring")  # days; ten years is plenty and keeps today + days a valid date
    return services.CompanyFilter(
        q=args.get("q", "")[:100], consultant_id=_int_arg("consultant"), archived=args.get("archived") == "1",
        cert_class=args.get("class") if args.get("class") in CLASS_FILTERS else "", expiring_days=None if expiring is None else min(expiring, 3660),
        sort=sort.lstrip("-") if sort.lstrip("-") in services.SORTS else "name", descending=sort.startswith("-"),
        page=_int_arg("page") or 1,
    )


@bp.get("/")
@staff_required
def index():
    session = current_session()
    flt = filter_from_args(request.args)
    page = services.list_companies(session, current_user, flt)
    return render_template("clients/index.html", page=page, flt=flt, consultants=services.consultants(session), args=request.args,
                           class_filters=CLASS_FILTERS, expiry_filters=EXPIRY_FILTERS)


@bp.get("/mine")
def my_companies():
    session = current_session()
    page = services.list_companies(session, current_user, services.CompanyFilter(per_page=100))
    return render_template("clients/mine.html", companies=page.items)


def _form(template_values: dict, errors: dict, company=None, status: int = 200):
    return render_template("clients/form.html", values=template_values, errors=errors, company=company,
                           consultants=services.consultants(current_session())), status


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    if request.method == "GET":
        return _form({"consultant_id": current_user.id}, {})
    try:
        data = load_form(CompanySchema(), request.form)
        company = services.create_company(current_session(), current_user, data)
    except FieldErrors as error:
        return _form(dict(request.form), error.errors, status=422)
    flash(gettext("%(name)s er opprettet.", name=company.name), "success")
    return redirect(url_for("clients.detail", company_id=company.id))


@bp.get("/<int:company_id>")
def detail(company_id: int):
    company = company_or_404(company_id, with_details=True)
    data = CompanySchema().dump(company)
    data["consultant_name"] = company.consultant.name if company.consultant else ""
    return render_template("clients/detail.html", company=data, errors={}, values={})


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(company_id: int):
    company = company_or_404(company_id)
    if request.method == "GET":
        return _form(CompanySchema().dump(company), {}, company=company)
    try:
        data = load_form(CompanySchema(), request.form)
        services.update_company(current_session(), current_user, company, data)
    except FieldErrors as error:
        return _form(dict(request.form), error.errors, company=company, status=422)
    flash(gettext("Endringene er lagret."), "success")
    return redirect(url_for("clients.detail", company_id=company.id))


@bp.post("/<int:company_id>/archive")
@staff_required
def archive(company_id: int):
    company = company_or_404(company_id)
    archived = request.form.get("archived", "1") == "1"
    services.set_archived(current_session(), current_user, company, archived)
    flash(gettext("%(name)s er arkivert.", name=company.name) if archived
          else gettext("%(name)s er hentet fram igjen.", name=company.name), "success")
    return redirect(url_for("clients.detail", company_id=company.id))


@bp.post("/<int:company_id>/sub-units")
@staff_required
def add_sub_unit(company_id: int):
    company = company_or_404(company_id)
    try:
        services.add_sub_unit(current_session(), current_user, company, load_form(SubUnitSchema(), request.form))
    except FieldErrors as error:
        return _detail_with_errors(company, error, "sub_unit")
    flash(gettext("Underavdelingen er lagt til."), "success")
    return redirect(url_for("clients.detail", company_id=company.id) + "#underavdelinger")


@bp.post("/<int:company_id>/sub-units/<int:sub_unit_id>/delete")
@staff_required
def delete_sub_unit(company_id: int, sub_unit_id: int):
    company = company_or_404(company_id)
    session = current_session()
    unit = session.scalar(select(SubUnit).where(SubUnit.id == sub_unit_id, SubUnit.company_id == company.id))
    if unit is None:
        abort(404)
    from saas.audit.services import record

    record(session, current_user, "sub_unit.deleted", unit, f"{company.name}: {unit.name}")
    session.delete(unit)
    flash(gettext("Underavdelingen er fjernet."), "success")
    return redirect(url_for("clients.detail", company_id=company.id) + "#underavdelinger")


@bp.post("/<int:company_id>/contacts")
@staff_required
def add_contact(company_id: int):
    company = company_or_404(company_id)
    try:
        contact = services.add_contact(current_session(), current_user, company, load_form(ContactSchema(), request.form))
        if request.form.get("invite") and contact.email:
            from saas.clients.contacts import invite_contact

            invite_contact(current_session(), g.tenant, current_user, contact)
    except FieldErrors as error:
        return _detail_with_errors(company, error, "contact")
    flash(gettext("Kontaktpersonen er lagt til."), "success")
    return redirect(url_for("clients.detail", company_id=company.id) + "#kontakter")


@bp.post("/<int:company_id>/contacts/<int:contact_id>/invite")
@staff_required
def invite_contact(company_id: int, contact_id: int):
    company = company_or_404(company_id)
    session = current_session()
    contact = session.scalar(select(ContactPerson).where(ContactPerson.id == contact_id, ContactPerson.company_id == company.id))
    if contact is None:
        abort(404)
    from saas.clients.contacts import invite_contact as invite

    try:
        invite(session, g.tenant, current_user, contact)
    except FieldErrors as error:
        flash(" ".join(sum(error.errors.values(), [])), "error")
        return redirect(url_for("clients.detail", company_id=company.id) + "#kontakter")
    flash(gettext("Invitasjon sendt til %(email)s.", email=contact.email), "success")
    return redirect(url_for("clients.detail", company_id=company.id) + "#kontakter")


@bp.post("/<int:company_id>/contacts/<int:contact_id>/delete")
@staff_required
def delete_contact(company_id: int, contact_id: int):
    company = company_or_404(company_id)
    session = current_session()
    contact = session.scalar(select(ContactPerson).where(ContactPerson.id == contact_id, ContactPerson.company_id == company.id))
    if contact is None:
        abort(404)
    from saas.audit.services import record

    record(session, current_user, "contact.deleted", contact, f"{company.name}: {contact.name}")
    session.delete(contact)
    flash(gettext("Kontaktpersonen er fjernet."), "success")
    return redirect(url_for("clients.detail", company_id=company.id) + "#kontakter")


def _detail_with_errors(company, error: FieldErrors, form: str):
    data = CompanySchema().dump(company)
    data["consultant_name"] = company.consultant.name if company.consultant else ""
    return render_template("clients/detail.html", company=data, errors={form: error.errors}, values={form: dict(request.form)}), 422


from saas.clients import io_views  # noqa: E402,F401  (import, export and prefill routes on this blueprint)


@tenant_section(20)
def _platform_companies(session, tenant_id: int) -> dict:
    """The operator's tenant page: how many client companies the tenant has (run in the tenant's scope)."""
    from sqlalchemy import func

    from saas.clients.models import ClientCompany

    active, archived = session.execute(select(
        func.count(ClientCompany.id).filter(ClientCompany.archived_at.is_(None)),
        func.count(ClientCompany.id).filter(ClientCompany.archived_at.is_not(None)))).one()
    contacts = session.scalar(select(func.count(ContactPerson.id)))
    return dict(title=gettext("Kunder"), link=None, rows=[
        (gettext("Aktive kunder"), active), (gettext("Arkiverte kunder"), archived), (gettext("Kontaktpersoner"), contacts)])
