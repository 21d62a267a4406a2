"""The QR payload of a kompetansebevis: Ed25519 compact JWS, verified offline with the published key."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from saas.persons.card_signing import (
    InvalidCard, b64url, b64url_decode, generate_key_pair, jwk, public_keys_from_jwks, sign, verify,
)

KEY = generate_key_pair("t1-2026")
PAYLOAD = {"v": 1, "iss": "opplaering-as", "no": "KB-2026-000123", "n": "Kari Nordmann",
           "c": ["T1", "T4", "G4"], "iat": "2026-12-06"}
KEYS = {KEY.kid: KEY.public_raw}


def test_a_signed_payload_verifies_with_the_tenants_public_key():
    token = sign(PAYLOAD, KEY)
    assert verify(token, KEYS) == PAYLOAD


def test_the_published_key_set_is_all_an_offline_verifier_needs():
    jwks = json.loads(json.dumps({"keys": [jwk(KEY.kid, KEY.public_raw)]}))
    assert verify(sign(PAYLOAD, KEY), public_keys_from_jwks(jwks)) == PAYLOAD


def test_the_token_is_a_standard_eddsa_jws():
    header_b64, body_b64, signature_b64 = sign(PAYLOAD, KEY).split(".")
    assert json.loads(b64url_decode(header_b64)) == {"alg": "EdDSA", "kid": KEY.kid}
    # checked here with cryptography's own primitive, not with our verify()
    Ed25519PublicKey.from_public_bytes(KEY.public_raw).verify(
        base64.urlsafe_b64decode(signature_b64 + "=="), f"{header_b64}.{body_b64}".encode())


def test_changing_any_byte_of_the_token_to_any_other_value_fails():
    token = sign(PAYLOAD, KEY).encode("ascii")
    for index in range(len(token)):
        for value in range(256):
            if value == token[index]:
                continue
            changed = token[:index] + bytes([value]) + token[index + 1:]
            with pytest.raises(InvalidCard):
                verify(changed.decode("latin-1"), KEYS)


def test_a_token_signed_by_another_key_with_the_same_kid_fails():
    forger = generate_key_pair(KEY.kid)
    with pytest.raises(InvalidCard):
        verify(sign(PAYLOAD, forger), KEYS)


def test_a_changed_payload_with_the_old_signature_fails():
    header, _body, signature = sign(PAYLOAD, KEY).split(".")
    forged = b64url(json.dumps({**PAYLOAD, "c": ["T1", "T2", "T3", "T4", "T5"]}).encode())
    with pytest.raises(InvalidCard):
        verify(f"{header}.{forged}.{signature}", KEYS)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "x" * 2000, "....", "eyJhbGciOiJub25lIn0.e30."])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidCard):
        verify(token, KEYS)


def test_alg_none_and_unknown_keys_are_refused():
    none_header = b64url(b'{"alg":"none","kid":"t1-2026"}')
    body = b64url(b'{"no":"KB-1"}')
    with pytest.raises(InvalidCard):
        verify(f"{none_header}.{body}.", KEYS)
    with pytest.raises(InvalidCard):
        verify(sign(PAYLOAD, generate_key_pair("other")), KEYS)


def test_non_canonical_base64url_is_refused():
    data = b"\xff"
    assert b64url(data) == "_w"
    with pytest.raises(InvalidCard):
        b64url_decode("_x")   # same byte, different unused bits
    with pytest.raises(InvalidCard):
        b64url_decode("_w==")
