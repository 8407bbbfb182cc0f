"""Signed tree heads: the log's size and root at a moment, signed with the node's log key.

The signed payload is the RFC 8785 (JCS) JSON of three members, UTF-8, no whitespace::

    {"root_hash":"<base64 of the 32-byte root>","timestamp":<ms since epoch>,"tree_size":<n>}

(base64 with padding, RFC 4648 section 4), signed with Ed25519 (RFC 8032). A verifier rebuilds
it with ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` and checks the signature with
the published JWK; docs/audit.md shows the few lines.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction

from firstline.audit import keys, merkle
from firstline.audit.models import LogKey, LogState, Operation, TreeHead
from firstline.core import clock


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def signed_payload(tree_size: int, root_hash: bytes, timestamp: int) -> bytes:
    """The exact bytes an Ed25519 tree-head signature covers."""
    return rfc8785.dumps(
        {"root_hash": b64(root_hash), "timestamp": timestamp, "tree_size": tree_size}
    )


def _register_current_key(at: dt.datetime) -> None:
    """Keep the current public key for verifiers; a new key after another is a key change."""
    kid = keys.key_id()
    if LogKey.objects.filter(kid=kid).exists():
        return
    rotated = LogKey.objects.exists()
    LogKey.objects.create(
        kid=kid, public_key=keys.raw_public(keys.private_key().public_key()), first_used_at=at
    )
    if rotated:
        from firstline.audit.log import record

        record(
            actor=None,
            operation=Operation.KEY_CHANGE,
            object_type="audit.logkey",
            object_ids=[kid],
            now=at,
        )


def latest() -> TreeHead | None:
    return TreeHead.objects.order_by("-id").first()


def sign_tree_head(*, now: dt.datetime | None = None, only_if_grown: bool = False) -> TreeHead:
    """Sign and store a head for the log as it is now.

    With ``only_if_grown`` nothing new is signed when the latest head already covers every
    entry (the task that runs every N entries or T seconds may run twice). Timestamps never
    go backwards, even if the clock does.
    """
    at = now or clock.now()
    with transaction.atomic():
        # the same lock as writers: the head states exactly the entries committed before it,
        # and two nodes' processes signing their first head do not both register the key
        LogState.objects.select_for_update().get_or_create(id=1)
        _register_current_key(at)  # may append a key-change entry, under the lock
        state = LogState.objects.select_for_update().get(id=1)
        previous = latest()
        if only_if_grown and previous is not None and previous.tree_size >= state.size:
            return previous
        frontier = merkle.Frontier.from_bytes(state.size, bytes(state.frontier))
        root = frontier.root()
        timestamp = int(at.timestamp() * 1000)
        if previous is not None:
            timestamp = max(timestamp, previous.timestamp)
        signature = keys.private_key().sign(signed_payload(state.size, root, timestamp))
        head = TreeHead.objects.create(
            tree_size=state.size,
            root_hash=root,
            timestamp=timestamp,
            signature=signature,
            key_id=keys.key_id(),
        )
        if state.head_requested_at is None or state.head_requested_at < at:
            state.head_requested_at = at
            state.save(update_fields=["head_requested_at"])
    return head


def sign_if_stale(*, now: dt.datetime | None = None) -> TreeHead | None:
    """Sign a head if entries were added since the latest one and it is older than
    ``AUDIT_STH_EVERY_SECONDS``: the worker's periodic duty (``core.periodic``). None when
    nothing was due."""
    at = now or clock.now()
    previous = latest()
    size = LogState.objects.filter(id=1).values_list("size", flat=True).first() or 0
    if size == 0 or (previous is not None and previous.tree_size >= size):
        return None
    if (
        previous is not None
        and at.timestamp() * 1000 - previous.timestamp < settings.AUDIT_STH_EVERY_SECONDS * 1000
    ):
        return None
    return sign_tree_head(now=at, only_if_grown=True)


def public_key_for(kid: str) -> Ed25519PublicKey | None:
    raw = LogKey.objects.filter(kid=kid).values_list("public_key", flat=True).first()
    return None if raw is None else Ed25519PublicKey.from_public_bytes(bytes(raw))


def signature_valid(head: TreeHead, public: Ed25519PublicKey | None = None) -> bool:
    """Does the head's signature verify under its key (looked up by key id if not given)?"""
    public = public or public_key_for(head.key_id)
    if public is None:
        return False
    payload = signed_payload(head.tree_size, bytes(head.root_hash), head.timestamp)
    try:
        public.verify(bytes(head.signature), payload)
    except InvalidSignature:
        return False
    return True


def as_json(head: TreeHead) -> dict[str, Any]:
    """A head as the API, the commands and the proof downloads show it."""
    return {
        "tree_size": head.tree_size,
        "root_hash": b64(head.root_hash),
        "timestamp": head.timestamp,
        "signature": b64(head.signature),
        "key_id": head.key_id,
        "algorithm": keys.ALGORITHM,
    }
