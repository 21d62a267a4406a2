"""Scheme pages: the tenant's schemes with their settings and catalogue, and the impartiality and
competence register.  Only an admin writes; staff read."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import admin_required, staff_required, tenant_blueprint
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, load_form
from saas.schemes import register, services
from saas.schemes.schemas import CompetenceSchema, EndSchema, TieSchema

bp = tenant_blueprint("schemes", __name__, "/schemes")
BLUEPRINTS = (bp,)


@bp.get("/")
@staff_required
def index():
    return render_template("schemes/index.html", schemes=services.scheme_overview(current_session()))


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
