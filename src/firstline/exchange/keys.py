"""Organisation keys: Ed25519 to sign, X25519 to receive; private halves wrapped at rest.

The node master key (``FIRSTLINE_MASTER_KEY``) never wraps anything directly: an AES-256 key
encryption key is derived from it with HKDF-SHA256, so a master key of any length ≥ 32 bytes
works and the derived key is used for one purpose only. Each private key is sealed with
AES-256-GCM under a fresh nonce, with the organisation id (and the key's use) as associated
data, so a wrapped key copied onto another organisation's row fails to open.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from joserfc.jwk import OKPKey

from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.directory.models import Organisation
from firstline.exchange.models import KeyUse, OrganisationKey

NONCE_BYTES = 12
PRIVATE_KEY_CACHE_SIZE = 256  # unwrapped keys memoised per process (see ``_unwrapped``)


def _b64decode(value: str) -> bytes:
    padded = value.strip() + "=" * (-len(value.strip()) % 4)
    return base64.urlsafe_b64decode(padded)


@functools.cache
def _kek(master_key: str) -> AESGCM:
    try:
        raw = _b64decode(master_key)
    except ValueError as exc:
        raise ImproperlyConfigured("FIRSTLINE_MASTER_KEY must be base64url") from exc
    if len(raw) < 32:
        raise ImproperlyConfigured("FIRSTLINE_MASTER_KEY must hold at least 32 random bytes")
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"firstline exchange key wrap v1"
    ).derive(raw)
    return AESGCM(derived)


def _aad(organisation_id: int, use: str) -> bytes:
    return f"firstline:org:{organisation_id}:{use}".encode()


def wrap(private_raw: bytes, organisation_id: int, use: str) -> bytes:
    """Seal a raw private key under the master key: nonce || ciphertext+tag."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _kek(settings.MASTER_KEY).encrypt(nonce, private_raw, _aad(organisation_id, use))
    return nonce + sealed


def unwrap(wrapped: bytes, organisation_id: int, use: str, master_key: str | None = None) -> bytes:
    """Open a wrapped private key; raises ``cryptography.exceptions.InvalidTag`` if tampered."""
    data = bytes(wrapped)
    return _kek(master_key or settings.MASTER_KEY).decrypt(
        data[:NONCE_BYTES], data[NONCE_BYTES:], _aad(organisation_id, use)
    )


def _new_pair(use: str) -> tuple[bytes, OKPKey]:
    native: Ed25519PrivateKey | X25519PrivateKey
    native = Ed25519PrivateKey.generate() if use == KeyUse.SIGN else X25519PrivateKey.generate()
    raw = native.private_bytes_raw()
    return raw, OKPKey.import_key(native.public_key())


def public_jwk(key: OKPKey, use: str) -> dict[str, Any]:
    """The published JWK: public members, ``kid`` = RFC 7638 thumbprint, ``use`` and ``alg``."""
    jwk: dict[str, Any] = dict(key.as_dict(private=False))
    jwk.pop("kid", None)
    jwk["kid"] = key.thumbprint()
    jwk["use"] = use
    jwk["alg"] = "Ed25519" if use == KeyUse.SIGN else "ECDH-ES+A256KW"
    return jwk


def _create(org: Organisation, use: str, now: dt.datetime) -> OrganisationKey:
    raw, public = _new_pair(use)
    jwk = public_jwk(public, use)
    return OrganisationKey.objects.create(
        organisation=org,
        use=use,
        kid=jwk["kid"],
        public_jwk=jwk,
        wrapped_private=wrap(raw, org.pk, use),
        created_at=now,
    )


def ensure_keys(
    org: Organisation, *, actor: Any = None, now: dt.datetime | None = None
) -> dict[str, OrganisationKey]:
    """The active signing and encryption keys of ``org``, created (and audited) if missing."""
    at = now or clock.now()
    with transaction.atomic():
        active = {
            k.use: k for k in OrganisationKey.objects.filter(organisation=org, retired_at=None)
        }
        created = []
        for use in (KeyUse.SIGN, KeyUse.ENCRYPT):
            if use not in active:
                active[use] = _create(org, use, at)
                created.append(active[use].kid)
        if created:
            record(
                actor=actor,
                operation=Operation.KEY_CHANGE,
                object_type="exchange.organisationkey",
                object_ids=created,
                justification=f"keys created for {org.key}",
                now=at,
            )
    return active


def rotate_keys(
    org: Organisation, *, actor: Any = None, reason: str = "", now: dt.datetime | None = None
) -> dict[str, OrganisationKey]:
    """Retire the active keys of ``org`` and create new ones; the old stay for verification."""
    at = now or clock.now()
    with transaction.atomic():
        old = list(
            OrganisationKey.objects.select_for_update()
            .filter(organisation=org, retired_at=None)
            .order_by()
        )
        OrganisationKey.objects.filter(pk__in=[k.pk for k in old]).update(retired_at=at)
        new: dict[str, OrganisationKey] = {
            use: _create(org, use, at) for use in (KeyUse.SIGN, KeyUse.ENCRYPT)
        }
        record(
            actor=actor,
            operation=Operation.KEY_CHANGE,
            object_type="exchange.organisationkey",
            object_ids=[k.kid for k in old] + [k.kid for k in new.values()],
            justification=reason or f"keys rotated for {org.key}",
            now=at,
        )
    return new


def private_key(key: OrganisationKey) -> OKPKey:
    """The usable private key of ``key``, unwrapped under the master key (memoised per process).

    Never stored unwrapped: the memo lives in this process's memory only (see
    :func:`_unwrapped`).
    """
    return _unwrapped(
        settings.MASTER_KEY, bytes(key.wrapped_private), key.organisation_id, key.use, key.kid
    )


@functools.lru_cache(maxsize=PRIVATE_KEY_CACHE_SIZE)
def _unwrapped(master_key: str, wrapped: bytes, organisation_id: int, use: str, kid: str) -> OKPKey:
    """Unwrap and import a private key; a pure function of its arguments, hence memoised.

    Sending signs every message with the sender's key, and unwrapping it (AES-GCM, then the
    key import) cost about a tenth of the crypto of a send. Why the memo is safe:

    - It is keyed by everything the result depends on: the master key, the wrapped bytes, the
      organisation and the use (the AES-GCM associated data) and the kid. A hit returns exactly
      what unwrapping would; anything that makes unwrapping fail (another organisation's id,
      another use, another master key, altered bytes) is a miss, and the miss fails as before.
      So an organisation can never obtain another's key through it.
    - It decides nothing: which key is active is still read from the database inside each
      send's transaction. A rotation retires the old row and creates a new one with new
      wrapped bytes and a new kid; the next send reads the new row, misses, and unwraps the new
      key. The old entry only ages out (the old key may still be needed to decrypt old mail).
    - It holds nothing an attacker inside the process lacks: the process keeps the master key,
      which opens every wrapped key, for its whole life. Nothing is written to disk or shared
      between processes. The size bound keeps the memo from growing with the directory.
    """
    raw = unwrap(wrapped, organisation_id, use, master_key)
    native: Ed25519PrivateKey | X25519PrivateKey
    if use == KeyUse.SIGN:
        native = Ed25519PrivateKey.from_private_bytes(raw)
    else:
        native = X25519PrivateKey.from_private_bytes(raw)
    return OKPKey.import_key(native, {"kid": kid})


@functools.lru_cache(maxsize=4096)
def _public_from_jwk_items(items: tuple[tuple[str, str], ...]) -> OKPKey:
    return OKPKey.import_key(dict(items))


def public_key(key: OrganisationKey) -> OKPKey:
    """The public key as a joserfc key (cached: the kid is a hash of the key itself)."""
    members = {k: v for k, v in key.public_jwk.items() if k in ("kty", "crv", "x", "kid")}
    return _public_from_jwk_items(tuple(sorted(members.items())))


def published_keys(org: Organisation) -> list[dict[str, Any]]:
    """The JWK set of ``org``: active keys first, retired ones (for old messages) after."""
    keys = OrganisationKey.objects.filter(organisation=org).order_by(
        F("retired_at").desc(nulls_first=True), "use"
    )
    out = []
    for k in keys:
        jwk = dict(k.public_jwk)
        jwk["iat"] = int(k.created_at.timestamp())
        if k.retired_at is not None:
            jwk["exp"] = int(k.retired_at.timestamp())
        out.append(jwk)
    return out
