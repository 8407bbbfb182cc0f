"""The node's Ed25519 log key, which signs tree heads, and its public JWK.

Where the private key comes from:
- production: ``FIRSTLINE_LOG_KEY`` (PEM) or ``FIRSTLINE_LOG_KEY_FILE`` (a file holding it);
  settings refuse to start without one.
- demo and development: generated once and kept in ``var/.audit_log_key.pem``.
- tests: generated in memory, once per test process.

The key id is the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from joserfc.jwk import OKPKey

ALGORITHM = "Ed25519"  # RFC 9864 fully specified name; "EdDSA" is the older synonym


def _load_pem(pem: bytes, origin: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{origin} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{origin} must hold an Ed25519 key, not {type(key).__name__}")
    return key


def _local_key_file() -> Path:
    return Path(settings.VAR_DIR) / ".audit_log_key.pem"


def _generate_local(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)


@functools.cache
def private_key() -> Ed25519PrivateKey:
    """The log's signing key (cached for the life of the process)."""
    if settings.AUDIT_LOG_KEY:
        return _load_pem(settings.AUDIT_LOG_KEY.encode(), "FIRSTLINE_LOG_KEY")
    if settings.TESTING:
        return Ed25519PrivateKey.generate()
    if not settings.RELAXED:  # settings already stop production start-up; belt and braces
        raise ValueError("Set FIRSTLINE_LOG_KEY or FIRSTLINE_LOG_KEY_FILE")
    path = _local_key_file()
    if not path.exists():
        _generate_local(path)
    return _load_pem(path.read_bytes(), str(path))


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_jwk_for(raw: bytes) -> dict[str, Any]:
    """The JWK (RFC 8037: kty OKP, crv Ed25519) of a raw public key, with its thumbprint kid."""
    key = OKPKey.import_key(Ed25519PublicKey.from_public_bytes(raw))
    jwk = key.as_dict(private=False)
    jwk.update(kid=key.thumbprint(), alg=ALGORITHM, use="sig")
    return jwk


def public_jwk() -> dict[str, Any]:
    """The current log key as a public JWK."""
    return public_jwk_for(raw_public(private_key().public_key()))


def key_id() -> str:
    """RFC 7638 thumbprint of the current public key."""
    return str(public_jwk()["kid"])
