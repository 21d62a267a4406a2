"""Evidence pages: upload a file to any piece of the year's work, download, replace, history, verify."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import fields

from saas import storage, urls
from saas.auth import staff_required
from saas.db import current_session
from saas.hms.services import evidence as services
from saas.hms.views import evidence_bp as bp
from saas.hygiene import db_int
from saas.schemas import BaseSchema, FieldErrors, length, load_form, one_of


class DescriptionSchema(BaseSchema):
    """The text fields that go with an upload (web form and API)."""

    description = fields.String(load_default="", validate=length(services.MAX_NOTE))


class VerifySchema(BaseSchema):
    status = fields.String(required=True, validate=one_of(services.DECISIONS), metadata={"description": "verified | rejected"})
    note = fields.String(load_default="", validate=length(services.MAX_NOTE), metadata={"description": "required when rejected"})


def back_to(default: str) -> str:
    """``next`` from the form or query when it is a page of this tenant, else ``default`` (no open redirects)."""
    return urls.safe_next(request.values.get("next"), default, prefix=f"/t/{g.tenant.slug}/")


# Where each kind of work is shown, for a link back from its files: (endpoint, URL parameter, staff only).
_TARGET_PAGES = {
    "action_item": ("actions.detail", "action_id", False),
    "physical_mapping": ("years.mapping", "mapping_id", False),
    "physical_mapping_report": ("years.mapping", "mapping_id", False),
    "psychosocial_mapping": ("years.psychosocial", "psy_mapping_id", False),
    "psychosocial_mapping_report": ("years.psychosocial", "psy_mapping_id", False),
    "safety_round": ("years.safety_round", "round_id", False),
    "risk_assessment": ("risks.assessment", "assessment_id", True),
    "hazard": ("risks.edit_hazard", "hazard_id", True),
}


def target_url(target) -> str:
    """The page of the work a file documents; the year's page when that work has no page of its own."""
    endpoint, param, staff_only = _TARGET_PAGES.get(target.type, (None, None, False))
    if endpoint is None or (staff_only and not current_user.is_staff):
        return url_for("years.detail", year_id=target.year_id)
    return url_for(endpoint, **{param: target.id})


def _target_from_args():
    raw_id = request.values.get("target_id", "")
    try:
        return services.resolve_target(current_session(), request.values.get("target_type", ""),
                                       db_int(raw_id) or -1, current_user)
    except services.NotFound:
        abort(404)


def _evidence_or_404(evidence_id: int):
    try:
        return services.get_evidence(current_session(), current_user, evidence_id)
    except services.NotFound:
        abort(404)


def uploaded_file(required: bool = True) -> tuple[bytes, str] | None:
    """The bytes and name of the form's ``file`` field.  When none was chosen: FieldErrors if ``required``,
    else None.  MAX_CONTENT_LENGTH bounds what is read; storage refuses anything over MAX_UPLOAD_BYTES."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        if required:
            raise FieldErrors({"file": gettext("Velg en fil å laste opp.")})
        return None
    return upload.stream.read(), upload.filename


def _new_page(target, errors: dict, status: int = 200):
    files = services.files_for(current_session(), target.type, [target.id])[target.id]
    return render_template("hms/evidence/new.html", target=target.as_dict(), target_url=target_url(target), files=files, errors=errors,
                           values=dict(description=request.form.get("description", "")),
                           next=back_to("")), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    target = _target_from_args()
    if request.method == "GET":
        return _new_page(target, {})
    try:
        description = load_form(DescriptionSchema(), request.form)["description"]
        data, filename = uploaded_file()
        services.upload(current_session(), current_user, target, data, filename, description)
    except FieldErrors as error:
        return _new_page(target, error.errors, 422)
    flash(gettext("Filen er lastet opp."), "success")
    return redirect(back_to(url_for("evidence.new", target_type=target.type, target_id=target.id)))


@bp.get("/<int:evidence_id>/download")
def download(evidence_id: int):
    evidence, _target = _evidence_or_404(evidence_id)
    if not storage.exists(evidence.file_key):
        current_app.logger.error("evidence %s: stored file %s is missing", evidence.id, evidence.file_key)
        abort(404)
    return storage.download_response(evidence.file_key, evidence.original_name, evidence.content_type)


def _history_page(evidence, target, errors: dict, status: int = 200):
    versions = services.history(current_session(), evidence)
    return render_template("hms/evidence/history.html", target=target.as_dict(), target_url=target_url(target), versions=versions,
                           current=versions[0], shown_id=evidence.id, errors=errors,
                           values=dict(request.form), next=back_to("")), status


@bp.get("/<int:evidence_id>")
def history(evidence_id: int):
    evidence, target = _evidence_or_404(evidence_id)
    return _history_page(evidence, target, {})


@bp.post("/<int:evidence_id>/replace")
def replace(evidence_id: int):
    evidence, target = _evidence_or_404(evidence_id)
    try:
        description = load_form(DescriptionSchema(), request.form)["description"]
        data, filename = uploaded_file()
        new = services.replace(current_session(), current_user, evidence, target, data, filename, description)
    except FieldErrors as error:
        return _history_page(evidence, target, error.errors, 422)
    flash(gettext("Ny versjon er lastet opp. Den gamle ligger i historikken."), "success")
    return redirect(back_to(url_for("evidence.history", evidence_id=new.id)))


@bp.post("/<int:evidence_id>/verify")
@staff_required
def verify(evidence_id: int):
    evidence, target = _evidence_or_404(evidence_id)
    try:
        decision = load_form(VerifySchema(), request.form)
        services.verify(current_session(), current_user, evidence, target, decision["status"], decision["note"])
    except FieldErrors as error:
        return _history_page(evidence, target, error.errors, 422)
    flash(gettext("Filen er godkjent.") if evidence.status == "verified"
          else gettext("Filen er avvist. Kunden ser begrunnelsen."), "success")
    return redirect(back_to(url_for("evidence.history", evidence_id=evidence.id)))


@bp.get("/")
@staff_required
def review():
    everyone = request.args.get("alle") == "1"
    items, total = services.pending_for_review(current_session(), None if everyone else current_user.id)
    return render_template("hms/evidence/review.html", items=items, total=total, everyone=everyone)
