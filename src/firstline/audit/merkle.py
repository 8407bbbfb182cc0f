"""The Merkle tree of RFC 9162 section 2.1, over any store of perfect-subtree hashes.

The tree hash of n leaves splits at the largest power of two smaller than n; a leaf hashes as
``SHA-256(0x00 || entry)``, an interior node as ``SHA-256(0x01 || left || right)``.

Storage. Every *perfect* subtree (2**level leaves starting at ``index * 2**level``) has a fixed
hash once its last leaf is appended, so the log stores those hashes as they complete (leaves
included, at level 0). Any ``MTH(D[a:b])`` that a proof needs decomposes into at most
``log2(n)`` perfect subtrees, so a proof over a million entries reads about 40 stored hashes in
one query. A node is addressed by its in-order position in an infinite binary tree
(:func:`node_id`): leaves are the even numbers, and a node's number lies between those of its
first and last leaf, which lets a verifier fetch "every node inside leaves [a, b)" as a range.

This module is pure: the proof functions take a ``fetch`` callable (ids -> hashes) so the same
code runs over the database (:mod:`firstline.audit.store`) and over memory (:class:`MemoryTree`,
used by the tests for parity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256() (RFC 9162 section 2.1.1)

Range = tuple[int, int]  # [start, end) of leaf indexes
Fetch = Callable[[Iterable[int]], dict[int, bytes]]  # node ids -> hashes


def hash_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n > 1): where the tree splits."""
    if n < 2:
        raise ValueError("a tree of fewer than two leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


def node_id(level: int, index: int) -> int:
    """In-order number of the perfect subtree of 2**level leaves starting at index * 2**level."""
    return (index << (level + 1)) + (1 << level) - 1


def node_position(node: int) -> tuple[int, int]:
    """Inverse of :func:`node_id`: (level, index)."""
    level = ((node + 1) & -(node + 1)).bit_length() - 1  # trailing one-bits of node
    return level, node >> (level + 1)


def perfect_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees, left to right, whose fold is MTH(D[start:end]).

    Valid for the ranges RFC 9162 proofs use: ``start`` is a multiple of every piece size,
    because those ranges come from repeatedly splitting at powers of two.
    """
    pieces = []
    while start < end:
        size = end - start
        if size & (size - 1) == 0:
            level = size.bit_length() - 1
            pieces.append((level, start >> level))
            break
        k = largest_power_of_two_below(size)
        level = k.bit_length() - 1
        pieces.append((level, start >> level))
        start += k
    return pieces


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of consecutive perfect subtrees of strictly decreasing size, given their hashes."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = hash_children(left, result)
    return result


def inclusion_ranges(leaf_index: int, tree_size: int) -> list[Range]:
    """The subtrees whose hashes form PATH(m, D[n]) (RFC 9162 2.1.3.1), in the RFC's order."""
    if not 0 <= leaf_index < tree_size:
        raise ValueError("leaf_index must be in [0, tree_size)")
    ranges: list[Range] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if leaf_index - lo < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()  # the recursion appends on the way back up: deepest sibling first
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees whose hashes form PROOF(m, D[n]) (RFC 9162 2.1.4.1), 0 < m < n."""
    if not 0 < first < second:
        raise ValueError("need 0 < first < second")
    ranges: list[Range] = []
    lo, hi = 0, second
    known = True  # the b flag of SUBPROOF: MTH(D[0:m]) is the hash the verifier holds
    while True:
        if first - lo == hi - lo:
            if not known:
                ranges.append((lo, hi))
            break
        k = largest_power_of_two_below(hi - lo)
        if first - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            known = False
    ranges.reverse()
    return ranges


def resolve(ranges: Sequence[Range], fetch: Fetch) -> list[bytes]:
    """The hash of each range, reading every stored node needed in one ``fetch``."""
    pieces = [perfect_pieces(a, b) for a, b in ranges]
    wanted = {node_id(level, index) for group in pieces for level, index in group}
    found = fetch(wanted)
    missing = wanted - found.keys()
    if missing:
        level, index = node_position(min(missing))
        raise LookupError(f"stored tree node missing: level {level}, index {index}")
    return [fold([found[node_id(lv, ix)] for lv, ix in group]) for group in pieces]


def tree_hash(tree_size: int, fetch: Fetch) -> bytes:
    """MTH(D[0:tree_size])."""
    if tree_size == 0:
        return EMPTY_ROOT
    return resolve([(0, tree_size)], fetch)[0]


def inclusion_proof(leaf_index: int, tree_size: int, fetch: Fetch) -> list[bytes]:
    return resolve(inclusion_ranges(leaf_index, tree_size), fetch)


def consistency_proof(first: int, second: int, fetch: Fetch) -> list[bytes]:
    return resolve(consistency_ranges(first, second), fetch)


def verify_inclusion(
    leaf_hash: bytes, leaf_index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2, step by step."""
    if leaf_index >= tree_size or leaf_index < 0:
        return False
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2, step by step."""
    if not 0 < first < second or not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:
        proof.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


class Frontier:
    """The right edge of a growing tree: one perfect-subtree hash per set bit of its size.

    ``append`` returns the perfect subtrees the new leaf completes, (node id, hash), the leaf
    itself first; these are exactly the rows to store. ``root`` folds the edge into MTH.
    Serialised as the concatenated hashes, largest subtree first (:meth:`to_bytes`).
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("a frontier holds one hash per set bit of the tree size")
        self.size = size
        self.hashes = list(hashes)  # largest subtree first

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        return cls(size, [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[int, bytes]]:
        index = self.size
        completed = [(index << 1, leaf_hash)]  # node_id(0, index)
        carry = leaf_hash
        level = 0
        while index >> level & 1:
            carry = hash_children(self.hashes.pop(), carry)
            level += 1
            completed.append((node_id(level, index >> level), carry))
        self.hashes.append(carry)
        self.size += 1
        return completed

    def append_perfect(self, level: int, subtree_hash: bytes) -> list[tuple[int, bytes]]:
        """Append a whole perfect subtree of 2**level leaves (the size must be a multiple of
        it and no smaller than the edge's last subtree); the subtrees completed, as ``append``."""
        if self.size & ((1 << level) - 1):
            raise ValueError("a perfect subtree must start at a multiple of its size")
        index = self.size >> level
        completed = [(node_id(level, index), subtree_hash)]
        carry = subtree_hash
        top = level
        while index & 1:
            carry = hash_children(self.hashes.pop(), carry)
            top += 1
            index >>= 1
            completed.append((node_id(top, index), carry))
        self.hashes.append(carry)
        self.size += 1 << level
        return completed

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT


class MemoryTree:
    """The same tree in memory, computed from the leaves: for tests and one-off checks."""

    def __init__(self, entries: Iterable[bytes] = ()) -> None:
        self.leaves: list[bytes] = []
        self.nodes: dict[int, bytes] = {}
        self.frontier = Frontier()
        for entry in entries:
            self.append(entry)

    def append(self, entry: bytes) -> None:
        leaf = hash_leaf(entry)
        self.leaves.append(leaf)
        self.nodes.update(self.frontier.append(leaf))

    def fetch(self, ids: Iterable[int]) -> dict[int, bytes]:
        return {i: self.nodes[i] for i in ids if i in self.nodes}

    def root(self, tree_size: int | None = None) -> bytes:
        return tree_hash(len(self.leaves) if tree_size is None else tree_size, self.fetch)

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> list[bytes]:
        return inclusion_proof(leaf_index, tree_size, self.fetch)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return consistency_proof(first, second, self.fetch)
