"""Public verification of a person's card (/verify/person): by the unguessable code in the QR code, or
by card number together with the holder's surname.  Shows name, competences with their live state and
the issuer; the birth date and photo only when the holder consented.  Rate-limited like /verify.  The
tenant's public keys are published here for offline checks of the QR's signed payload."""
from __future__ import annotations

import re

from flask import Blueprint, abort, jsonify, render_template, request, url_for, redirect
from sqlalchemy import func, select

from saas import storage
from saas.app import limiter
from saas.db import current_session
from saas.i18n import today_in_oslo
from saas.persons import keys, presenters
from saas.persons.models import Card, Person
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant

SEARCH_LIMIT = "20 per minute;200 per day"
CODE_LIMIT = "60 per minute"
_CODE = re.compile(r"^[A-Za-z0-9_-]{20,40}$")

bp = Blueprint("persons_public", __name__, url_prefix="/verify/person")


def _load(code: str):
    """The card with this verification code, its person and tenant (bound), or 404."""
    if not _CODE.fullmatch(code):
        abort(404)
    session = current_session()
    with platform_access(session):
        card = session.scalar(select(Card).where(Card.verify_code == code))
        tenant = session.get(Tenant, card.tenant_id) if card is not None else None
    if card is None or tenant is None or not tenant.active:
        abort(404)
    bind_tenant(session, tenant.id)
    person = session.get(Person, card.person_id)
    if person is None:
        abort(404)
    return card, person, tenant


def _data(code: str) -> dict:
    card, person, tenant = _load(code)
    return presenters.public_verification(current_session(), card, person, tenant, today_in_oslo())


def _json(data: dict) -> dict:
    out = {k: v for k, v in data.items() if k not in ("show_photo",)}
    out["birth_date"] = data["birth_date"].isoformat() if data["birth_date"] else None
    out["issued_on"] = data["issued_on"].isoformat()
    out["withdrawn_on"] = data["withdrawn_on"].isoformat() if data["withdrawn_on"] else None
    out["competences"] = [dict(c, expires_on=c["expires_on"].isoformat() if c["expires_on"] else None,
                               revoked_until=c["revoked_until"].isoformat() if c["revoked_until"] else None)
                          for c in data["competences"]]
    return out


def _no_search() -> bool:
    return not (request.args.get("number") or request.args.get("surname"))


@bp.get("")
@limiter.limit(SEARCH_LIMIT, exempt_when=_no_search, key_func=lambda: f"verify-person-search:{request.remote_addr}")
def search():
    if _no_search():
        return render_template("persons/public/search.html", values={}, errors={}, results=None)
    number = request.args.get("number", "").strip().upper()[:30]
    surname = request.args.get("surname", "").strip()[:100]
    errors = {}
    if not number:
        errors["number"] = ["Skriv kortnummeret."]
    if not surname:
        errors["surname"] = ["Skriv etternavnet slik det står på kortet."]
    if errors:
        return render_template("persons/public/search.html", values=request.args, errors=errors, results=None), 422
    session = current_session()
    with platform_access(session):
        rows = session.execute(select(Card.verify_code, Person.name).join(Person, Person.id == Card.person_id)
                               .join(Tenant, Tenant.id == Card.tenant_id)
                               .where(func.upper(Card.number) == number, Tenant.active.is_(True))).all()
    matches = [code for code, name in rows if name.lower().split()[-1:] == [surname.lower()]]
    if len(matches) == 1:
        return redirect(url_for("persons_public.verify_person", code=matches[0]), 303)
    results = [_data(code) for code in matches]
    return render_template("persons/public/search.html", values=request.args, errors={}, results=results)


@bp.get("/<code>.json")
@limiter.limit(CODE_LIMIT, key_func=lambda: f"verify-person-code:{request.remote_addr}")
def verify_person_json(code: str):
    return jsonify(_json(_data(code)))


@bp.get("/<code>")
@limiter.limit(CODE_LIMIT, key_func=lambda: f"verify-person-code:{request.remote_addr}")
def verify_person(code: str):
    data = _data(code)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_json(data))
    return render_template("persons/public/verify.html", card=data)


@bp.get("/<code>/photo")
@limiter.limit(CODE_LIMIT, key_func=lambda: f"verify-person-code:{request.remote_addr}")
def verify_photo(code: str):
    card, person, _tenant = _load(code)
    if not (person.public_details_consent and person.photo_key and person.photo_consent_at):
        abort(404)
    kind = "image/png" if person.photo_key.endswith(".png") else "image/jpeg"
    return storage.download_response(person.photo_key, "foto", kind, inline=True)


@bp.get("/keys/<slug>.json")
@limiter.limit(CODE_LIMIT, key_func=lambda: f"verify-person-keys:{request.remote_addr}")
def public_keys(slug: str):
    """The tenant's card-signing public keys (JWKS): everything an offline verifier needs."""
    session = current_session()
    with platform_access(session):
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug, Tenant.active.is_(True)))
    if tenant is None:
        abort(404)
    bind_tenant(session, tenant.id)
    response = jsonify(keys.jwks(session))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


public_keys.is_public = True  # a public document of the named tenant: the cross-tenant walk skips it


@bp.context_processor
def _labels():
    from saas.persons.labels import all_labels

    return {"labels": all_labels()}
