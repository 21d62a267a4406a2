"""What the certificate looks like outside the office: public verification (/verify), each tenant's public
register (/t/<slug>/register), PDF downloads for staff and client contacts, and the certificate preview in
the settings.  Importing this module (saas.app does, at startup) subscribes the PDF render to issued
certificates."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from saas import storage
from saas.api.certificate_documents import RegisterEntrySchema, VerificationSchema
from saas.app import limiter
from saas.auth import admin_required, public, tenant_blueprint
from saas.certification import document_jobs, documents, hooks, kinds
from saas.certification.schemas import SchemeCertificateSchema, SchemeVerificationSchema
from saas.clients.services import visible_company_ids
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.urls import safe_next

if document_jobs.enqueue_on_issue not in hooks.SUBSCRIBERS:
    hooks.SUBSCRIBERS.append(document_jobs.enqueue_on_issue)

REGISTER_PAGE_SIZE = 25
# Enough for a buyer checking a few certificates by hand; far too few to walk the number space.
SEARCH_LIMIT = "20 per minute;200 per day"
CODE_LIMIT = "60 per minute"

verify_bp = Blueprint("verify", __name__, url_prefix="/verify")
register_bp = tenant_blueprint("register", __name__)
documents_bp = tenant_blueprint("certificate_documents", __name__)
BLUEPRINTS = (verify_bp, register_bp, documents_bp)


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1


# -- public verification -----------------------------------------------------------------------------

def _no_search() -> bool:
    return not (request.args.get("number") or request.args.get("org_number"))


@verify_bp.get("")
@limiter.limit(SEARCH_LIMIT, exempt_when=_no_search, key_func=lambda: f"verify-search:{request.remote_addr}")
def search():
    number, org_number = request.args.get("number", "").strip(), request.args.get("org_number", "").strip()
    if _no_search():
        return render_template("certification/public/search.html", values={}, errors={}, results=None)
    errors = {}
    if not number:
        errors["number"] = ["Skriv sertifikatnummeret."]
    results = documents.search(current_session(), number, org_number, today_in_oslo())
    if results is None:
        errors["org_number"] = ["Skriv et gyldig organisasjonsnummer (9 siffer)."]
    if errors:
        return render_template("certification/public/search.html", values=request.args, errors=errors, results=None), 422
    if len(results) == 1:
        return redirect(url_for("verify.certificate", code=results[0]["verification_code"]), 303)
    return render_template("certification/public/search.html", values=request.args, errors={}, results=results)


def _verified_or_404(code: str) -> dict:
    # A signed-in visitor's user first, under the same platform seal as the certificate's lookup (the page's
    # menu reads it anyway; later it would cost a platform seal and a tenant seal again).
    current_user.is_authenticated  # noqa: B018
    data = kinds.verify(current_session(), code, today_in_oslo())  # whichever scheme kind issued it
    if data is None:
        abort(404)
    return data


def _verification_json(data: dict):
    if data.get("kind") == "scheme":
        return jsonify(SchemeVerificationSchema().dump(data))
    return jsonify(VerificationSchema().dump(data))


@verify_bp.get("/<code>.json")
@limiter.limit(CODE_LIMIT, key_func=lambda: f"verify-code:{request.remote_addr}")
def certificate_json(code: str):
    return _verification_json(_verified_or_404(code))


@verify_bp.get("/<code>")
@limiter.limit(CODE_LIMIT, key_func=lambda: f"verify-code:{request.remote_addr}")
def certificate(code: str):
    data = _verified_or_404(code)
    if request.accept_mimetypes.best == "application/json":
        return _verification_json(data)
    if data.get("kind") == "scheme":
        return render_template("certification/public/verify_scheme.html", cert=data)
    return render_template("certification/public/verify.html", cert=data)


# -- the public register -----------------------------------------------------------------------------

def _register(q: str, page: int) -> tuple[list[dict], int]:
    return documents.register_page(current_session(), q, page, REGISTER_PAGE_SIZE, today_in_oslo())


@register_bp.get("/register")
@public
@limiter.limit("60 per minute", key_func=lambda: f"register:{request.remote_addr}")
def register():
    q, page = request.args.get("q", "").strip()[:100], _page_arg()
    if page == 1:  # the other kinds' certificates are listed on the first page, read with it
        items, total, schemes = documents.register_page_with_kinds(current_session(), q, page, REGISTER_PAGE_SIZE,
                                                                   today_in_oslo())
    else:
        (items, total), schemes = _register(q, page), []
    return render_template("certification/public/register.html", items=items, total=total, page=page, q=q,
                           scheme_items=schemes,
                           pages=max(1, -(-total // REGISTER_PAGE_SIZE)), args={"q": q} if q else {},
                           issuer=dict(name=g.tenant.name, has_logo=bool(g.tenant.logo_file)))


@register_bp.get("/register.json")
@public
@limiter.limit("60 per minute", key_func=lambda: f"register:{request.remote_addr}")
def register_json():
    q, page = request.args.get("q", "").strip()[:100], _page_arg()
    items, total, schemes = documents.register_page_with_kinds(current_session(), q, page, REGISTER_PAGE_SIZE, today_in_oslo())
    tenant = g.tenant
    return jsonify(issuer=dict(name=tenant.name, org_number=tenant.org_number, address=tenant.address,
                               postcode=tenant.postcode, city=tenant.city),
                   items=RegisterEntrySchema(many=True).dump(items), page=page, per_page=REGISTER_PAGE_SIZE, total=total,
                   scheme_items=SchemeCertificateSchema(many=True).dump(schemes),
                   pages=max(1, -(-total // REGISTER_PAGE_SIZE)))


@register_bp.get("/register/logo")
@public
def register_logo():
    """The issuer's logo for public pages (the logo is on every certificate; nothing secret)."""
    key = g.tenant.logo_file
    if not key or not storage.exists(key):
        abort(404)
    response = storage.download_response(key, "logo." + key.rsplit(".", 1)[-1],
                                         "image/png" if key.endswith(".png") else "image/jpeg", inline=True)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# -- downloads and preview ---------------------------------------------------------------------------

@documents_bp.get("/certificates/<int:certificate_id>/pdf")
def certificate_pdf(certificate_id: int):
    session = current_session()
    document, found = documents.document_for(session, certificate_id,
                                             visible_company_ids(current_user.is_staff, current_user.id))
    if not found:
        abort(404)
    if document is None:
        doc = document_jobs.document_status(session, certificate_id)
        if doc["state"] == "none":
            documents.request_render(session, certificate_id, g.tenant.id)
            doc = dict(doc, state="queued", label=str(document_jobs.STATUS_LABELS["queued"]))
        # 202 so the request commits (and the render is enqueued); the page follows the render's state by
        # itself (status_json) and offers the download when it is ready, or says why it failed.
        return render_template("certification/documents/pending.html", certificate_id=certificate_id, doc=doc), 202
    return storage.download_response(document["file_key"], document["file_name"], "application/pdf")


def _visible_certificate_or_404(session, certificate_id: int) -> None:
    _, found = documents.document_for(session, certificate_id, visible_company_ids(current_user.is_staff, current_user.id))
    if not found:
        abort(404)


@documents_bp.get("/certificates/<int:certificate_id>/pdf/status")
def certificate_pdf_status(certificate_id: int):
    """The PDF's state as JSON for the pages' polling: state, label, error (staff only), pdf_url when ready."""
    session = current_session()
    _visible_certificate_or_404(session, certificate_id)
    doc = document_jobs.document_status(session, certificate_id)
    if not current_user.is_staff:
        doc["error"] = ""  # a worker's error message is for the provider's staff, not its clients
    doc["pdf_url"] = url_for("certificate_documents.certificate_pdf", certificate_id=certificate_id) if doc["state"] == "ready" else None
    return jsonify(doc)


@documents_bp.post("/certificates/<int:certificate_id>/pdf/retry")
def retry_certificate_pdf(certificate_id: int):
    """Try a failed (or never started) render again, then go back to where the button was."""
    session = current_session()
    _visible_certificate_or_404(session, certificate_id)
    if document_jobs.retry_render(session, certificate_id, g.tenant.id):
        flash(gettext("PDF-en lages på nytt."), "success")
    default = url_for("certificate_documents.certificate_pdf", certificate_id=certificate_id)
    return redirect(safe_next(request.form.get("next"), default, prefix=f"/t/{g.tenant.slug}/"))


@documents_bp.get("/settings/certificate-preview")
@admin_required
@limiter.limit("20 per minute", key_func=lambda: f"certificate-preview:{current_user.id}")
def certificate_preview():
    # Rendered in the request on purpose: made-up data, nothing stored, admins only and rate-limited,
    # and about a tenth of a second; a job would need a stored file and a polling page for a throwaway.
    cert_class = request.args.get("class", "A")
    data = documents.sample_data(g.tenant, today_in_oslo(), cert_class if cert_class in documents.CLASS_WORDING else "A")
    response = send_file(io.BytesIO(documents.render_certificate(data)), mimetype="application/pdf", as_attachment=False,
                         download_name="sertifikat-forhandsvisning.pdf", max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
