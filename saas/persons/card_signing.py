"""The signed payload in a kompetansebevis' QR code: a compact JWS (RFC 7515) signed with Ed25519
(RFC 8037, ``alg: EdDSA``), so any JOSE library, or a phone app holding the tenant's published key set,
can check a card offline.  No app or database here: keys and payloads come in as arguments.

The payload is short on purpose (a QR code must stay scannable on an 85.6 × 54 mm card): the issuer,
the card number, the holder's name, the competence codes and the issue date; the card's live status
is in the online register, reached through the verification URL that carries the token.

Decoding is strict: base64url without padding and in its canonical form only, so no two different
strings verify as the same token (a changed unused bit in the last character is a changed token).
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

MAX_TOKEN_LENGTH = 1200


class InvalidCard(ValueError):
    """The token is malformed, signed by an unknown key, or its signature does not match."""


@dataclass(frozen=True)
class KeyPair:
    kid: str
    private_raw: bytes  # 32 bytes
    public_raw: bytes   # 32 bytes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url: only the URL alphabet, no padding, canonical trailing bits."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as error:
        raise InvalidCard("not ASCII") from error
    if len(raw) % 4 == 1:
        raise InvalidCard("impossible base64url length")
    try:
        data = base64.b64decode(raw + b"=" * (-len(raw) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidCard("not base64url") from error
    if b64url(data) != text:
        raise InvalidCard("not canonical base64url")
    return data


def generate_key_pair(kid: str) -> KeyPair:
    private = Ed25519PrivateKey.generate()
    return KeyPair(
        kid=kid,
        private_raw=private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        public_raw=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def _canonical_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(payload: Mapping[str, object], key: KeyPair) -> str:
    """The compact JWS of ``payload`` signed with ``key``."""
    header = b64url(_canonical_json({"alg": "EdDSA", "kid": key.kid}))
    body = b64url(_canonical_json(dict(payload)))
    signing_input = f"{header}.{body}".encode("ascii")
    signature = Ed25519PrivateKey.from_private_bytes(key.private_raw).sign(signing_input)
    return f"{header}.{body}.{b64url(signature)}"


def verify(token: str, public_keys: Mapping[str, bytes]) -> dict:
    """The payload of ``token`` when its signature verifies with the key it names; raises InvalidCard."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidCard("missing or too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidCard("not a compact JWS")
    header_b64, body_b64, signature_b64 = parts
    try:
        header = json.loads(b64url_decode(header_b64))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidCard("unreadable header") from error
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or set(header) - {"alg", "kid"}:
        raise InvalidCard("unsupported header")
    public_raw = public_keys.get(str(header.get("kid")))
    if public_raw is None:
        raise InvalidCard("unknown key")
    signature = b64url_decode(signature_b64)
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, f"{header_b64}.{body_b64}".encode("ascii"))
    except (InvalidSignature, ValueError) as error:
        raise InvalidCard("bad signature") from error
    try:
        payload = json.loads(b64url_decode(body_b64))
    except (ValueError, UnicodeDecodeError) as error:  # signed garbage: refuse all the same
        raise InvalidCard("unreadable payload") from error
    if not isinstance(payload, dict):
        raise InvalidCard("payload is not an object")
    return payload


def jwk(kid: str, public_raw: bytes) -> dict:
    """The public key as a JWK (RFC 8037), for the tenant's published key set."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_raw), "kid": kid, "use": "sig", "alg": "EdDSA"}


def public_keys_from_jwks(jwks: Mapping[str, object]) -> dict[str, bytes]:
    """The ``kid → raw public key`` map of a published key set (what an offline verifier loads)."""
    keys = {}
    for entry in jwks.get("keys", ()):  # type: ignore[union-attr]
        if isinstance(entry, dict) and entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519":
            raw = b64url_decode(str(entry.get("x", "")))
            if len(raw) == 32:
                keys[str(entry.get("kid"))] = raw
    return keys
