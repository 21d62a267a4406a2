"""The blueprint and the small helpers every person page uses."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from saas.auth import tenant_blueprint
from saas.db import current_session
from saas.persons.services import NotFound, people

bp = tenant_blueprint("persons", __name__, "/persons")


def person_or_404(person_id: int):
    try:
        return people.get_person(current_session(), current_user, person_id)
    except NotFound:
        abort(404)


def or_404(loader, *args):
    try:
        return loader(current_session(), *args)
    except NotFound:
        abort(404)


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def page(template: str, status: int = 200, **context):
    return render_template(f"persons/{template}", **context), status


@bp.context_processor
def _labels():
    from saas.persons.labels import all_labels

    return {"labels": all_labels()}


def flash_errors(error) -> None:
    """Each field error of a ``FieldErrors`` as an error message on the next page."""
    for messages in error.errors.values():
        for message in messages:
            flash(message, "error")


def form_action(row, schema, action, message: str, endpoint: str, **values):
    """Apply a posted form to ``row``: ``action(session, row, data)``, then back to ``endpoint`` with a
    success message, or with the form's field errors."""
    from saas.schemas import FieldErrors, load_form

    try:
        action(current_session(), row, load_form(schema, request.form))
        flash(message, "success")
    except FieldErrors as error:
        flash_errors(error)
    return redirect(url_for(endpoint, **values))
