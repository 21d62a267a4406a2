"""The kompetansebevis card (ID-1, 85.6 × 54 mm, front and back) and the A4 certificate, rendered
from the card's snapshot with WeasyPrint (saas.pdf: data: URIs only) in a background job."""
from __future__ import annotations

import hashlib
from datetime import date

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas import storage
from saas.pdf import data_uri, render_pdf
from saas.persons.models import Card
from saas.persons.services.register import qr_content, verification_url
from saas.tenants.models import Tenant
from saas.tenants.services import branding

TEMPLATE_VERSION = 1


def _date(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d.%m.%Y") if value else ""


def card_data(session: Session, card: Card) -> dict:
    """Plain data for both PDFs."""
    tenant = session.get(Tenant, card.tenant_id)
    snapshot = dict(card.snapshot)
    photo_uri = None
    key = snapshot.get("photo_key")
    if key and storage.exists(key):
        photo_uri = data_uri(storage.read(key), "image/png" if key.endswith(".png") else "image/jpeg")
    qr = segno.make(qr_content(card), error="m")
    return dict(
        issuer=branding(tenant), number=card.number, title=snapshot.get("title") or "Kompetansebevis",
        training_company=snapshot["training_company"], holder_name=snapshot["holder_name"],
        birth_date=_date(snapshot["birth_date"]), photo_uri=photo_uri, issued_on=_date(snapshot["issued_on"]),
        issuer_name=snapshot["issuer_name"], issuer_title=snapshot.get("issuer_title", ""),
        competences=[dict(code=c["code"], name=c["name"], tested_on=_date(c["tested_on"]),
                          expires_on=_date(c.get("expires_on"))) for c in snapshot["competences"]],
        scheme_name=snapshot.get("scheme_name", ""), register_keeper=snapshot.get("register_keeper", ""),
        outside_register=snapshot.get("outside_register", ""), verification_url=verification_url(card.verify_code),
        qr_uri=qr.png_data_uri(scale=6, border=2, dark="#000000"), kind=snapshot.get("kind", "kompetansebevis"),
    )


def _key(card: Card, part: str) -> str:
    digest = hashlib.sha256(f"person-card:{card.tenant_id}:{card.id}:{card.verify_code}:{part}".encode()).hexdigest()
    return f"{digest[:4]}/{digest[4:36]}.pdf"


def _write(key: str, data: bytes) -> None:
    import os
    import secrets

    path = storage.root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{path.name}.{secrets.token_hex(4)}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, path)


def render_and_store(session: Session, card_id: int) -> bool:
    """Render the card and the certificate once; True when rendered now, False when done already or
    the card does not exist (run twice, change once: the keys are fixed per card)."""
    card = session.scalar(select(Card).where(Card.id == card_id))
    if card is None or (card.card_pdf_key and card.certificate_pdf_key):
        return False
    data = card_data(session, card)
    card_key, certificate_key = _key(card, "card"), _key(card, "certificate")
    _write(card_key, render_pdf("persons/card.html", **data))
    _write(certificate_key, render_pdf("persons/certificate.html", **data))
    card.card_pdf_key, card.certificate_pdf_key = card_key, certificate_key
    session.flush()
    return True
