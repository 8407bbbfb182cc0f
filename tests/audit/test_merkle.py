"""The Merkle tree against an independent, minimal RFC 9162 implementation written here.

The reference below is transcribed from RFC 9162 section 2.1 (recursive MTH, PATH, SUBPROOF and
the two verification algorithms) and imports nothing from First Line.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstline.audit import merkle


# --- reference implementation (RFC 9162 section 2.1) -------------------------------------
def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return ref_hash(b"")
    if n == 1:
        return ref_hash(b"\x00" + d[0])
    k = ref_k(n)
    return ref_hash(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_verify_inclusion(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = ref_hash(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = ref_hash(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def ref_verify_consistency(
    first: int, second: int, h1: bytes, h2: bytes, path: list[bytes]
) -> bool:
    if not path:
        return False
    path = list(path)
    if first & (first - 1) == 0:
        path = [h1, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = ref_hash(b"\x01" + c + fr)
            sr = ref_hash(b"\x01" + c + sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            sr = ref_hash(b"\x01" + sr + c)
        fn //= 2
        sn //= 2
    return fr == h1 and sr == h2 and sn == 0


# --- tests ------------------------------------------------------------------------------
def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


sizes = st.integers(min_value=1, max_value=300)


@given(sizes)
@settings(max_examples=60, deadline=None)
def test_every_inclusion_proof_matches_the_rfc_and_verifies(n: int) -> None:
    d = entries(n)
    tree = merkle.MemoryTree(d)
    root = ref_mth(d)
    assert tree.root() == root
    for i in range(n):
        path = tree.inclusion_proof(i, n)
        assert path == ref_path(i, d)
        leaf = ref_hash(b"\x00" + d[i])
        assert ref_verify_inclusion(leaf, i, n, path, root)
        assert merkle.verify_inclusion(leaf, i, n, path, root)


@given(sizes)
@settings(max_examples=60, deadline=None)
def test_every_consistency_proof_matches_the_rfc_and_verifies(n: int) -> None:
    d = entries(n)
    tree = merkle.MemoryTree(d)
    root = ref_mth(d)
    for m in range(1, n):
        proof = tree.consistency_proof(m, n)
        assert proof == ref_subproof(m, d, True)
        old = ref_mth(d[:m])
        assert ref_verify_consistency(m, n, old, root, proof)
        assert merkle.verify_consistency(m, n, old, root, proof)


@given(st.integers(min_value=2, max_value=200), st.data())
@settings(max_examples=80, deadline=None)
def test_it_rejects_proofs_with_any_hash_changed(n: int, data: st.DataObject) -> None:
    d = entries(n)
    tree = merkle.MemoryTree(d)
    root = tree.root()
    i = data.draw(st.integers(0, n - 1))
    path = tree.inclusion_proof(i, n)
    leaf = merkle.hash_leaf(d[i])
    if path:
        j = data.draw(st.integers(0, len(path) - 1))
        bad = [*path[:j], ref_hash(path[j]), *path[j + 1 :]]
        assert not merkle.verify_inclusion(leaf, i, n, bad, root)
        assert not merkle.verify_inclusion(leaf, i, n, path[:-1], root)
    assert not merkle.verify_inclusion(merkle.hash_leaf(b"other"), i, n, path, root)
    m = data.draw(st.integers(1, n - 1))
    proof = tree.consistency_proof(m, n)
    old = tree.root(m)
    j = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof[:j], ref_hash(proof[j]), *proof[j + 1 :]]
    assert not merkle.verify_consistency(m, n, old, root, bad)
    assert not merkle.verify_consistency(m, n, ref_hash(old), root, proof)
    assert not merkle.verify_consistency(m, n, old, root, [*proof, root])


@pytest.mark.parametrize("n", [1000, 1023, 1024, 1025, 4097, 65_537])
def test_spot_checks_at_larger_sizes(n: int) -> None:
    d = entries(n)
    tree = merkle.MemoryTree(d)
    root = ref_mth(d)
    assert tree.root() == root
    for i in {0, 1, n // 3, n // 2, n - 2, n - 1}:
        path = tree.inclusion_proof(i, n)
        assert ref_verify_inclusion(ref_hash(b"\x00" + d[i]), i, n, path, root)
    for m in {1, 2, n // 3, n // 2, n - 1}:
        proof = tree.consistency_proof(m, n)
        assert ref_verify_consistency(m, n, tree.root(m), root, proof)
        assert tree.root(m) == ref_mth(d[:m])


def test_the_empty_tree_hashes_the_empty_string() -> None:
    assert merkle.MemoryTree().root() == hashlib.sha256(b"").digest()


@given(st.integers(0, 40), st.integers(0, 2**20))
def test_node_ids_round_trip(level: int, index: int) -> None:
    assert merkle.node_position(merkle.node_id(level, index)) == (level, index)


def test_the_frontier_round_trips_and_gives_the_root() -> None:
    tree = merkle.MemoryTree(entries(13))
    data = tree.frontier.to_bytes()
    again = merkle.Frontier.from_bytes(13, data)
    assert again.root() == ref_mth(entries(13))
    again.append(merkle.hash_leaf(b"entry 13"))
    assert again.root() == ref_mth(entries(14))
