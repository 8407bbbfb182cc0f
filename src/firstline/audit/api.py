"""Audit API: tree heads, proofs and entries (RFC 9162), and the log's public key.

Hashes are base64 (padded); proofs are in the RFC's order. Malformed or out-of-range
parameters get a 400 problem+json naming the parameter and the reason.

Who may call: the public key is public (anyone may check a tree head). Tree heads and proofs
hold no personal data: any signed-in actor. Entries hold internal ids and justifications: an
actor sees the canonical form of the entries the oversight policy lets them see (node
administrators all, a DPO their organisation's) and only the leaf hash of the others — enough
to recompute the tree, nothing more. Reading entries is itself logged.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema

from firstline import policy
from firstline.audit import heads, keys, proofs, store
from firstline.audit.models import AuditEntry, LogKey
from firstline.audit.reads import consulted
from firstline.core.problems import Problem

router = Router(tags=["audit"])

MAX_ENTRIES = 500


class TreeHeadOut(Schema):
    tree_size: int
    root_hash: str
    timestamp: int
    signature: str
    key_id: str
    algorithm: str


class InclusionOut(Schema):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    inclusion_path: list[str]
    tree_head: TreeHeadOut | None


class ConsistencyOut(Schema):
    first: int
    second: int
    first_hash: str
    second_hash: str
    consistency_path: list[str]
    first_tree_head: TreeHeadOut | None
    second_tree_head: TreeHeadOut | None


class EntryOut(Schema):
    leaf_index: int
    leaf_hash: str
    canonical: str | None


class EntriesOut(Schema):
    start: int
    end: int
    entries: list[EntryOut]


@router.get("/key", auth=None, response=dict[str, Any])
def log_key(request: HttpRequest) -> dict[str, Any]:
    """The node's current log key as a JWK (RFC 8037: kty OKP, crv Ed25519, x, kid)."""
    return keys.public_jwk()


@router.get("/keys", auth=None, response=dict[str, Any])
def log_keys(request: HttpRequest) -> dict[str, Any]:
    """Every key that signed a tree head here (a JWK Set), the current one first."""
    current = keys.public_jwk()
    older = [
        keys.public_jwk_for(bytes(raw))
        for kid, raw in LogKey.objects.order_by("-first_used_at").values_list("kid", "public_key")
        if kid != current["kid"]
    ]
    return {"keys": [current, *older]}


@router.get("/tree-head", response=TreeHeadOut)
def tree_head(request: HttpRequest) -> dict[str, Any]:
    """The latest signed tree head (one is signed now if the node never signed one)."""
    head = heads.latest() or heads.sign_tree_head()
    return heads.as_json(head)


@router.get("/proof/inclusion", response=InclusionOut)
def inclusion_proof(
    request: HttpRequest, leaf_index: str | None = None, tree_size: str | None = None
) -> dict[str, Any]:
    """PATH(leaf_index, D[tree_size]) — RFC 9162 2.1.3; tree_size defaults to the latest head."""
    return proofs.inclusion(
        proofs.parse_size(leaf_index, "leaf_index"), proofs.parse_size(tree_size, "tree_size")
    )


@router.get("/proof/consistency", response=ConsistencyOut)
def consistency_proof(
    request: HttpRequest, first: str | None = None, second: str | None = None
) -> dict[str, Any]:
    """PROOF(first, D[second]) — RFC 9162 2.1.4; second defaults to the latest head."""
    return proofs.consistency(
        proofs.parse_size(first, "first"), proofs.parse_size(second, "second")
    )


@router.get("/entries", response=EntriesOut)
def entries(request: HttpRequest, start: str | None = None, end: str | None = None) -> Any:
    """Entries start..end (inclusive, as RFC 9162 get-entries), at most 500 per call.

    An ``end`` past the log is cut to its last entry, and a range longer than 500 to its first
    500: continue from the last ``leaf_index`` returned.
    """
    first = proofs.parse_size(start, "start")
    last = proofs.parse_size(end, "end")
    if first is None:
        raise Problem.field("start", "is required")
    if last is None:
        raise Problem.field("end", "is required")
    if last < first:
        raise Problem.field("end", f"must not be smaller than start ({first})")
    size = store.log_size()
    if first >= size:
        raise Problem.field("start", f"the log holds {size} entries (0 to {size - 1})")
    last = min(last, size - 1, first + MAX_ENTRIES - 1)
    actor = request.auth  # type: ignore[attr-defined]
    rows = AuditEntry.objects.filter(seq__gte=first, seq__lte=last).order_by("seq")
    with transaction.atomic():
        readable = list(policy.visible_to(actor, rows))
        canonical = {e.seq: e.canonical for e in readable}
        shown = [
            {"leaf_index": seq, "leaf_hash": heads.b64(leaf), "canonical": canonical.get(seq)}
            for seq, leaf in rows.values_list("seq", "leaf_hash")
        ]
        # names the entries shown in full and the people they are about (audit_subjects)
        consulted(request, readable, object_type="audit.entry", actor=actor)
    return {"start": first, "end": last, "entries": shown}
