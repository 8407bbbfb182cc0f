"""``audit verify`` catches any single changed, removed, inserted or swapped entry, and names it.

Tampering is done with raw SQL, as an operator or intruder with database access would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstline.audit import heads, merkle
from firstline.audit.canonical import canonical_entry, format_time
from firstline.audit.models import WRITTEN_COLUMNS, AuditEntry, TreeHead
from firstline.audit.verify import verify_log

SIZE = 40
# (the other columns are generated from the canonical form: they cannot be written at all)
KINDS = ["canonical", "rewrite", "delete", "insert", "swap", "swap_rewrite"]


def sql(statement: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall() if cursor.description else []


def forged(seq: int, justification: str, at: dt.datetime) -> dict[str, object]:
    """A row for position ``seq`` whose columns, canonical form and leaf hash agree."""
    fields: dict[str, object] = {
        "seq": seq, "actor_user": "user:999", "actor_organisation": "", "actor_node": "First Line",
        "operation": "consult", "object_type": "directory.person", "object_ids": ["1"],
        "subjects": [], "recipients": [], "justification": justification, "request_id": "",
        "outcome": "success",
    }  # fmt: skip
    canonical = canonical_entry(at=format_time(at), **fields)  # type: ignore[arg-type]
    return {
        **fields,
        "at": at,
        "canonical": canonical.decode(),
        "leaf_hash": merkle.hash_leaf(canonical),
    }


def insert_row(row: dict[str, object]) -> None:
    columns = list(WRITTEN_COLUMNS)  # the database generates the rest from the canonical form
    values = [row[c] for c in columns]
    marks = ", ".join(["%s"] * len(columns))
    statement = f"INSERT INTO audit_auditentry ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    sql(statement, values)


def rewrite(seq: int, new_seq: int, justification: str) -> None:
    """Replace the row at ``seq`` with a consistent forgery numbered ``new_seq``."""
    at = AuditEntry.objects.get(seq=seq).at
    sql(
        "DELETE FROM audit_auditref WHERE entry_id IN (SELECT id FROM audit_auditentry WHERE seq = %s)",
        [seq],
    )
    sql("DELETE FROM audit_auditentry WHERE seq = %s", [seq])
    insert_row(forged(new_seq, justification, at))


def tamper(kind: str, p: int, q: int) -> None:
    if kind == "canonical":
        sql(
            "UPDATE audit_auditentry SET canonical = REPLACE(canonical, '\"case ', '\"Case ') "
            "WHERE seq = %s",
            [p],
        )
    elif kind == "rewrite":
        rewrite(p, p, "nothing to see")
    elif kind == "delete":
        sql(
            "DELETE FROM audit_auditref WHERE entry_id IN (SELECT id FROM audit_auditentry WHERE seq = %s)",
            [p],
        )
        sql("DELETE FROM audit_auditentry WHERE seq = %s", [p])
    elif kind == "insert":
        # make room at p (two steps: seq is unique), then slip a consistent entry in
        sql("UPDATE audit_auditentry SET seq = -seq - 2 WHERE seq >= %s", [p])
        sql("UPDATE audit_auditentry SET seq = -seq - 1 WHERE seq <= -2")
        insert_row(forged(p, "inserted later", AuditEntry.objects.get(seq=p + 1).at))
    elif kind == "swap":
        sql("UPDATE audit_auditentry SET seq = -1 WHERE seq = %s", [p])
        sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [p, q])
        sql("UPDATE audit_auditentry SET seq = %s WHERE seq = -1", [q])
    elif kind == "swap_rewrite":
        first, second = AuditEntry.objects.get(seq=p), AuditEntry.objects.get(seq=q)
        parked = 10**6
        rewrite(p, parked, second.justification)
        rewrite(q, p, second.justification)
        rewrite(parked, q, first.justification)


@pytest.fixture
def sound_log(write_log: Callable[..., list[AuditEntry]]) -> None:
    write_log(12)
    heads.sign_tree_head()
    write_log(SIZE - 12)
    heads.sign_tree_head()


def test_a_sound_log_verifies(sound_log: None) -> None:
    report = verify_log(chunk=7)
    assert report.ok, report.problem
    assert (report.entries, report.heads) == (SIZE, 2)


@pytest.mark.parametrize(
    ("column", "value"),
    [("justification", "nothing to see"), ("operation", "collect"), ("object_ids", "[]")],
)
def test_an_entrys_columns_cannot_be_written_apart_from_its_canonical_form(
    sound_log: None, column: str, value: str
) -> None:
    # they are the database's reading of the canonical form, which the leaf hash covers
    with pytest.raises(DatabaseError), transaction.atomic():
        sql(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = 3", [value])  # noqa: S608
    assert verify_log().ok


def test_an_entry_numbered_below_zero_is_caught(sound_log: None) -> None:
    row = forged(5, "slipped in where no chunk looks", dt.datetime.now(dt.UTC))
    insert_row({**row, "seq": -5})
    report = verify_log()
    assert not report.ok
    assert "numbered -5" in report.problem


def test_an_empty_log_verifies(db: None) -> None:
    heads.sign_tree_head()
    assert verify_log().ok


@given(kind=st.sampled_from(KINDS), data=st.data(), chunk=st.integers(3, 50))
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_single_tampered_entry_is_caught_and_named(
    sound_log: None, kind: str, data: st.DataObject, chunk: int
) -> None:
    p = data.draw(st.integers(0, SIZE - 1), label="position")
    q = data.draw(st.integers(p + 1, SIZE - 1), label="other") if p < SIZE - 1 else p
    if kind.startswith("swap") and p == q:
        kind = "canonical"
    with transaction.atomic():
        tamper(kind, p, q)
        report = verify_log(chunk=chunk)
        transaction.set_rollback(True)
    assert not report.ok, kind
    assert report.first_bad_seq == p, (kind, report.problem)
    assert f"entry {p} " in report.problem


def test_an_entry_appended_behind_the_logs_back_is_caught(sound_log: None) -> None:
    insert_row(forged(SIZE, "added later", dt.datetime.now(dt.UTC)))
    report = verify_log()
    assert report.first_bad_seq == SIZE
    assert "inserted" in report.problem


def test_a_rewritten_tree_is_caught_by_the_signed_heads(sound_log: None) -> None:
    # rewrite entry 3 and every stored node above it, consistently: only the heads remember
    rewrite(3, 3, "nothing to see")
    entries = [e.canonical.encode() for e in AuditEntry.objects.order_by("seq")]
    tree = merkle.MemoryTree(entries)
    for node, value in tree.nodes.items():
        sql("UPDATE audit_auditnode SET hash = %s WHERE id = %s", [value, node])
    sql("UPDATE audit_logstate SET frontier = %s", [tree.frontier.to_bytes()])
    report = verify_log()
    assert not report.ok
    assert "tree head" in report.problem and "12 entries" in report.problem


def test_a_forged_tree_head_signature_is_caught(sound_log: None) -> None:
    sql("UPDATE audit_treehead SET timestamp = timestamp + 1 WHERE tree_size = %s", [SIZE])
    report = verify_log()
    assert "signature does not verify" in report.problem


def test_a_rolled_back_log_is_caught(sound_log: None) -> None:
    sql("DELETE FROM audit_treehead WHERE tree_size = %s", [SIZE])
    for seq in range(30, SIZE):
        sql(
            "DELETE FROM audit_auditref WHERE entry_id IN (SELECT id FROM audit_auditentry WHERE seq = %s)",
            [seq],
        )
        sql("DELETE FROM audit_auditentry WHERE seq = %s", [seq])
    report = verify_log()
    assert report.first_bad_seq == 30


def test_the_command_exits_non_zero_naming_the_entry(sound_log: None) -> None:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"{SIZE} entries, 2 signed tree heads" in out.getvalue()
    sql(
        "UPDATE audit_auditentry SET canonical = REPLACE(canonical, '\"consult\"', '\"collect\"') "
        "WHERE seq = 17"
    )
    with pytest.raises(CommandError, match="entry 17 was altered") as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1


def test_a_sound_log_is_checked_without_the_row_by_row_path(
    write_log: Callable[..., list[AuditEntry]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the exact path is for naming problems; a sound log must pass the fast one, or verifying
    # a million entries takes many times longer
    write_log(5, justification='Predmet "č" / Случај\n\t\x01\\ ✓', recipients=["org:rs-moi"])
    heads.sign_tree_head()
    write_log(14)
    heads.sign_tree_head()

    def refuse(*args: object) -> None:
        raise AssertionError("the row-by-row path ran on a sound log")

    monkeypatch.setattr("firstline.audit.verify._Verifier.check_rows", refuse)
    for chunk in (4, 16, 1000):
        report = verify_log(chunk=chunk)
        assert report.ok, report.problem
        assert (report.entries, report.heads) == (19, 2)
        if connection.vendor == "postgresql":  # by the path that reads only canonical forms
            assert report.paths == {"native": 0, "postgres": -(-19 // chunk), "sql": 0, "exact": 0}


INDEX_TAMPERING = {
    "changed": "UPDATE audit_auditref SET ref = 'person:someone-else' WHERE entry_id = %s",
    "removed": "DELETE FROM audit_auditref WHERE entry_id = %s",
    "added subject": "INSERT INTO audit_auditref (entry_id, kind, ref) "
    "VALUES (%s, 'subject', 'person:someone-else')",
    "added recipient": "INSERT INTO audit_auditref (entry_id, kind, ref) "
    "VALUES (%s, 'recipient', 'org:someone-else')",
}


@pytest.mark.parametrize("change", sorted(INDEX_TAMPERING))
@pytest.mark.parametrize("chunk", [1, 8, 64])
def test_a_tampered_search_index_is_caught_and_named(
    sound_log: None, change: str, chunk: int
) -> None:
    # the index is outside the hash: a DPO searching by data subject would miss the entry
    sql(INDEX_TAMPERING[change], [AuditEntry.objects.get(seq=20).pk])
    report = verify_log(chunk=chunk)
    assert report.first_bad_seq == 20, report.problem
    assert "search index of its subjects and recipients was altered" in report.problem


@given(action=st.sampled_from(["alter", "delete", "add"]), data=st.data(), chunk=st.integers(1, 50))
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_single_tampered_tree_node_is_caught_and_named(
    sound_log: None, action: str, data: st.DataObject, chunk: int
) -> None:
    stored = [row[0] for row in sql("SELECT id FROM audit_auditnode ORDER BY id")]
    if action == "add":  # a node the tree does not (yet) have: inside the last subtrees or beyond
        node = data.draw(st.sampled_from(sorted(set(range(2 * SIZE + 8)) - set(stored))))
    else:
        node = data.draw(st.sampled_from(stored))
    level, index = merkle.node_position(node)
    with transaction.atomic():
        if action == "alter":
            sql("UPDATE audit_auditnode SET hash = %s WHERE id = %s", [bytes(32), node])
        elif action == "delete":
            sql("DELETE FROM audit_auditnode WHERE id = %s", [node])
        else:
            sql("INSERT INTO audit_auditnode (id, hash) VALUES (%s, %s)", [node, bytes(32)])
        report = verify_log(chunk=chunk)
        transaction.set_rollback(True)
    assert not report.ok, (action, node)
    if action == "add":
        assert "lies beyond the last entry" in report.problem
    elif level == 0:
        assert report.first_bad_seq == index
        assert f"entry {index} " in report.problem
    else:
        state = "altered" if action == "alter" else "missing"
        assert f"tree node (level {level}, index {index})" in report.problem
        assert state in report.problem


def test_a_head_signed_while_verify_ran_is_checked_by_a_consistency_proof(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    # heads of the entries verify checked are matched against the recomputed tree; a head
    # signed since (over entries appended since) must still be consistent with those before
    from firstline.audit import keys
    from firstline.audit import verify as verify_module

    write_log(20)
    heads.sign_tree_head()
    verifier = verify_module._Verifier(verify_module.CHUNK, None)  # the log of 20 as it began
    write_log(10)
    timestamp = int(dt.datetime.now(dt.UTC).timestamp() * 1000) + 1000
    forged_root = bytes(32)
    TreeHead.objects.create(
        tree_size=30,
        root_hash=forged_root,
        timestamp=timestamp,
        signature=keys.private_key().sign(heads.signed_payload(30, forged_root, timestamp)),
        key_id=keys.key_id(),
    )
    report = verifier.run(native=False)
    assert not report.ok
    assert "are not consistent" in report.problem
    heads.sign_tree_head()  # a sound head after it changes nothing: the forged one stays
    assert not verify_log().ok
