"""The Merkle tree as stored in the database: node reads, the log's size, its current root."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from firstline.audit import merkle
from firstline.audit.models import AuditNode, LogState


def fetch_nodes(ids: Iterable[int]) -> dict[int, bytes]:
    """Stored perfect-subtree hashes by node id, in one query (a proof needs about 2 log n)."""
    wanted = list(ids)
    if not wanted:
        return {}
    table = connection.ops.quote_name(AuditNode._meta.db_table)
    marks = ",".join(["%s"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, hash FROM {table} WHERE id IN ({marks})", wanted)  # noqa: S608
        return {node: bytes(value) for node, value in cursor.fetchall()}


def log_size() -> int:
    """Entries appended so far (committed, as seen by this transaction)."""
    size = LogState.objects.filter(id=1).values_list("size", flat=True).first()
    return int(size or 0)


def tree_hash(tree_size: int) -> bytes:
    return merkle.tree_hash(tree_size, fetch_nodes)


def inclusion_proof(leaf_index: int, tree_size: int) -> list[bytes]:
    return merkle.inclusion_proof(leaf_index, tree_size, fetch_nodes)


def consistency_proof(first: int, second: int) -> list[bytes]:
    return merkle.consistency_proof(first, second, fetch_nodes)
