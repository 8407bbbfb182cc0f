"""The log as stored in the database: node reads for proofs, and the append path's writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from firstline.audit import merkle
from firstline.audit.models import WRITTEN_COLUMNS, AuditEntry, AuditNode, AuditRef, LogState


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


# --- the append path ----------------------------------------------------------------------
# record() runs on every read of personal data, so its statements are plain SQL: through the
# ORM each of these five statements cost about ten times its own execution (measured in
# bench/bench_audit.py). They are the only writes to these tables besides migrations.


@dataclass
class State:
    size: int
    frontier: bytes
    head_requested_at: dt.datetime | None


def _q(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def lock_state() -> State:
    """Read the log-state row, locking it until the transaction ends (created if missing)."""
    select = f"SELECT size, frontier, head_requested_at FROM {_q(LogState)} WHERE id = 1"  # noqa: S608
    if connection.features.has_select_for_update:
        select += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(select)
        row = cursor.fetchone()
        if row is None:  # a new log; two first writers: one inserts, the other waits, then reads
            cursor.execute(
                f"INSERT INTO {_q(LogState)} (id, size, frontier) VALUES (1, 0, %s) "  # noqa: S608
                "ON CONFLICT (id) DO NOTHING",
                [b""],
            )
            cursor.execute(select)
            row = cursor.fetchone()
    size, frontier, requested = row
    if requested is not None and requested.tzinfo is None:  # SQLite hands back naive UTC
        requested = requested.replace(tzinfo=dt.UTC)
    return State(int(size), bytes(frontier), requested)


def save_state(state: State) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_q(LogState)} SET size = %s, frontier = %s, head_requested_at = %s "  # noqa: S608
            "WHERE id = 1",
            [
                state.size,
                state.frontier,
                connection.ops.adapt_datetimefield_value(state.head_requested_at),
            ],
        )


def insert_entry(values: dict[str, Any]) -> int:
    """Insert one entry row (only what is written: the database computes the other columns
    from the canonical form); its primary key."""
    params = [values[column] for column in WRITTEN_COLUMNS]
    sql = (
        f"INSERT INTO {_q(AuditEntry)} ({', '.join(WRITTEN_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(WRITTEN_COLUMNS))})"
    )
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(sql + " RETURNING id", params)
            return int(cursor.fetchone()[0])
        cursor.execute(sql, params)
        return int(cursor.lastrowid)


def insert_refs(rows: Sequence[tuple[int, str, str]]) -> None:
    """(entry id, kind, ref) rows of the subject/recipient index."""
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {_q(AuditRef)} (entry_id, kind, ref) VALUES (%s, %s, %s)",  # noqa: S608
                rows,
            )


def insert_nodes(rows: Sequence[tuple[int, bytes]]) -> None:
    """(node id, hash) rows: the perfect subtrees an append completed."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {_q(AuditNode)} (id, hash) VALUES (%s, %s)",  # noqa: S608
            rows,
        )
