"""Complaint pages: the public form on the verification page, and the staff's list (with statistics per
year) and complaint page with each step."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import fields

from saas.app import limiter
from saas.auth import staff_required, tenant_blueprint
from saas.certification import complaints
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import BaseSchema, FieldErrors, length, load_form, one_of

public_bp = Blueprint("complaints", __name__, url_prefix="/verify")
bp = tenant_blueprint("complaint_admin", __name__, "/complaints")
BLUEPRINTS = (public_bp, bp)
ACTIONS = ("acknowledge", "assess", "handle", "decide", "tell")


class PublicComplaintSchema(BaseSchema):
    kind = fields.String(load_default="complaint", validate=one_of(("complaint", "appeal")))
    name = fields.String(required=True, validate=length(200, 2))
    email = fields.Email(required=True)
    text = fields.String(required=True, validate=length(10000, 10))


class StaffComplaintSchema(PublicComplaintSchema):
    certificate_ref = fields.String(load_default="", validate=length(60))


class StepSchema(BaseSchema):
    note = fields.String(load_default="", validate=length(10000))
    relevant = fields.Boolean(load_default=None, allow_none=True)


@public_bp.route("/<code>/complaint", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=lambda: f"complaint:{request.remote_addr}")
def new(code: str):
    values, errors = {}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            complaint = complaints.receive_public(current_session(), code, load_form(PublicComplaintSchema(), request.form),
                                                  today_in_oslo())
        except FieldErrors as error:
            errors = error.errors
        else:
            if complaint is None:
                abort(404)
            return render_template("certification/public/complaint_sent.html", reference=complaint.id)
    return render_template("certification/public/complaint.html", code=code, values=values,
                           errors=errors), 422 if errors else 200


def _list_page(errors=None, values=None, status=200):
    session = current_session()
    if status >= 400:
        session.rollback()
    rows, stats = complaints.listing(session)
    return render_template("certification/complaints.html", rows=rows, stats=stats, errors=errors or {},
                           values=values or {}), status


@bp.get("/")
@staff_required
def index():
    return _list_page()


@bp.post("/")
@staff_required
def register():
    try:
        complaints.register(current_session(), current_user, load_form(StaffComplaintSchema(), request.form),
                            today_in_oslo())
    except FieldErrors as error:
        return _list_page(error.errors, request.form.to_dict(), 422)
    flash(gettext("Henvendelsen er registrert."), "success")
    return redirect(url_for("complaint_admin.index"))


def complaint_or_404(session, complaint_id: int):
    """The tenant's complaint, or a 404 response (another tenant's is no different from none)."""
    try:
        return complaints.get(session, complaint_id)
    except complaints.ComplaintNotFound:
        abort(404)


def _page(complaint_id: int, message: str = "", errors=None, status: int = 200, values=None):
    session = current_session()
    if status >= 400:
        session.rollback()
    complaint = complaint_or_404(session, complaint_id)
    from saas.tenants.models import User
    from sqlalchemy import select

    users = {u.id: u.name for u in session.scalars(select(User))}
    return render_template("certification/complaint.html", c=complaints.complaint_dict(complaint, users),
                           audits=complaints.audits_for(session, complaint.id), message=message,
                           errors=errors or {}, values=values or {}), status


@bp.get("/<int:complaint_id>")
@staff_required
def complaint(complaint_id: int):
    return _page(complaint_id)


def _make_step(action: str):
    def view(complaint_id: int):
        session = current_session()
        row = complaint_or_404(session, complaint_id)
        try:
            complaints.act(session, current_user, row, action, load_form(StepSchema(), request.form), today_in_oslo())
        except FieldErrors as error:
            return _page(complaint_id, errors=error.errors, status=422)
        except complaints.ComplaintRefused as error:
            return _page(complaint_id, message=str(error), status=422)
        flash(gettext("Registrert."), "success")
        return redirect(url_for("complaint_admin.complaint", complaint_id=complaint_id))

    view.__name__ = f"step_{action}"
    return staff_required(view)


for _action in ACTIONS:
    bp.add_url_rule(f"/<int:complaint_id>/{_action}", endpoint=f"step_{_action}", view_func=_make_step(_action),
                    methods=["POST"])


@bp.post("/<int:complaint_id>/extraordinary-audit")
@staff_required
def extraordinary_audit(complaint_id: int):
    """The complaint's decision leads to an extraordinary audit of the company, linked both ways."""
    from saas.audits.schemas import ExtraordinarySchema
    from saas.audits.services import Refused

    session = current_session()
    row = complaint_or_404(session, complaint_id)
    try:
        data = load_form(ExtraordinarySchema(), request.form)
        case = complaints.open_extraordinary_audit(session, current_user, row, data["reason"], today_in_oslo(),
                                                   data["planned_on"])
    except FieldErrors as error:
        return _page(complaint_id, errors={"audit": error.errors}, values={"audit": request.form.to_dict()}, status=422)
    except (complaints.ComplaintRefused, Refused) as error:
        return _page(complaint_id, message=str(error), status=422)
    flash(gettext("Den ekstraordinære revisjonen er opprettet."), "success")
    return redirect(url_for("audits.case", case_id=case.id))
