"""Import, export and Enhetsregisteret prefill of client companies (being built)."""
from flask import abort

from saas.auth import staff_required
from saas.clients.views import bp


@bp.get("/export.<fmt>")
@staff_required
def export(fmt: str):
    abort(404)


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_companies():
    abort(404)


@bp.post("/prefill")
@staff_required
def prefill():
    abort(404)
