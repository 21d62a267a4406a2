"""Import, export and Enhetsregisteret prefill of client companies (routes on the clients blueprint)."""
from __future__ import annotations


from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from saas.app import limiter
from saas.auth import staff_required
from saas.clients import brreg, importer, jobs, services
from saas.clients.views import bp, filter_from_args
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.norway import normalize_org_number


def _attachment(data: bytes, fmt: str, stem: str) -> Response:
    filename = f"{stem}-{today_in_oslo().isoformat()}.{fmt}"
    response = Response(data, content_type=importer.CONTENT_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/export.<fmt>")
@staff_required
def export(fmt: str):
    if fmt not in importer.FORMATS:
        abort(404)
    data = jobs.export_companies(current_session(), current_user, filter_from_args(request.args), fmt)
    return _attachment(data, fmt, f"kunder-{g.tenant.slug}")


@bp.get("/import/eksempel.<fmt>")
@staff_required
def import_example(fmt: str):
    if fmt not in importer.FORMATS:
        abort(404)
    return _attachment(jobs.example_file(fmt), fmt, "kundeimport-eksempel")


def _import_page(status: int = 200, **context):
    context.setdefault("task", None)
    context.setdefault("result", None)
    context.setdefault("file_error", "")
    return render_template("clients/import.html", columns=importer.column_guide(), max_rows=importer.MAX_ROWS,
                           max_mb=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024), **context), status


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_companies():
    session = current_session()
    if request.method == "GET":
        task_arg = request.args.get("task", "")
        if not task_arg:
            return _import_page()
        task = jobs.import_task(session, int(task_arg)) if task_arg.isascii() and task_arg.isdigit() and len(task_arg) < 10 else None
        if task is None:
            abort(404)
        return _import_page(task=task, result=task["result"] if task["status"] == "failed" else None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(422, file_error=gettext("Velg en CSV- eller Excel-fil å laste opp."))
    # Read one byte past the limit, so a too-large file is refused without reading all of it.
    data = upload.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    try:
        started = jobs.import_file(session, current_user, data, upload.filename)
    except importer.FileRejected as error:
        return _import_page(422, file_error=str(error))
    except importer.ImportRejected as rejected:
        return _import_page(422, result=rejected.as_result())
    if started.task_id is not None:
        return redirect(url_for("clients.import_companies", task=started.task_id))
    message = gettext("%(count)s kunder er importert.", count=started.created)
    if started.ignored_columns:
        message += " " + gettext("Disse kolonnene ble ikke brukt: %(columns)s.", columns=", ".join(started.ignored_columns))
    flash(message, "success")
    return redirect(url_for("clients.index"))


@bp.post("/prefill")
@staff_required
@limiter.limit("30 per minute", key_func=lambda: f"brreg-prefill:{current_user.id}",
               error_message=lazy_gettext("For mange oppslag i Enhetsregisteret. Vent litt og prøv igjen."))
def prefill():
    values = request.form.to_dict()
    consultants = services.consultants(current_session())
    try:
        org_number = normalize_org_number(values.get("org_number", ""))
    except ValueError as error:
        return render_template("clients/form.html", values=values, errors={"org_number": [str(error)]}, company=None,
                               consultants=consultants, prefill_message="", prefill_ok=False), 422
    found = brreg.lookup(org_number, current_app.config["BRREG_URL"], current_app.config["BRREG_TIMEOUT"])
    values.update({key: "" if value is None else str(value) for key, value in found.values.items()}, org_number=org_number)
    return render_template("clients/form.html", values=values, errors={}, company=None, consultants=consultants,
                           prefill_message=found.message, prefill_ok=found.found)
