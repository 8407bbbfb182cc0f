"""Signed tree heads verify with the published JWK, by joserfc and by cryptography alone."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client
from joserfc.jwk import OKPKey

from firstline.accounts.models import User
from firstline.audit import heads, keys, store
from firstline.audit.models import AuditEntry, LogKey, Operation, TreeHead


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def payload_of(head: dict[str, object]) -> bytes:
    members = {k: head[k] for k in ("root_hash", "timestamp", "tree_size")}
    return json.dumps(members, sort_keys=True, separators=(",", ":")).encode()


def test_the_published_key_verifies_a_tree_head(
    write_log: Callable[..., list[AuditEntry]],
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    write_log(9)
    heads.sign_tree_head()
    client = signed_in(albanian_officer)
    jwk = Client().get("/api/v1/audit/key").json()  # public: no sign-in needed
    head = client.get("/api/v1/audit/tree-head").json()
    assert (jwk["kty"], jwk["crv"], jwk["kid"]) == ("OKP", "Ed25519", head["key_id"])
    assert head["tree_size"] == 9
    assert base64.b64decode(head["root_hash"]) == store.tree_hash(9)

    signature = base64.b64decode(head["signature"])
    # with joserfc's JWK import
    public = OKPKey.import_key(jwk).get_op_key("verify")
    public.verify(signature, payload_of(head))
    # and with nothing but cryptography
    Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"])).verify(signature, payload_of(head))


def test_the_key_id_is_the_rfc7638_thumbprint(db: None) -> None:
    jwk = keys.public_jwk()
    members = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"), sort_keys=True
    )
    digest = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=")
    assert jwk["kid"] == digest.decode() == keys.key_id()


def test_the_signed_payload_is_canonical_json(db: None) -> None:
    assert heads.signed_payload(3, b"\x00" * 32, 1700000000000) == (
        b'{"root_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",'
        b'"timestamp":1700000000000,"tree_size":3}'
    )


def test_timestamps_never_go_backwards(write_log: Callable[..., list[AuditEntry]]) -> None:
    import datetime as dt

    write_log(2)
    later = heads.sign_tree_head(now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    earlier = heads.sign_tree_head(now=dt.datetime(2029, 1, 1, tzinfo=dt.UTC))
    assert earlier.timestamp == later.timestamp
    assert heads.signature_valid(earlier)


def test_signing_only_if_grown_does_not_repeat_itself(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    write_log(3)
    first = heads.sign_tree_head(only_if_grown=True)
    assert heads.sign_tree_head(only_if_grown=True) == first
    write_log(1)
    assert heads.sign_tree_head(only_if_grown=True).tree_size == 4


def test_a_new_log_key_is_logged_and_old_heads_still_verify(
    write_log: Callable[..., list[AuditEntry]], settings: object
) -> None:
    write_log(2)
    old = heads.sign_tree_head()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.AUDIT_LOG_KEY = pem.decode()  # type: ignore[attr-defined]
    keys.private_key.cache_clear()
    try:
        new = heads.sign_tree_head()
        assert new.key_id != old.key_id
        assert AuditEntry.objects.filter(operation=Operation.KEY_CHANGE).count() == 1
        assert new.tree_size == 3  # the key change is in the log the new key signs
        assert LogKey.objects.count() == 2
        assert all(heads.signature_valid(h) for h in TreeHead.objects.all())
        from firstline.audit.verify import verify_log

        assert verify_log().ok
    finally:
        keys.private_key.cache_clear()


def test_a_production_key_must_be_ed25519(settings: object) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    settings.AUDIT_LOG_KEY = pem.decode()  # type: ignore[attr-defined]
    keys.private_key.cache_clear()
    try:
        with pytest.raises(ValueError, match="Ed25519"):
            keys.private_key()
    finally:
        keys.private_key.cache_clear()
