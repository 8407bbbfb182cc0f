"""Inclusion and consistency proofs as the API, the commands and the pages hand them out.

Hashes are base64 (RFC 4648 section 4, padded); paths are in RFC 9162's order (from the leaf
up). Every answer carries the hashes the proof is checked against and, where the node signed a
head of that size, the signed head itself.
"""

from __future__ import annotations

import re
from typing import Any

from firstline.audit import heads, merkle, store
from firstline.audit.models import TreeHead
from firstline.core.problems import Problem

_WHOLE = re.compile(r"^[0-9]{1,18}$")


def parse_size(value: str | None, field: str) -> int | None:
    """A query parameter that must be a non-negative whole number (None when absent)."""
    if value is None or value == "":
        return None
    if not _WHOLE.match(value):
        raise Problem.field(field, f"must be a whole number, not {value[:40]!r}")
    return int(value)


def _require(value: int | None, field: str) -> int:
    if value is None:
        raise Problem.field(field, "is required")
    if value < 0:  # (the API parses whole numbers; the commands take any integer)
        raise Problem.field(field, f"must not be negative, not {value}")
    return value


def default_tree_size() -> int:
    """The size of the latest signed head; the whole log if none was signed yet."""
    head = heads.latest()
    return head.tree_size if head is not None else store.log_size()


def _signed_head(tree_size: int) -> dict[str, Any] | None:
    head = TreeHead.objects.filter(tree_size=tree_size).order_by("-id").first()
    return heads.as_json(head) if head is not None else None


def _check_tree_size(tree_size: int, field: str) -> None:
    size = store.log_size()
    if tree_size > size:
        raise Problem.field(field, f"the log holds {size} entries, fewer than {tree_size}")


def inclusion(leaf_index: int | None, tree_size: int | None) -> dict[str, Any]:
    """PATH(leaf_index, D[tree_size]) with the leaf hash and the root it leads to."""
    leaf_index = _require(leaf_index, "leaf_index")
    tree_size = default_tree_size() if tree_size is None else tree_size
    if tree_size < 1:
        raise Problem.field("tree_size", "must be at least 1 (the log is empty)")
    _check_tree_size(tree_size, "tree_size")
    if leaf_index >= tree_size:
        raise Problem.field("leaf_index", f"must be smaller than tree_size ({tree_size})")
    ranges = merkle.inclusion_ranges(leaf_index, tree_size)
    hashes = merkle.resolve(
        [*ranges, (leaf_index, leaf_index + 1), (0, tree_size)], store.fetch_nodes
    )
    return {
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "leaf_hash": heads.b64(hashes[-2]),
        "root_hash": heads.b64(hashes[-1]),
        "inclusion_path": [heads.b64(h) for h in hashes[:-2]],
        "tree_head": _signed_head(tree_size),
    }


def consistency(first: int | None, second: int | None) -> dict[str, Any]:
    """PROOF(first, D[second]) with both roots."""
    first = _require(first, "first")
    second = default_tree_size() if second is None else second
    if first < 1:
        raise Problem.field("first", "must be at least 1")
    if first >= second:
        raise Problem.field(
            "first", f"must be smaller than second ({second}); equal trees need no proof"
        )
    _check_tree_size(second, "second")
    ranges = merkle.consistency_ranges(first, second)
    hashes = merkle.resolve([*ranges, (0, first), (0, second)], store.fetch_nodes)
    return {
        "first": first,
        "second": second,
        "first_hash": heads.b64(hashes[-2]),
        "second_hash": heads.b64(hashes[-1]),
        "consistency_path": [heads.b64(h) for h in hashes[:-2]],
        "first_tree_head": _signed_head(first),
        "second_tree_head": _signed_head(second),
    }
