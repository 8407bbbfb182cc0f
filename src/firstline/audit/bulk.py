"""The fast paths of ``audit verify``: chunks of the log checked in bulk.

A million entries through the exact per-row checks of ``verify`` take tens of seconds. So
verify reads the log in aligned chunks of a power of two and first checks each chunk in bulk,
by one of three paths:

- **native** (SQLite, with the C module built): ``_native.check_chunk`` reads the chunk
  through its own read-only connection, checks the index against the canonical forms, hashes
  the leaves and every perfect subtree inside the chunk, and compares the stored nodes,
  without the GIL, on every core;
- **postgres**: the canonical forms are read with their index rows printed as the JSON lists
  the canonical forms must hold, and the hashing is done here;
- **sql**: the database flags every row whose columns or index disagree with its canonical
  form (rebuilding it from the columns), and the hashing is done here.

The first two rely on the entry columns being generated from the canonical form exactly as the
model defines them, which ``generated_columns_as_defined`` checks first. A chunk that passes
is sound by the same checks as the exact path; at the first doubt (``None``) the chunk goes
through the exact per-row path of ``verify``, which finds and names the problem (or finds
none: a false alarm, such as a non-ASCII id that the JSON columns store escaped, only costs
time).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from hashlib import sha256
from operator import methodcaller
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from firstline.audit import merkle
from firstline.audit.models import AuditEntry, AuditNode, AuditRef, RefKind

try:  # the native fast path (C, built at install where a compiler is found; see _native.c)
    from firstline.audit import _native
except ImportError:  # pragma: no cover - the Python fast path checks the same, more slowly
    _native = None  # type: ignore[assignment]


def table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


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
    entry, ref = table(AuditEntry), table(AuditRef)
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


def _query(
    sql: str, params: Sequence[Any] | dict[str, Any], setup: str = ""
) -> list[tuple[Any, ...]] | None:
    """The rows, or None where the database refuses (say, text that is not JSON at all)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if setup:
                cursor.execute(setup)
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
class Chunk:
    """Entries [start, start + count) checked in bulk: sound, with their subtree hashes."""

    via: str  # "native", "postgres" or "sql"
    count: int  # 0: no entry in the range
    levels: list[bytes]  # level L: the hashes of the chunk's perfect subtrees of 2**L leaves
    extra: dict[int, bytes]  # stored nodes in the range that no subtree inside accounts for

    def node(self, start: int, level: int, index: int) -> bytes:
        at = (index - (start >> level)) * merkle.HASH_SIZE
        return self.levels[level][at : at + merkle.HASH_SIZE]


def _sql_chunk(sql: str, start: int, size: int) -> Chunk | None:
    """The chunk checked by ``_fast_entries_sql`` and hashed with ``map``; None in doubt."""
    rows = _query(sql, [start, start + size])
    if rows is None:
        return None
    if not rows:
        return Chunk("sql", 0, [], {})
    seqs, blobs, stored_leaves, doubts = zip(*rows, strict=True)
    if seqs != tuple(range(start, start + len(rows))) or any(doubts):
        return None
    return _hashed("sql", start, blobs, stored_leaves)


def _hashed(
    via: str, start: int, blobs: Sequence[bytes], stored_leaves: Sequence[bytes]
) -> Chunk | None:
    """The chunk of these canonical forms, once their leaves and the stored nodes among them
    match what is recomputed; None in doubt."""
    count = len(blobs)
    leaves = list(map(_digest, map(sha256, map(_leaf_input, blobs))))
    if b"".join(leaves) != b"".join(stored_leaves):
        return None
    levels = _levels(leaves)
    nodes = _query(
        f"SELECT id, hash FROM {table(AuditNode)} WHERE id >= %s AND id < %s ORDER BY id",  # noqa: S608
        [2 * start, 2 * (start + count)],
    )
    extra = None if nodes is None else _stored_nodes_match(start, count, levels, nodes)
    if extra is None:
        return None
    return Chunk(via, count, [b"".join(level) for level in levels], extra)


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
    the model defines it? The native path and the PostgreSQL path read only the canonical form
    and rely on this; the SQL path compares the values."""
    if connection.vendor == "postgresql":
        return _postgres_columns_as_defined()
    # SQLite keeps each table's definition as the text that created it
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s",
            [AuditEntry._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    stored = _sqlite_columns(row[0])
    for definition in _column_definitions():
        expected = _sqlite_columns(f"({definition})")
        if (
            stored is None
            or expected is None
            or any(stored.get(k) != v for k, v in expected.items())
        ):
            return False
    return True


_SQL_TOKEN = re.compile(
    r"""(?P<skip>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
    |(?P<text>'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    |(?P<word>[A-Za-z0-9_$.]+)
    |(?P<other>.)""",
    re.S | re.X,
)


def _sqlite_columns(sql: str) -> dict[str, tuple[str, ...]] | None:
    """Each column's definition in a CREATE TABLE statement (from its first parenthesis), as
    SQLite reads it: comments and spacing dropped, words in lower case, quoted text kept as
    written; None when it does not parse so. (Comparing text for text, an intruder could keep
    the model's definition inside a comment and define the column otherwise.)"""
    tokens: list[str] = []
    for match in _SQL_TOKEN.finditer(sql):
        if match["skip"] is None:
            tokens.append(match["word"].lower() if match["word"] else match[0])
    if "(" not in tokens:
        return None
    columns: dict[str, tuple[str, ...]] = {}
    item: list[str] = []
    depth = 0
    for piece in tokens[tokens.index("(") :]:
        if piece == "(":
            depth += 1
            if depth == 1:
                continue
        elif piece == ")":
            depth -= 1
        if depth == 0 or (depth == 1 and piece == ","):
            if not item:
                return None
            name = item[0].strip('"`[]').lower() if item[0][0] in '"`[' else item[0]
            if name in columns:
                return None
            columns[name] = tuple(item[1:])
            item = []
            if depth == 0:
                return columns
            continue
        item.append(piece)
    return None


def _column_definitions(
    fields: Sequence[Any] | None = None,
) -> list[str]:
    """``"column" definition`` of each generated entry column (or of ``fields``), as the
    schema editor writes it for this database."""
    editor = connection.schema_editor()  # not entered: it only writes column definitions
    chosen = fields or [f for f in AuditEntry._meta.concrete_fields if f.generated]
    out = []
    for entry_field in chosen:
        definition, _ = editor.column_sql(AuditEntry, entry_field)
        out.append(f"{editor.quote_name(entry_field.column)} {definition}")
    return out


_POSTGRES_COLUMNS = """SELECT a.attname, a.attgenerated, format_type(a.atttypid, a.atttypmod),
    pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"""


def _postgres_columns_as_defined() -> bool:
    """PostgreSQL keeps a generated column's expression parsed, and prints it back in its own
    words: so a scratch table is created with the model's definitions (in a transaction that
    is rolled back), and the catalog's account of both tables is compared column by column."""
    entry_fields = [f for f in AuditEntry._meta.concrete_fields if f.generated]
    canonical = AuditEntry._meta.get_field("canonical")
    names = {f.column for f in entry_fields} | {canonical.column}
    probe = "firstline_verify_columns"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            columns = ", ".join(_column_definitions([canonical, *entry_fields]))
            cursor.execute(f"CREATE TEMPORARY TABLE {probe} ({columns}) ON COMMIT DROP")
            found = []
            for name in (AuditEntry._meta.db_table, probe):
                cursor.execute(_POSTGRES_COLUMNS, [name])
                found.append({row[0]: row[1:] for row in cursor.fetchall() if row[0] in names})
            transaction.set_rollback(True)
    except DatabaseError:
        return False
    stored, expected = found
    return stored == expected and len(expected) == len(names)


def _native_statements() -> tuple[str, str, str, tuple[str, str]]:
    """The SQL the native path runs (in SQLite's ``?`` style), with the index's kind values."""
    entry = table(AuditEntry)
    return (
        # in id order from the id of entry ``start`` (read in table order, not through the
        # index of seq): in a sound log the ids follow the seqs, and any row that does not
        # is a doubt; seq is unique, and check_end finds rows numbered below zero
        f"SELECT id, seq, canonical, leaf_hash FROM {entry} WHERE id >= "  # noqa: S608
        f"(SELECT id FROM {entry} WHERE seq = ?1) ORDER BY id LIMIT ?2 - ?1",
        f"SELECT entry_id, kind, ref FROM {table(AuditRef)} "  # noqa: S608
        "WHERE entry_id >= ? AND entry_id <= ? ORDER BY entry_id, kind, ref",
        f"SELECT id, hash FROM {table(AuditNode)} WHERE id >= ? AND id < ? ORDER BY id",  # noqa: S608
        (RefKind.SUBJECT.value, RefKind.RECIPIENT.value),
    )


_readers = threading.local()  # each worker thread's own read-only connection


def _native_chunk(
    database: str, start: int, size: int, statements: tuple[str, str, str, tuple[str, str]]
) -> Chunk | None:
    """Entries [start, start + size) checked by the C code, which reads an aligned power of
    two: where that holds more entries (appended since verify began), a doubt."""
    if getattr(_readers, "database", None) != database:
        _readers.reader = _native.connect(database)
        _readers.database = database
    entries, refs, nodes, kinds = statements
    span = 1 << (size - 1).bit_length()  # start is a multiple of the chunk size, so of span
    result = _native.check_chunk(_readers.reader, start, span, entries, refs, nodes, kinds)
    if result is None:
        return None
    levels, extra = result
    count = len(levels[0]) // merkle.HASH_SIZE if levels else 0
    if count > size:
        return None
    return Chunk("native", count, levels, dict(extra))


# --- the PostgreSQL path ----------------------------------------------------------------------
# PostgreSQL stores the generated columns; once their definitions are the model's, a chunk
# needs only its canonical forms read, with each entry's index rows written back as the JSON
# lists the canonical form must hold (``to_json`` escapes, so different values never print
# alike), and the hashing. An entry that names a subject twice (the index holds it once), or
# an id PostgreSQL escapes otherwise than RFC 8785, only sends its chunk to the SQL path.

_POSTGRES_ENTRIES = """SELECT e.seq, e.canonical, e.leaf_hash, x.subjects, x.recipients, x.others
    FROM {entry} e CROSS JOIN LATERAL (SELECT
        coalesce('[' || string_agg(to_json(r.ref)::text, ',' ORDER BY r.id)
            FILTER (WHERE r.kind = %(subject)s) || ']', '[]') AS subjects,
        coalesce('[' || string_agg(to_json(r.ref)::text, ',' ORDER BY r.id)
            FILTER (WHERE r.kind = %(recipient)s) || ']', '[]') AS recipients,
        count(*) FILTER (WHERE r.kind NOT IN (%(subject)s, %(recipient)s)) AS others
        FROM {ref} r WHERE r.entry_id = e.id) x
    WHERE e.seq >= %(start)s AND e.seq < %(end)s ORDER BY e.seq, e.id"""


def _postgres_chunk(start: int, size: int) -> Chunk | None:
    """The chunk read as its canonical forms (the columns are the database's reading of them)
    and their index, hashed here; None in doubt."""
    sql = _POSTGRES_ENTRIES.format(entry=table(AuditEntry), ref=table(AuditRef))
    params = {
        "start": start,
        "end": start + size,
        "subject": RefKind.SUBJECT.value,
        "recipient": RefKind.RECIPIENT.value,
    }
    # the planner cannot foresee one index row an entry, and compiling the query (JIT) for
    # the millions of rows it fears costs more than running it
    rows = _query(sql, params, setup="SET LOCAL jit = off")
    if rows is None:
        return None
    if not rows:
        return Chunk("postgres", 0, [], {})
    seqs, texts, stored_leaves, subjects, recipients, others = zip(*rows, strict=True)
    if seqs != tuple(range(start, start + len(rows))) or any(others):
        return None
    # RFC 8785 orders the keys: ...,"recipients":[...],"request_id":"...","seq":N,"subjects":[...]}
    # and a key's quotes cannot occur unescaped inside a string, so each test finds the key
    for text, seq, named, told in zip(texts, seqs, subjects, recipients, strict=True):
        if not text.endswith(f'","seq":{seq},"subjects":{named}}}') or (
            f'"recipients":{told},"request_id":"' not in text
        ):
            return None
    return _hashed("postgres", start, [text.encode() for text in texts], stored_leaves)


# --- chunk after chunk ------------------------------------------------------------------------


def chunks(
    size: int, native: bool, notes: list[str], *, end: int
) -> Generator[tuple[int, Chunk | None]]:
    """(start, the chunk of entries [start, min(start + size, end)) checked in bulk, or None
    in doubt) for start = 0, size, 2 size... below ``end``.

    Natively, or on PostgreSQL outside a transaction, the chunks are checked ahead, one
    thread per core (the C code releases the GIL; a PostgreSQL thread waits for its own
    connection while another hashes), at most two per thread in flight. A doubt gets a second
    opinion from the SQL path; so does every chunk when the columns' definitions changed,
    with a note.
    """
    sql = _fast_entries_sql()
    database = _native_database() if native else None
    postgres = connection.vendor == "postgresql"
    task: Callable[[int, int], Chunk | None] | None = None
    if database is not None or postgres:
        if not generated_columns_as_defined():
            notes.append(
                "the entries table no longer generates its columns from the canonical form "
                "as defined: the columns were compared with it row by row"
            )
        elif database is not None:
            task = functools.partial(_native_chunk, database, statements=_native_statements())
        else:
            task = _postgres_chunk
    # inside a transaction only this connection sees what it wrote: one chunk at a time here
    if task is None or connection.in_atomic_block:
        for start in range(0, end, size):
            count = min(size, end - start)
            chunk = task(start, count) if task is not None else None
            yield start, chunk if chunk is not None else _sql_chunk(sql, start, count)
        return
    yield from _ahead(task, size, sql, end)


def _ahead(
    task: Callable[[int, int], Chunk | None], size: int, sql: str, end: int
) -> Generator[tuple[int, Chunk | None]]:
    """``task`` run on the chunks ahead of the one asked for, on every core."""
    workers = max(1, min(4, os.cpu_count() or 1))
    opened: list[Any] = []  # the database connections the threads opened, closed at the end
    lock = threading.Lock()

    def run(start: int) -> Chunk | None:
        own = connections[DEFAULT_DB_ALIAS]  # this thread's own
        with lock:
            if own not in opened:
                opened.append(own)
        return task(start, min(size, end - start))

    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="audit-verify") as pool:
            window: deque[tuple[int, Future[Chunk | None]]] = deque()
            ahead = 0
            try:
                while window or ahead < end:
                    while len(window) < 2 * workers and ahead < end:
                        window.append((ahead, pool.submit(run, ahead)))
                        ahead += size
                    start, future = window.popleft()
                    chunk = future.result()
                    count = min(size, end - start)
                    yield start, chunk if chunk is not None else _sql_chunk(sql, start, count)
            finally:
                for _, pending in window:
                    pending.cancel()
    finally:
        for own in opened:  # the threads have ended: close what they left open
            own.inc_thread_sharing()
            try:
                own.close()
            finally:
                own.dec_thread_sharing()
