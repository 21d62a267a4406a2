"""The tenant's card-signing keys: created on first use, the private half encrypted at rest.

The encryption key is derived from SECRET_KEY with HKDF under its own label (the same pattern as the
Stripe secrets, with a separate derivation so one use never hands over another).  Rotating SECRET_KEY
makes stored private keys unreadable: ``active_key`` then retires the old pair and starts a new one;
cards already issued stay verifiable because public keys are kept and published.
"""
from __future__ import annotations

import base64
import logging
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.db import utcnow
from saas.persons.card_signing import KeyPair, b64url, b64url_decode, generate_key_pair, jwk
from saas.persons.models import PersonSigningKey


log = logging.getLogger(__name__)


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"saas.persons", info=b"card-signing-keys").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def _new_key(session: Session, tenant_slug: str) -> PersonSigningKey:
    pair = generate_key_pair(f"{tenant_slug[:24]}-{secrets.token_hex(4)}")
    row = PersonSigningKey(kid=pair.kid, public_key=b64url(pair.public_raw),
                           private_key_encrypted=_fernet().encrypt(pair.private_raw).decode())
    session.add(row)
    session.flush()
    return row


def active_key(session: Session, tenant_slug: str) -> KeyPair:
    """The bound tenant's current signing key pair, created on first use."""
    row = session.scalar(select(PersonSigningKey).where(PersonSigningKey.retired_at.is_(None))
                         .order_by(PersonSigningKey.id.desc()).limit(1))
    if row is None:
        row = _new_key(session, tenant_slug)
    try:
        private_raw = _fernet().decrypt(row.private_key_encrypted.encode())
    except InvalidToken:
        # SECRET_KEY was rotated: the old private key is lost, its public key stays published (cards
        # already issued still verify); new cards are signed with a new pair.
        log.warning("person signing key %s unreadable; starting a new key pair", row.kid)
        row = rotate_key(session, tenant_slug)
        private_raw = _fernet().decrypt(row.private_key_encrypted.encode())
    return KeyPair(kid=row.kid, private_raw=private_raw, public_raw=b64url_decode(row.public_key))


def rotate_key(session: Session, tenant_slug: str) -> PersonSigningKey:
    """Retire the current key (it stays published) and start a new one."""
    for row in session.scalars(select(PersonSigningKey).where(PersonSigningKey.retired_at.is_(None))):
        row.retired_at = utcnow()
    return _new_key(session, tenant_slug)


def public_keys(session: Session) -> dict[str, bytes]:
    """Every public key of the bound tenant, retired ones included: ``kid → raw bytes``."""
    return {row.kid: b64url_decode(row.public_key) for row in session.scalars(select(PersonSigningKey))}


def jwks(session: Session) -> dict:
    """The bound tenant's published key set (JWKS)."""
    rows = session.scalars(select(PersonSigningKey).order_by(PersonSigningKey.id))
    return {"keys": [jwk(row.kid, b64url_decode(row.public_key)) for row in rows]}
