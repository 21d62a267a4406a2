"""Scheme pages: the tenant's schemes with their settings and catalogue, and the impartiality and
competence register.  Only an admin writes; staff read."""
from __future__ import annotations

from dataclasses import fields as dataclass_fields

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import admin_required, staff_required, tenant_blueprint
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, load_form
from saas.schemes import editor, register, services
from saas.schemes.schemas import (CompetenceSchema, EndSchema, NewSchemeSchema, PublishSchema, RequirementInSchema,
                                  ScopeChangeSchema, ScopeInSchema, TieSchema, settings_form_values, settings_from_form)
from saas.schemes.settings import CERTIFICATE_FIELDS, StepDeadlines, SURVEILLANCE_MODES

bp = tenant_blueprint("schemes", __name__, "/schemes")
BLUEPRINTS = (bp,)


def _index(errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    return render_template("schemes/index.html", schemes=services.scheme_overview(session),
                           library=editor.library_choices(), errors=errors or {}, values=values or {}), status


@bp.get("/")
@staff_required
def index():
    return _index()


@bp.post("/new")
@admin_required
def create_scheme():
    try:
        scheme = editor.create_from_library(current_session(), current_user, load_form(NewSchemeSchema(), request.form))
    except FieldErrors as error:
        return _index(error.errors, request.form.to_dict(), 422)
    flash(gettext("Ordningen er opprettet som utkast. Tilpass innstillingene og publiser den."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme.id))


@bp.post("/library")
@admin_required
def seed_library():
    made = services.seed_library(current_session())
    flash(gettext("%(n)s innebygde ordninger lagt til.", n=len(made)), "success")
    return redirect(url_for("schemes.index"))


@bp.get("/<int:scheme_id>")
@staff_required
def scheme(scheme_id: int):
    try:
        data = services.scheme_detail(current_session(), scheme_id)
    except services.SchemeNotFound:
        abort(404)
    return render_template("schemes/scheme.html", scheme=data, s=data["settings_typed"])


def _register_page(errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    return render_template("schemes/register.html", page=register.register_page(session, today_in_oslo()),
                           errors=errors or {}, values=values or {}), status


@bp.get("/register")
@staff_required
def register_view():
    return _register_page()


@bp.post("/register/ties")
@admin_required
def add_tie():
    try:
        register.add_tie(current_session(), current_user, load_form(TieSchema(), request.form))
    except FieldErrors as error:
        return _register_page({"tie": error.errors}, {"tie": request.form.to_dict()}, 422)
    flash(gettext("Bindingen er registrert."), "success")
    return redirect(url_for("schemes.register_view"))


@bp.post("/register/ties/<int:tie_id>/end")
@admin_required
def end_tie(tie_id: int):
    try:
        register.get_tie(current_session(), tie_id)
        register.end_tie(current_session(), current_user, tie_id, load_form(EndSchema(), request.form)["on"])
    except register.RegisterNotFound:
        abort(404)
    except FieldErrors as error:
        return _register_page({"end": error.errors}, {}, 422)
    flash(gettext("Bindingen er avsluttet."), "success")
    return redirect(url_for("schemes.register_view"))


@bp.post("/register/competences")
@admin_required
def add_competence():
    try:
        register.add_competence(current_session(), current_user, load_form(CompetenceSchema(), request.form))
    except FieldErrors as error:
        return _register_page({"competence": error.errors}, {"competence": request.form.to_dict()}, 422)
    flash(gettext("Kompetansen er registrert."), "success")
    return redirect(url_for("schemes.register_view"))


@bp.post("/register/competences/<int:competence_id>/expire")
@admin_required
def expire_competence(competence_id: int):
    try:
        register.get_competence(current_session(), competence_id)
        register.expire_competence(current_session(), current_user, competence_id,
                                   load_form(EndSchema(), request.form)["on"])
    except register.RegisterNotFound:
        abort(404)
    except FieldErrors as error:
        return _register_page({"end": error.errors}, {}, 422)
    flash(gettext("Kompetansen er avsluttet."), "success")
    return redirect(url_for("schemes.register_view"))


# -- the editor: a draft version's settings and catalogue, published as the next version -------------

def _draft_page(scheme_id: int, errors: dict | None = None, values: dict | None = None, status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    try:
        page = editor.draft_page(session, scheme_id)
    except services.SchemeNotFound:
        abort(404)
    if values is None or "settings" not in values:
        values = dict(values or {}, settings=settings_form_values(page["draft"]["settings"]))
    return render_template("schemes/draft.html", page=page, errors=errors or {}, values=values,
                           certificate_fields=CERTIFICATE_FIELDS, surveillance_modes=SURVEILLANCE_MODES,
                           deadline_names=[f.name for f in dataclass_fields(StepDeadlines)]), status


def _posted_settings() -> dict:
    values = request.form.to_dict()
    values["certificate_fields"] = request.form.getlist("certificate_fields")
    return values


@bp.post("/<int:scheme_id>/draft/start")
@admin_required
def start_draft(scheme_id: int):
    try:
        editor.start_draft(current_session(), current_user, scheme_id)
    except services.SchemeNotFound:
        abort(404)
    return redirect(url_for("schemes.draft", scheme_id=scheme_id))


@bp.get("/<int:scheme_id>/draft")
@admin_required
def draft(scheme_id: int):
    return _draft_page(scheme_id)


@bp.post("/<int:scheme_id>/draft/settings")
@admin_required
def save_settings(scheme_id: int):
    session = current_session()
    try:
        page = editor.draft_page(session, scheme_id)
        document = settings_from_form(request.form, page["draft"]["settings"])
        editor.save_settings(session, current_user, scheme_id, document, request.form.get("note", ""))
    except services.SchemeNotFound:
        abort(404)
    except FieldErrors as error:
        return _draft_page(scheme_id, {"settings": error.errors}, {"settings": _posted_settings()}, 422)
    flash(gettext("Innstillingene i utkastet er lagret."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme_id))


@bp.post("/<int:scheme_id>/draft/requirements")
@admin_required
def add_requirement(scheme_id: int):
    try:
        editor.add_requirement(current_session(), scheme_id, load_form(RequirementInSchema(), request.form))
    except services.SchemeNotFound:
        abort(404)
    except FieldErrors as error:
        return _draft_page(scheme_id, {"new_requirement": error.errors}, {"new_requirement": request.form.to_dict()}, 422)
    flash(gettext("Kravet er lagt til i utkastet."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme_id, _anchor="kravkatalog"))


@bp.post("/<int:scheme_id>/draft/requirements/<int:requirement_id>")
@admin_required
def update_requirement(scheme_id: int, requirement_id: int):
    try:
        editor.update_requirement(current_session(), scheme_id, requirement_id,
                                  load_form(RequirementInSchema(), request.form))
    except services.SchemeNotFound:
        abort(404)
    except editor.VersionPublished:
        return _published_refused(scheme_id)
    except FieldErrors as error:
        return _draft_page(scheme_id, {f"requirement-{requirement_id}": error.errors},
                           {f"requirement-{requirement_id}": request.form.to_dict()}, 422)
    flash(gettext("Kravet er endret."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme_id, _anchor="kravkatalog"))


@bp.post("/<int:scheme_id>/draft/requirements/<int:requirement_id>/remove")
@admin_required
def remove_requirement(scheme_id: int, requirement_id: int):
    try:
        editor.remove_requirement(current_session(), scheme_id, requirement_id)
    except services.SchemeNotFound:
        abort(404)
    except editor.VersionPublished:
        return _published_refused(scheme_id)
    flash(gettext("Kravet er fjernet fra utkastet."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme_id, _anchor="kravkatalog"))


def _published_refused(scheme_id: int):
    current_session().rollback()
    flash(gettext("En publisert versjon kan ikke endres. Lag et nytt utkast."), "error")
    return redirect(url_for("schemes.scheme", scheme_id=scheme_id)), 303


@bp.post("/<int:scheme_id>/draft/publish")
@admin_required
def publish_draft(scheme_id: int):
    try:
        version = editor.publish_draft(current_session(), current_user, scheme_id,
                                       load_form(PublishSchema(), request.form)["note"])
    except services.SchemeNotFound:
        abort(404)
    except FieldErrors as error:
        return _draft_page(scheme_id, {"publish": error.errors}, {"publish": request.form.to_dict()}, 422)
    flash(gettext("Versjon %(n)s er publisert. Det som er utstedt tidligere, beholder sin versjon.", n=version.number),
          "success")
    return redirect(url_for("schemes.scheme", scheme_id=scheme_id))


@bp.post("/<int:scheme_id>/draft/discard")
@admin_required
def discard_draft(scheme_id: int):
    try:
        editor.discard_draft(current_session(), current_user, scheme_id)
    except services.SchemeNotFound:
        abort(404)
    except FieldErrors as error:
        return _draft_page(scheme_id, {"publish": error.errors}, {}, 422)
    flash(gettext("Utkastet er forkastet."), "success")
    return redirect(url_for("schemes.scheme", scheme_id=scheme_id))


@bp.post("/<int:scheme_id>/scopes")
@admin_required
def add_scope(scheme_id: int):
    try:
        editor.add_scope(current_session(), current_user, scheme_id, load_form(ScopeInSchema(), request.form))
    except services.SchemeNotFound:
        abort(404)
    except FieldErrors as error:
        return _draft_page(scheme_id, {"new_scope": error.errors}, {"new_scope": request.form.to_dict()}, 422)
    flash(gettext("Fagområdet er lagt til."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme_id, _anchor="fagomrader"))


@bp.post("/<int:scheme_id>/scopes/<int:scope_id>")
@admin_required
def update_scope(scheme_id: int, scope_id: int):
    try:
        editor.update_scope(current_session(), current_user, scheme_id, scope_id,
                            load_form(ScopeChangeSchema(), request.form))
    except services.SchemeNotFound:
        abort(404)
    except FieldErrors as error:
        return _draft_page(scheme_id, {f"scope-{scope_id}": error.errors}, {f"scope-{scope_id}": request.form.to_dict()},
                           422)
    flash(gettext("Fagområdet er endret."), "success")
    return redirect(url_for("schemes.draft", scheme_id=scheme_id, _anchor="fagomrader"))
