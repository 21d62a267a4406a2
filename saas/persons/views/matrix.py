"""The requirement-matrix editor of a person scheme (tenant admin), on a draft version."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.persons.requirements import ACTIVITIES
from saas.persons.services import catalogue, matrix_editor
from saas.persons.services.catalogue import get_person_scheme
from saas.persons.views.common import bp, flash_errors, or_404, page
from saas.schemas import FieldErrors

MAX_ROWS = 40


def _form_rows(form) -> list[dict]:
    """The posted rows, in order; a row marked for removal and the blank row for a new category are left out."""
    try:
        count = min(int(form.get("rows", "0")), MAX_ROWS + 1)
    except ValueError:
        abort(400)
    rows = []
    for i in range(count):
        prefix = f"matrix.{i}."
        if form.get(prefix + "remove"):
            continue
        row = dict(category=form.get(prefix + "category", "").strip(),
                   needs={a: form.get(f"{prefix}needs.{a}", "not_required") for a in ACTIVITIES},
                   extra_km=form.get(prefix + "extra_km", "").strip())
        blank = not row["category"] and not row["extra_km"] and set(row["needs"].values()) <= {"not_required"}
        if not blank:
            rows.append(row)
    return rows


def _render(scheme, draft_rows, practice, errors, status=200, published=None):
    return page("matrix.html", status, scheme=dict(id=scheme.id, name=scheme.name), rows=draft_rows,
                practice=practice, errors=errors, activities=ACTIVITIES, needs=matrix_editor.NEEDS,
                practice_names=matrix_editor.PRACTICE, published=published,
                has_draft=matrix_editor.draft_of(current_session(), scheme) is not None)


@bp.get("/schemes/<int:scheme_id>/matrix")
@staff_required
def matrix_editor_page(scheme_id: int):
    session = current_session()
    scheme = or_404(get_person_scheme, scheme_id)
    draft = matrix_editor.draft_of(session, scheme)
    version = draft or catalogue.current(session, scheme)[0]
    data = matrix_editor.draft_data(version)
    current = catalogue.current(session, scheme)[0].number
    return _render(scheme, data["matrix"], data["practice"], {}, published=dict(number=current, draft=(
        draft.number if draft else None)))


@bp.post("/schemes/<int:scheme_id>/matrix")
@admin_required
def matrix_save(scheme_id: int):
    session = current_session()
    scheme = or_404(get_person_scheme, scheme_id)
    rows = _form_rows(request.form)
    practice = {name: request.form.get(f"practice.{name}", "") for name in matrix_editor.PRACTICE
                if f"practice.{name}" in request.form}
    try:
        draft = matrix_editor.update_draft(session, current_user, scheme, rows, practice)
    except FieldErrors as error:
        current = catalogue.current(session, scheme)[0].number
        draft = matrix_editor.draft_of(session, scheme)
        return _render(scheme, rows, {**matrix_editor.draft_data(draft or catalogue.current(session, scheme)[0])["practice"],
                                      **practice}, error.errors, 422,
                       published=dict(number=current, draft=draft.number if draft else None))
    flash(gettext("Utkastet til versjon %(n)s er lagret. Publiser det når det er klart.", n=draft.number), "success")
    return redirect(url_for("persons.matrix_editor_page", scheme_id=scheme.id))


@bp.post("/schemes/<int:scheme_id>/matrix/publish")
@admin_required
def matrix_publish(scheme_id: int):
    scheme = or_404(get_person_scheme, scheme_id)
    try:
        version = matrix_editor.publish_draft(current_session(), current_user, scheme)
        flash(gettext("Versjon %(n)s av ordningen er publisert.", n=version.number), "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for("persons.matrix_editor_page", scheme_id=scheme.id))


@bp.post("/schemes/<int:scheme_id>/matrix/discard")
@admin_required
def matrix_discard(scheme_id: int):
    scheme = or_404(get_person_scheme, scheme_id)
    matrix_editor.discard_draft(current_session(), current_user, scheme)
    flash(gettext("Utkastet er forkastet."), "success")
    return redirect(url_for("persons.matrix_editor_page", scheme_id=scheme.id))
