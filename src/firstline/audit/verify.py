"""``audit verify``: recompute the whole log from its stored entries and check everything.

It streams the entries in ``seq`` order (aligned chunks of a power of two, one in memory; each
checked in bulk first, see "the fast path" below, and row by row where in doubt) and for each:
re-derives the canonical JSON from the row's columns and compares it with the stored canonical
form (an edit of either shows), recomputes the leaf hash, and hashes the leaf into the Merkle
tree, comparing every perfect subtree it completes with the stored node (so proofs handed out
from those nodes are the tree's). It checks every signed tree head against the recomputed root
of its size and against its signature, and the consistency of each head with the one before.

It stops at the first entry that was altered, deleted, inserted or reordered, and names it. On
a log whose entries *and* stored tree were rewritten consistently, only the signed heads (and
third parties who kept them) still disagree: the report then names the range between the last
head that matches and the first that does not.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from operator import methodcaller
from typing import Any

from django.db import DatabaseError, connection, transaction

from firstline.audit import heads, merkle
from firstline.audit.canonical import TIME_FORMAT, canonical_entry, entry_body, format_time
from firstline.audit.models import (
    ENTRY_COLUMNS,
    AuditEntry,
    AuditNode,
    AuditRef,
    LogState,
    RefKind,
    TreeHead,
)

try:  # the native fast path (C, built at install where a compiler is found; see _native.c)
    from firstline.audit import _native
except ImportError:  # pragma: no cover - the Python fast path checks the same, more slowly
    _native = None  # type: ignore[assignment]

CHUNK = 1 << 14  # entries per chunk; verify rounds it down to a power of two
_COLUMNS = ("id", *ENTRY_COLUMNS)


class Tampered(Exception):
    """The first thing found wrong; ``seq`` names the entry where that is known."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass
class Report:
    entries: int = 0
    heads: int = 0
    keys: set[str] = field(default_factory=set)
    problem: str = ""
    first_bad_seq: int | None = None
    # chunks checked by each path: "native" (C), "sql" (SQL and Python), "exact" (row by row)
    paths: dict[str, int] = field(default_factory=lambda: {"native": 0, "sql": 0, "exact": 0})
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem


def _at_text(value: Any) -> str:
    """The canonical time from the stored column, whichever way the backend returns it."""
    if isinstance(value, str):  # naive UTC text, microseconds omitted when zero
        date, _, time = value.partition(" ")
        if "." not in time:
            time += ".000000"
        return f"{date}T{time}Z"
    if value.tzinfo is None:  # SQLite's converter: naive, in UTC
        return value.strftime(TIME_FORMAT)
    return format_time(value)


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_list(value: Any) -> Any:
    """A JSON column's value (the backends hand JSON columns over as text)."""
    if value == "[]":  # the commonest value (no recipients), without a parse
        return []
    if not isinstance(value, str):
        return value
    try:  # the C scanner directly: json.loads adds two regex passes per call
        parsed, end = _scan(value, 0)
    except (StopIteration, ValueError):
        return json.loads(value)  # raises on what is not JSON at all
    return parsed if end == len(value) else json.loads(value)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _entries_select() -> str:
    """SELECT every column of ``_COLUMNS`` FROM the entries (the native path reads the same)."""
    names = [connection.ops.quote_name(c) for c in _COLUMNS]
    if connection.vendor == "sqlite":  # the stored text; Django's converter costs more
        names[_COLUMNS.index("at")] = "CAST(at AS TEXT)"
    return f"SELECT {', '.join(names)} FROM {_table(AuditEntry)}"  # noqa: S608


def _exact_rows(first: int, end: int | None = None) -> list[tuple[Any, ...]]:
    """Entries with ``first <= seq < end`` (or the next chunk from ``first``), ordered by
    (seq, id), duplicates included, with every column the exact checks read."""
    sql = f"{_entries_select()} WHERE seq >= %s"
    if end is None:
        sql += " ORDER BY seq, id LIMIT %s"
        params = [first, CHUNK]
    else:
        sql += " AND seq < %s ORDER BY seq, id"
        params = [first, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _nodes_between(first_id: int, end_id: int) -> dict[int, bytes]:
    sql = f"SELECT id, hash FROM {_table(AuditNode)} WHERE id >= %s AND id < %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_id, end_id])
        return {node: bytes(value) for node, value in cursor.fetchall()}


def _refs_for(entry_ids: list[int]) -> dict[int, tuple[set[str], set[str]]]:
    found: dict[int, tuple[set[str], set[str]]] = {}
    if not entry_ids:
        return found
    sql = (
        f"SELECT entry_id, kind, ref FROM {_table(AuditRef)} "  # noqa: S608
        "WHERE entry_id >= %s AND entry_id <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [min(entry_ids), max(entry_ids)])
        for entry_id, kind, value in cursor.fetchall():
            subjects, recipients = found.setdefault(entry_id, (set(), set()))
            (subjects if kind == RefKind.SUBJECT else recipients).add(value)
    return found


# --- the fast path ----------------------------------------------------------------------------
# A million entries through the exact per-row checks above take tens of seconds. So verify
# reads the log in aligned chunks of a power of two and first checks each chunk at C speed:
# the columns against the canonical form and the subject index against the columns in SQL (one
# flag per row), the leaf hashes, every perfect subtree inside the chunk and every stored node
# level by level with ``map`` and one comparison of the joined bytes. A chunk that passes is
# sound by the same checks; at the first doubt the chunk goes through the exact per-row path,
# which finds and names the problem exactly as before (or finds none: a false alarm, such as a
# non-ASCII id that the JSON columns store escaped, only costs time).

_digest = methodcaller("digest")
_leaf_input = merkle.LEAF_PREFIX.__add__
_node_input = merkle.NODE_PREFIX.__add__

# Might the row's columns or index disagree with its canonical form? (True when in doubt.)
# SQLite rebuilds the canonical form from the columns exactly as ``canonical_entry`` does:
# json_quote escapes what RFC 8785 escapes (the quote, the backslash, control characters as
# \b \t \n \f \r or lower-case \u00xx) and leaves the rest as UTF-8; json() gives the lists
# as stored, minified (an id that the column stores escaped only sends the row to the exact
# path). The index must hold each of the entry's subjects and recipients once, as ``record``
# writes them (compared in the index's own order). ``%%`` is a literal ``%`` for Django's cursor.
_SQLITE_AT = (
    "CASE WHEN instr(e.at, ' ') = 11 THEN substr(e.at, 1, 10) || 'T' || substr(e.at, 12) "
    "|| CASE WHEN instr(substr(e.at, 12), '.') THEN '' ELSE '.000000' END || 'Z' END"
)
_SQLITE_DOUBT = """(printf('{"actor":{"node":%%s,"organisation":%%s,"user":%%s},"at":%%s,\
"justification":%%s,"object":{"ids":%%s,"type":%%s},"operation":%%s,"outcome":%%s,\
"recipients":%%s,"request_id":%%s,"seq":%%d,"subjects":%%s}',
        json_quote(e.actor_node), json_quote(e.actor_organisation), json_quote(e.actor_user),
        json_quote({at}), json_quote(e.justification), json(e.object_ids),
        json_quote(e.object_type), json_quote(e.operation), json_quote(e.outcome),
        json(e.recipients), json_quote(e.request_id), e.seq, json(e.subjects))
    IS NOT e.canonical
    OR (SELECT json_group_array(json_array(kind, ref)) FROM (
        SELECT r.kind, r.ref FROM {ref} r WHERE r.entry_id = e.id ORDER BY r.kind, r.ref))
    IS NOT (SELECT json_group_array(json_array(k, v)) FROM (SELECT DISTINCT k, v FROM (
        SELECT 'subject' AS k, j.value AS v FROM json_each(e.subjects) j
        UNION ALL SELECT 'recipient', j.value FROM json_each(e.recipients) j) ORDER BY k, v)))"""

# PostgreSQL compares the values (jsonb decodes); the serialisation itself is fixed by the leaf
# hash, which the tree and the signed heads hold.
_POSTGRES_DOUBT = """(
    (j.c -> 'seq') IS DISTINCT FROM to_jsonb(e.seq)
    OR (j.c -> 'at') IS DISTINCT FROM to_jsonb(
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    OR (j.c -> 'actor' -> 'user') IS DISTINCT FROM to_jsonb(e.actor_user)
    OR (j.c -> 'actor' -> 'organisation') IS DISTINCT FROM to_jsonb(e.actor_organisation)
    OR (j.c -> 'actor' -> 'node') IS DISTINCT FROM to_jsonb(e.actor_node)
    OR (j.c -> 'operation') IS DISTINCT FROM to_jsonb(e.operation)
    OR (j.c -> 'object' -> 'type') IS DISTINCT FROM to_jsonb(e.object_type)
    OR (j.c -> 'justification') IS DISTINCT FROM to_jsonb(e.justification)
    OR (j.c -> 'request_id') IS DISTINCT FROM to_jsonb(e.request_id)
    OR (j.c -> 'outcome') IS DISTINCT FROM to_jsonb(e.outcome)
    OR (j.c -> 'object' -> 'ids') IS DISTINCT FROM e.object_ids
    OR (j.c -> 'subjects') IS DISTINCT FROM e.subjects
    OR (j.c -> 'recipients') IS DISTINCT FROM e.recipients
    OR EXISTS (SELECT 1 FROM {ref} r WHERE r.entry_id = e.id AND NOT (CASE
        WHEN r.kind = 'subject' THEN e.subjects ELSE e.recipients END)
        @> jsonb_build_array(r.ref))
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(e.subjects) v WHERE NOT EXISTS (
        SELECT 1 FROM {ref} r WHERE r.entry_id = e.id AND r.kind = 'subject'
            AND to_jsonb(r.ref) = v.value))
    OR (e.recipients <> '[]'::jsonb AND EXISTS (SELECT 1 FROM jsonb_array_elements(e.recipients) v
        WHERE NOT EXISTS (SELECT 1 FROM {ref} r WHERE r.entry_id = e.id
            AND r.kind <> 'subject' AND to_jsonb(r.ref) = v.value)))
)"""


def _fast_entries_sql() -> str:
    entry, ref = _table(AuditEntry), _table(AuditRef)
    if connection.vendor == "postgresql":
        return (
            f"SELECT e.seq, convert_to(e.canonical, 'UTF8'), e.leaf_hash, "  # noqa: S608
            f"{_POSTGRES_DOUBT.replace('{ref}', ref)} FROM {entry} e "
            "CROSS JOIN LATERAL (SELECT e.canonical::jsonb AS c) j "
            "WHERE e.seq >= %s AND e.seq < %s ORDER BY e.seq, e.id"
        )
    return (
        f"SELECT e.seq, CAST(e.canonical AS BLOB), e.leaf_hash, "  # noqa: S608
        f"{_SQLITE_DOUBT.replace('{at}', _SQLITE_AT).replace('{ref}', ref)} FROM {entry} e "
        "WHERE e.seq >= %s AND e.seq < %s ORDER BY e.seq, e.id"
    )


def _query(sql: str, params: list[Any]) -> list[tuple[Any, ...]] | None:
    """The rows, or None where the database refuses (say, text that is not JSON at all)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except DatabaseError:
        return None


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """The hashes of every perfect subtree inside a run of leaves, level by level, at C speed."""
    levels = [leaves]
    level = leaves
    while len(level) > 1:
        joined = b"".join(level)
        end = len(level) // 2 * 64
        pairs = map(joined.__getitem__, map(slice, range(0, end, 64), range(64, end + 64, 64)))
        level = list(map(_digest, map(sha256, map(_node_input, pairs))))
        levels.append(level)
    return levels


def _stored_nodes_match(
    start: int, count: int, levels: list[list[bytes]], rows: list[tuple[Any, ...]]
) -> dict[int, bytes] | None:
    """None unless the stored nodes among leaves [start, start + count) are the recomputed
    ones; then those the chunk does not complete (the one between this chunk and the next),
    which wait in ``pending`` as on the exact path."""
    base = 2 * start
    if count & (count - 1) == 0:  # a whole aligned chunk: every id but the last is inside
        inside = 2 * count - 1
        ids, hashes = zip(*rows, strict=True) if rows else ((), ())
        if ids[:inside] != tuple(range(base, base + inside)):
            return None
        for level, computed in enumerate(levels):
            step = 2 << level
            stored = hashes[(1 << level) - 1 : inside : step]
            if b"".join(stored) != b"".join(computed):
                return None
        return {node: bytes(value) for node, value in rows[inside:]}
    expected = {
        base + (index << (level + 1)) + (1 << level) - 1: value
        for level, computed in enumerate(levels)
        for index, value in enumerate(computed)
    }
    found = dict(rows)
    if any(bytes(found.get(node, b"")) != value for node, value in expected.items()):
        return None
    return {node: bytes(found[node]) for node in found.keys() - expected.keys()}


@dataclass(frozen=True)
class _Chunk:
    """Entries [start, start + count) checked in bulk: sound, with their subtree hashes."""

    via: str  # "native" or "sql"
    count: int  # 0: no entry in the range
    levels: list[bytes]  # level L: the hashes of the chunk's perfect subtrees of 2**L leaves
    extra: dict[int, bytes]  # stored nodes in the range that no subtree inside accounts for

    def node(self, start: int, level: int, index: int) -> bytes:
        at = (index - (start >> level)) * merkle.HASH_SIZE
        return self.levels[level][at : at + merkle.HASH_SIZE]


def _sql_chunk(sql: str, start: int, size: int) -> _Chunk | None:
    """The chunk checked by ``_fast_entries_sql`` and hashed with ``map``; None in doubt."""
    rows = _query(sql, [start, start + size])
    if rows is None:
        return None
    if not rows:
        return _Chunk("sql", 0, [], {})
    count = len(rows)
    seqs, blobs, stored_leaves, doubts = zip(*rows, strict=True)
    if seqs != tuple(range(start, start + count)) or any(doubts):
        return None
    leaves = list(map(_digest, map(sha256, map(_leaf_input, blobs))))
    if b"".join(leaves) != b"".join(stored_leaves):
        return None
    levels = _levels(leaves)
    nodes = _query(
        f"SELECT id, hash FROM {_table(AuditNode)} WHERE id >= %s AND id < %s ORDER BY id",  # noqa: S608
        [2 * start, 2 * (start + count)],
    )
    extra = None if nodes is None else _stored_nodes_match(start, count, levels, nodes)
    if extra is None:
        return None
    return _Chunk("sql", count, [b"".join(level) for level in levels], extra)


# --- the native fast path ---------------------------------------------------------------------
# On SQLite, ``_native.check_chunk`` (C) does what ``_sql_chunk`` does, from its own read-only
# connection and without the GIL, so chunks are checked on every core. It only sees what is
# committed: inside a transaction (the tests' own, say) verify keeps to the Python paths.


def _native_database() -> str | None:
    """The database the native path may open, or None where it does not apply."""
    if _native is None or connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    return str(connection.settings_dict["NAME"])  # a path, or the tests' shared-memory URI


def generated_columns_as_defined() -> bool:
    """Does the database still generate every entry column from the canonical form exactly as
    the model defines it? (SQLite keeps each table's definition as text.) The native path
    reads only the canonical form and relies on this; the other paths compare the values."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s",
            [AuditEntry._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    editor = connection.schema_editor()  # not entered: it only writes column definitions
    for entry_field in AuditEntry._meta.concrete_fields:
        if entry_field.generated:
            definition, _ = editor.column_sql(AuditEntry, entry_field)
            if f"{editor.quote_name(entry_field.column)} {definition}" not in row[0]:
                return False
    return True


def _native_statements() -> tuple[str, str, str, tuple[str, str]]:
    """The SQL the native path runs (in SQLite's ``?`` style), with the index's kind values."""
    entry = _table(AuditEntry)
    return (
        # in id order from the id of entry ``start`` (read in table order, not through the
        # index of seq): in a sound log the ids follow the seqs, and any row that does not
        # is a doubt; seq is unique, and check_end finds rows numbered below zero
        f"SELECT id, seq, canonical, leaf_hash FROM {entry} WHERE id >= "  # noqa: S608
        f"(SELECT id FROM {entry} WHERE seq = ?1) ORDER BY id LIMIT ?2 - ?1",
        f"SELECT entry_id, kind, ref FROM {_table(AuditRef)} "  # noqa: S608
        "WHERE entry_id >= ? AND entry_id <= ? ORDER BY entry_id, kind, ref",
        f"SELECT id, hash FROM {_table(AuditNode)} WHERE id >= ? AND id < ? ORDER BY id",  # noqa: S608
        (RefKind.SUBJECT.value, RefKind.RECIPIENT.value),
    )


_readers = threading.local()  # each worker thread's own read-only connection


def _native_chunk(
    database: str, start: int, size: int, statements: tuple[str, str, str, tuple[str, str]]
) -> _Chunk | None:
    if getattr(_readers, "database", None) != database:
        _readers.reader = _native.connect(database)
        _readers.database = database
    entries, refs, nodes, kinds = statements
    result = _native.check_chunk(_readers.reader, start, size, entries, refs, nodes, kinds)
    if result is None:
        return None
    levels, extra = result
    count = len(levels[0]) // merkle.HASH_SIZE if levels else 0
    return _Chunk("native", count, levels, dict(extra))


def _differing_fields(stored: bytes, derived: dict[str, Any]) -> str:
    try:
        parsed = json.loads(stored)
    except ValueError:
        return "its canonical form is not valid JSON"
    if not isinstance(parsed, dict):
        return "its canonical form is not a JSON object"
    names = sorted(k for k in derived.keys() | parsed.keys() if derived.get(k) != parsed.get(k))
    return "differs in " + ", ".join(names) if names else "differs in serialisation"


def _node_label(node: int) -> str:
    level, index = merkle.node_position(node)
    first = index << level
    return (
        f"tree node (level {level}, index {index}) over entries {first}-{first + (1 << level) - 1}"
    )


class _Verifier:
    def __init__(self, chunk: int, progress: Callable[[int], object] | None) -> None:
        self.chunk = chunk
        self.progress = progress
        self.report = Report()
        self.frontier = merkle.Frontier()
        self.pending: dict[int, bytes] = {}  # stored nodes fetched but not yet recomputed
        self.fetched_to = 0  # node ids below this were fetched
        self.heads = list(TreeHead.objects.order_by("tree_size", "id"))
        self.next_head = 0

    # -- tree heads -------------------------------------------------------------------------
    def check_signatures(self) -> None:
        keys: dict[str, Any] = {}
        previous: TreeHead | None = None
        for head in TreeHead.objects.order_by("id"):
            if head.key_id not in keys:
                keys[head.key_id] = heads.public_key_for(head.key_id)
            if keys[head.key_id] is None:
                raise Tampered(f"tree head #{head.pk} is signed by an unknown key {head.key_id}")
            if not heads.signature_valid(head, keys[head.key_id]):
                raise Tampered(
                    f"tree head #{head.pk} (size {head.tree_size}): the signature does not verify"
                )
            if previous is not None and (
                head.tree_size < previous.tree_size or head.timestamp < previous.timestamp
            ):
                raise Tampered(
                    f"tree head #{head.pk} (size {head.tree_size}) goes back from #{previous.pk} "
                    f"(size {previous.tree_size}): the log was rolled back or forked"
                )
            previous = head
            self.report.heads += 1
        self.report.keys = set(keys)

    def check_heads_at(self, size: int) -> None:
        root = None
        while self.next_head < len(self.heads) and self.heads[self.next_head].tree_size == size:
            head = self.heads[self.next_head]
            root = root or self.frontier.root()
            if bytes(head.root_hash) != root:
                raise Tampered(
                    f"tree head #{head.pk} of {size} entries does not match the stored entries: "
                    f"an entry before {size} was rewritten together with the stored tree",
                    seq=None,
                )
            self.next_head += 1

    def check_consistency(self) -> None:
        """Each head is consistent with the previous one, by an RFC 9162 proof from storage."""
        from firstline.audit import store

        previous: TreeHead | None = None
        for head in TreeHead.objects.order_by("id"):
            if previous is not None and 0 < previous.tree_size < head.tree_size:
                proof = store.consistency_proof(previous.tree_size, head.tree_size)
                if not merkle.verify_consistency(
                    previous.tree_size,
                    head.tree_size,
                    bytes(previous.root_hash),
                    bytes(head.root_hash),
                    proof,
                ):
                    raise Tampered(f"tree heads #{previous.pk} and #{head.pk} are not consistent")
            elif (
                previous is not None
                and previous.tree_size == head.tree_size
                and bytes(previous.root_hash) != bytes(head.root_hash)
            ):
                raise Tampered(f"tree heads #{previous.pk} and #{head.pk} fork at one size")
            previous = head

    # -- entries ----------------------------------------------------------------------------
    def fetch_nodes_for(self, end_leaf: int) -> None:
        end_id = 2 * end_leaf
        if end_id > self.fetched_to:
            self.pending.update(_nodes_between(self.fetched_to, end_id))
            self.fetched_to = end_id

    def check_rows(self, rows: list[tuple[Any, ...]]) -> None:
        refs = _refs_for([r[0] for r in rows])
        expected = self.frontier.size
        self.fetch_nodes_for(expected + len(rows))
        sha256 = hashlib.sha256
        prefix = merkle.LEAF_PREFIX
        pending = self.pending
        for row in rows:
            (pk, seq, at, user, org, node, operation, object_type, object_ids, subjects,
             recipients, justification, request_id, outcome, canonical, leaf_hash) = row  # fmt: skip
            if seq != expected:
                if seq < expected:
                    raise Tampered(f"entry {seq} appears twice (an entry was inserted)", seq)
                raise Tampered(
                    f"entry {expected} is missing (deleted); the next stored entry is {seq}",
                    expected,
                )
            stored = canonical.encode("utf-8")
            try:
                fields = {
                    "seq": seq,
                    "at": _at_text(at),
                    "actor_user": user,
                    "actor_organisation": org,
                    "actor_node": node,
                    "operation": operation,
                    "object_type": object_type,
                    "object_ids": _json_list(object_ids),
                    "subjects": _json_list(subjects),
                    "recipients": _json_list(recipients),
                    "justification": justification,
                    "request_id": request_id,
                    "outcome": outcome,
                }
                derived = canonical_entry(**fields)
            except (TypeError, ValueError, AttributeError) as exc:
                raise Tampered(
                    f"entry {seq} was altered: its columns do not form an entry ({exc})", seq
                ) from None
            if derived != stored:
                raise Tampered(
                    f"entry {seq} was altered: its columns and its canonical form disagree "
                    f"({_differing_fields(stored, entry_body(**fields))})",
                    seq,
                )
            leaf = sha256(prefix + stored).digest()
            if leaf != bytes(leaf_hash):
                raise Tampered(
                    f"entry {seq} was altered: its leaf hash does not match its content", seq
                )
            for node_id, value in self.frontier.append(leaf):
                kept = pending.pop(node_id, None)
                if kept != value:
                    if node_id == seq << 1 and kept is None:
                        raise Tampered(f"entry {seq} was inserted: the tree never recorded it", seq)
                    if node_id == seq << 1:
                        raise Tampered(
                            f"entry {seq} was altered: it differs from the leaf the tree "
                            "recorded when it was appended",
                            seq,
                        )
                    state = "missing" if kept is None else "altered"
                    raise Tampered(f"stored {_node_label(node_id)} is {state}", seq)
            indexed = refs.get(pk, (set(), set()))
            if indexed[0] != set(fields["subjects"]) or indexed[1] != set(fields["recipients"]):
                raise Tampered(
                    f"entry {seq}: the search index of its subjects and recipients was altered",
                    seq,
                )
            expected += 1
            self.check_heads_at(expected)
        self.report.entries = expected

    def check_end(self) -> None:
        count = self.frontier.size
        state = LogState.objects.filter(id=1).first()
        size = state.size if state is not None else 0
        if count < size:
            raise Tampered(
                f"entry {count} is missing (deleted): the log state records {size} entries, "
                f"{count} are stored",
                count,
            )
        if count > size:
            raise Tampered(
                f"entry {size} was inserted: the log state records only {size} entries", size
            )
        stray = (
            AuditEntry.objects.filter(seq__lt=0).order_by("seq").values_list("seq", flat=True)[:1]
        )
        for seq in stray:  # no chunk reads below 0
            raise Tampered(f"an entry numbered {seq} lies outside the log (it was inserted)")
        for head in self.heads[self.next_head :]:
            raise Tampered(
                f"tree head #{head.pk} covers {head.tree_size} entries but only {count} are "
                f"stored: entry {count} onwards was deleted",
                count,
            )
        self.fetch_nodes_for(count)
        extra = sorted(self.pending) or list(
            AuditNode.objects.filter(id__gte=self.fetched_to).values_list("id", flat=True)[:1]
        )
        if extra:
            raise Tampered(f"stored {_node_label(extra[0])} lies beyond the last entry", count)
        if state is not None and bytes(state.frontier) != self.frontier.to_bytes():
            raise Tampered("the log state's record of the tree's right edge was altered", None)

    # -- the fast path ----------------------------------------------------------------------
    def try_fast(self, start: int, chunk: _Chunk) -> bool:
        """Join a chunk checked in bulk to the tree; False (nothing changed) when in doubt."""
        count = chunk.count
        frontier = self.frontier
        if not count or frontier.size != start or self.fetched_to != 2 * start:
            return False
        node = chunk.node
        # the chunk's perfect subtrees join the right edge; those they complete were stored
        after = frontier.copy()
        above: list[tuple[int, bytes]] = []
        for level, index in merkle.perfect_pieces(start, start + count):
            above.extend(after.append_perfect(level, node(start, level, index))[1:])
        if any(self.pending.get(node_id) != value for node_id, value in above):
            return False
        heads = self.heads
        checked = self.next_head
        while checked < len(heads) and heads[checked].tree_size <= start + count:
            size = heads[checked].tree_size
            edge = frontier.copy()
            for level, index in merkle.perfect_pieces(start, size):
                edge.append_perfect(level, node(start, level, index))
            if bytes(heads[checked].root_hash) != edge.root():
                return False
            checked += 1
        for node_id, _ in above:
            del self.pending[node_id]
        self.pending.update(chunk.extra)
        self.frontier = after
        self.next_head = checked
        self.fetched_to = 2 * (start + count)
        self.report.entries = start + count
        return True

    def chunks(self, size: int, native: bool) -> Generator[tuple[int, _Chunk | None]]:
        """(start, the chunk checked in bulk, or None in doubt) for start = 0, size, 2 size...

        Natively, the chunks are checked ahead, one thread per core (the C code releases the
        GIL), at most two per thread in flight; a native doubt gets a second opinion from SQL.
        """
        sql = _fast_entries_sql()
        database = _native_database() if native else None
        if database is not None and not generated_columns_as_defined():
            self.report.notes.append(
                "the entries table no longer generates its columns from the canonical form as "
                "defined: the columns were compared with it row by row"
            )
            database = None
        if database is None:
            start = 0
            while True:
                yield start, _sql_chunk(sql, start, size)
                start += size
        statements = _native_statements()
        workers = max(1, min(4, os.cpu_count() or 1))
        with ThreadPoolExecutor(workers, thread_name_prefix="audit-verify") as pool:
            window: deque[tuple[int, Future[_Chunk | None]]] = deque()
            ahead = 0
            try:
                while True:
                    while len(window) < 2 * workers:
                        window.append(
                            (ahead, pool.submit(_native_chunk, database, ahead, size, statements))
                        )
                        ahead += size
                    start, future = window.popleft()
                    chunk = future.result()
                    yield start, chunk if chunk is not None else _sql_chunk(sql, start, size)
            finally:
                for _, pending in window:
                    pending.cancel()

    def check_entries(self, native: bool) -> None:
        """Every entry, in aligned chunks: in bulk where sound, else row by row."""
        size = 1 << (max(self.chunk, 1).bit_length() - 1)  # chunks line up with subtrees
        chunks = self.chunks(size, native)
        try:
            for start, chunk in chunks:
                if chunk is not None and self.try_fast(start, chunk):
                    count = chunk.count
                    self.report.paths[chunk.via] += 1
                else:
                    # the exact path names what is wrong; an empty range may hide entries beyond
                    empty = chunk is not None and chunk.count == 0
                    exact = _exact_rows(start) if empty else _exact_rows(start, start + size)
                    if not exact:
                        return
                    self.check_rows(exact)
                    self.report.paths["exact"] += 1
                    count = len(exact)
                if self.progress:
                    self.progress(count)
        finally:
            chunks.close()

    def run(self, native: bool) -> Report:
        try:
            self.check_signatures()
            self.check_heads_at(0)
            self.check_entries(native)
            self.check_end()
            self.check_consistency()
        except Tampered as exc:
            self.report.problem = str(exc)
            self.report.first_bad_seq = exc.seq
        return self.report


def verify_log(
    *,
    chunk: int = CHUNK,
    progress: Callable[[int], object] | None = None,
    native: bool = True,
) -> Report:
    """Check the whole log; the report names the first problem found (empty when sound).

    ``native=False`` keeps to the Python paths (the tests compare the two)."""
    return _Verifier(chunk, progress).run(native)
