"""Encryption of the tenants' Stripe secrets at rest (Fernet, a key derived from SECRET_KEY).

The derived key is separate from the one that signs sessions (HKDF with its own label), so a leak of one
use does not hand over the other.  Rotating SECRET_KEY makes stored secrets unreadable: the tenant
connects Stripe again (``decrypt`` raises ``SecretUnreadable``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted with the current SECRET_KEY."""


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"saas.billing", info=b"stripe-secrets").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("Stripe-nøkkelen kan ikke leses. Koble til Stripe på nytt.") from error


def lookup_hash(value: str) -> str:
    """A keyed hash to find a row by a secret value without storing the value in clear."""
    key = hashlib.sha256(b"saas.billing.lookup:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def hint(value: str) -> str:
    """The last four characters, which is all the settings page ever shows of a secret."""
    return value[-4:] if len(value) >= 8 else ""
