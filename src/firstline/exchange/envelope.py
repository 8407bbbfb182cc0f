"""Envelopes: canonical JSON (RFC 8785) → JWS (Ed25519) → JWE to every recipient.

The JWE plaintext is the JWS compact serialisation, so a recipient first decrypts with its
X25519 key, then verifies the signature with the sender's published key: any standard JOSE
library can do both (the tests use jwcrypto).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import rfc8785
from joserfc import jwe, jws
from joserfc.jwe import GeneralJSONEncryption, JWERegistry
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from firstline.exchange import keys
from firstline.exchange.models import OrganisationKey

SIGNING_ALGORITHMS = ["Ed25519", "EdDSA"]  # RFC 9864 name; verifiers accept the old one too
KEY_ALGORITHM = "ECDH-ES+A256KW"
CONTENT_ALGORITHM = "A256GCM"
PAYLOAD_TYPE = "application/vnd.firstline.message+json"

_jws_registry = JWSRegistry(algorithms=SIGNING_ALGORITHMS)
_jwe_registry = JWERegistry(algorithms=[KEY_ALGORITHM, CONTENT_ALGORITHM])
# decrypt with one recipient's key only: the other recipients' keys are not ours
_jwe_open_registry = JWERegistry(
    algorithms=[KEY_ALGORITHM, CONTENT_ALGORITHM], verify_all_recipients=False
)


# RFC 8785 for the JSON a message document is made of, by the standard library's C encoder:
# members sorted, no whitespace, UTF-8, and strings escaped exactly as JCS escapes them (the
# quote, the backslash, and control characters as \b \f \n \r \t or lower-case \u00xx).
# The C encoder differs from JCS only on floats (Python's repr is not ECMAScript's), on
# integers beyond 2**53 (JCS refuses them), and on the order of member names outside the Basic
# Multilingual Plane (JCS sorts UTF-16 code units); a document holding any of those, or any
# other type, goes through the ``rfc8785`` reference implementation instead.
# tests/exchange/test_canonical.py checks both paths give the same bytes on arbitrary documents.
_JCS_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), check_circular=False
)
_SAFE_INT = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only what the C encoder writes exactly as RFC 8785 does."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, int):  # bool too: true/false in both
        return -_SAFE_INT <= value <= _SAFE_INT
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() for k in value) and all(
            map(_plain, value.values())
        )
    if isinstance(value, list):
        return all(map(_plain, value))
    return False


def canonical(document: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON: the exact bytes that are signed."""
    if _plain(document):
        try:
            return _JCS_ENCODER.encode(document).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let the reference refuse it
            pass
    return rfc8785.dumps(document)


def digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def sign(payload: bytes, signing_key: OKPKey, kid: str) -> str:
    header = {"alg": "Ed25519", "kid": kid, "cty": PAYLOAD_TYPE}
    return jws.serialize_compact(header, payload, signing_key, registry=_jws_registry)


def encrypt(plaintext: bytes, recipients: Iterable[OrganisationKey]) -> dict[str, Any]:
    """JWE general JSON serialisation with one ECDH-ES+A256KW entry per recipient key."""
    obj = GeneralJSONEncryption({"enc": CONTENT_ALGORITHM, "cty": "JOSE"}, plaintext)
    for key in recipients:
        obj.add_recipient({"alg": KEY_ALGORITHM, "kid": key.kid}, keys.public_key(key))
    return dict(jwe.encrypt_json(obj, None, registry=_jwe_registry))


def seal(
    document: dict[str, Any], signing: OrganisationKey, recipients: list[OrganisationKey]
) -> tuple[dict[str, Any], str]:
    """Sign and encrypt ``document``; returns (JWE JSON, SHA-256 of the canonical payload)."""
    payload = canonical(document)
    token = sign(payload, keys.private_key(signing), signing.kid)
    return encrypt(token.encode("ascii"), recipients), digest(payload)


def recipient_kids(envelope: dict[str, Any]) -> list[str]:
    return [r.get("header", {}).get("kid", "") for r in envelope.get("recipients", [])]


def open_envelope(
    envelope: dict[str, Any], decryption: OrganisationKey, verification: OrganisationKey
) -> dict[str, Any]:
    """Decrypt with one recipient's key, verify with the sender's key, return the document."""
    opened = jwe.decrypt_json(
        envelope,  # type: ignore[arg-type]
        keys.private_key(decryption),
        registry=_jwe_open_registry,
    )
    token = opened.plaintext or b""
    signed = jws.deserialize_compact(token, keys.public_key(verification), registry=_jws_registry)
    return dict(json.loads(signed.payload))
