"""``audit verify``: recompute the whole log from its stored entries and check everything.

It streams the entries in ``seq`` order (keyset pagination, one chunk in memory) and for each:
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from firstline.audit import heads, merkle
from firstline.audit.canonical import TIME_FORMAT, canonical_entry, entry_body, format_time
from firstline.audit.models import AuditEntry, AuditNode, AuditRef, LogState, RefKind, TreeHead

CHUNK = 5000
_COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_user",
    "actor_organisation",
    "actor_node",
    "operation",
    "object_type",
    "object_ids",
    "subjects",
    "recipients",
    "justification",
    "request_id",
    "outcome",
    "canonical",
    "leaf_hash",
)


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


def _entry_rows(chunk: int) -> Iterator[tuple[Any, ...]]:
    """All entries ordered by (seq, id), one chunk at a time; duplicates included."""
    names = [connection.ops.quote_name(c) for c in _COLUMNS]
    if connection.vendor == "sqlite":  # the stored text; Django's converter costs more
        names[_COLUMNS.index("at")] = "CAST(at AS TEXT)"
    columns = ", ".join(names)
    sql = (
        f"SELECT {columns} FROM {_table(AuditEntry)} WHERE seq >= %s "  # noqa: S608
        "ORDER BY seq, id LIMIT %s"
    )
    last_seq, last_id = -1, -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [max(last_seq, 0), chunk])
            rows = cursor.fetchall()
            fresh = [r for r in rows if r[1] > last_seq or r[0] > last_id]
            if not fresh:
                return
            yield from fresh
            last_seq, last_id = rows[-1][1], rows[-1][0]
            if len(rows) < chunk:
                return


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

    def run(self) -> Report:
        try:
            self.check_signatures()
            self.check_heads_at(0)
            batch: list[tuple[Any, ...]] = []
            for row in _entry_rows(self.chunk):
                batch.append(row)
                if len(batch) == self.chunk:
                    self.check_rows(batch)
                    if self.progress:
                        self.progress(len(batch))
                    batch = []
            if batch:
                self.check_rows(batch)
                if self.progress:
                    self.progress(len(batch))
            self.check_end()
            self.check_consistency()
        except Tampered as exc:
            self.report.problem = str(exc)
            self.report.first_bad_seq = exc.seq
        return self.report


def verify_log(*, chunk: int = CHUNK, progress: Callable[[int], object] | None = None) -> Report:
    """Check the whole log; the report names the first problem found (empty when sound)."""
    return _Verifier(chunk, progress).run()
