"""The tenant's checklist templates (admin): sections and items are added, edited, removed and reordered;
every save is a new version, and mappings keep the version they were filled in on."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import select

from saas.auth import admin_required
from saas.clients.services import NotFound
from saas.db import current_session
from saas.hms.models import ChecklistTemplateVersion
from saas.hms.schemas_work import TemplateEditSchema
from saas.hms.services import checklists as services
from saas.hms.views import checklists_bp as bp
from saas.schemas import FieldErrors, load_form

MESSAGES = {
    "add_section": lazy_gettext("Delen er lagt til."), "update_section": lazy_gettext("Delen er endret."),
    "remove_section": lazy_gettext("Delen er fjernet."), "move_section": lazy_gettext("Delen er flyttet."),
    "add_item": lazy_gettext("Punktet er lagt til."), "update_item": lazy_gettext("Punktet er endret."),
    "remove_item": lazy_gettext("Punktet er fjernet."), "move_item": lazy_gettext("Punktet er flyttet."),
}


def template_or_404(template_id: int):
    try:
        return services.get_template(current_session(), template_id)
    except NotFound:
        abort(404)


@bp.get("/")
@admin_required
def index():
    return render_template("hms/checklists/index.html", templates=services.list_templates(current_session()))


def _edit_page(template, errors: dict | None = None, values: dict | None = None, status: int = 200):
    return render_template("hms/checklists/template.html", t=services.template_detail(current_session(), template),
                           errors=errors or {}, values=values or {}), status


@bp.get("/<int:template_id>")
@admin_required
def template(template_id: int):
    return _edit_page(template_or_404(template_id))


@bp.post("/<int:template_id>/edit")
@admin_required
def edit(template_id: int):
    template_row = template_or_404(template_id)
    try:
        data = load_form(TemplateEditSchema(), request.form)
        before = services.current_version(current_session(), template_row.id).version
        version = services.edit_template(current_session(), current_user, template_row, data["operation"], data)
    except FieldErrors as error:
        # Each form on the page names itself (form_id), so its errors and values go back to it.
        where = request.form.get("form_id", "")[:60] or "new-section"
        return _edit_page(template_row, {where: error.errors, "_operation": request.form.get("operation", "")},
                          {where: dict(request.form)}, 422)
    if version.version == before:
        flash(gettext("Ingen endringer å lagre."), "info")
    else:
        flash(f"{MESSAGES[data['operation']]} " + gettext("Malen er nå versjon %(version)s.", version=version.version), "success")
    anchor = f"#del-{data['section_key']}" if data.get("section_key") else ""
    return redirect(url_for("checklists.template", template_id=template_row.id) + anchor)


@bp.post("/<int:template_id>/rename")
@admin_required
def rename(template_id: int):
    template_row = template_or_404(template_id)
    try:
        services.rename_template(current_session(), current_user, template_row, request.form.get("name", ""))
    except FieldErrors as error:
        return _edit_page(template_row, {"rename": error.errors}, {"rename": dict(request.form)}, 422)
    flash(gettext("Navnet er endret."), "success")
    return redirect(url_for("checklists.template", template_id=template_row.id))


@bp.get("/versions/<int:template_version_id>")
@admin_required
def version(template_version_id: int):
    row = current_session().scalar(select(ChecklistTemplateVersion).where(ChecklistTemplateVersion.id == template_version_id))
    if row is None:
        abort(404)
    return render_template("hms/checklists/version.html", template_id=row.template_id, name=row.template.name,
                           version=row.version, created_at=row.created_at, sections=row.content.get("sections", []))
