"""The native fast path of ``audit verify`` (C, SQLite): it passes a sound log chunk by chunk,
computes what the Python paths compute, and never lets tampering through.

It reads committed data through its own connection, so these tests commit (transactional
database) and restore the log after each tampering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.audit.test_verify import KINDS, SIZE, sql, tamper

from firstline.audit import bulk, heads, merkle, verify
from firstline.audit.models import AuditEntry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the native path reads SQLite (needs SQLite)"
    ),
]

TABLES = {
    "audit_auditentry": "id, seq, canonical, leaf_hash",
    "audit_auditref": "id, entry_id, kind, ref",
    "audit_auditnode": "id, hash",
}


@pytest.fixture
def committed_log(write_log: Callable[..., list[AuditEntry]]) -> Iterator[Callable[[], None]]:
    """The log of test_verify's ``sound_log`` (SIZE entries, two heads) with unusual text and
    repeated names, committed; yields a function that puts it back as it was."""
    write_log(
        5, justification='case 0: Predmet "č" / Случај\n\t\x01\\ ✓', recipients=["org:rs-moi"]
    )
    write_log(3, subjects=[])
    write_log(4, subjects=["person:1", "person:2", "person:1"], recipients=["org:a", "org:a"])
    heads.sign_tree_head()
    write_log(SIZE - 12)
    heads.sign_tree_head()
    saved = {table: sql(f"SELECT {columns} FROM {table}") for table, columns in TABLES.items()}  # noqa: S608

    def restore() -> None:
        with transaction.atomic():
            for table in reversed(TABLES):
                sql(f"DELETE FROM {table}")  # noqa: S608
            for table, columns in TABLES.items():
                marks = ", ".join(["%s"] * len(columns.split(",")))
                for row in saved[table]:
                    sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row))  # noqa: S608

    yield restore


def test_the_native_path_is_built() -> None:
    assert bulk._native is not None, (
        "firstline.audit._native is not built: `make install` builds it (gcc, the Python "
        "headers, sqlite3.h and OpenSSL's headers are needed); verify is several times slower"
    )


@pytest.mark.parametrize("chunk", [1, 4, 16, 1000])
def test_a_sound_log_is_checked_natively_chunk_by_chunk(
    committed_log: Callable[[], None], chunk: int
) -> None:
    report = verify.verify_log(chunk=chunk)
    assert report.ok, report.problem
    assert report.entries == SIZE and report.heads >= 2  # (commits may sign more heads)
    chunks = -(-SIZE // chunk)
    assert report.paths == {"native": chunks, "postgres": 0, "sql": 0, "exact": 0}


@pytest.mark.parametrize("size", [1, 2, 8, 16, 64])
def test_the_native_path_computes_what_the_python_path_computes(
    committed_log: Callable[[], None], size: int
) -> None:
    database = bulk._native_database()
    assert database is not None
    statements = bulk._native_statements()
    fast_sql = bulk._fast_entries_sql()
    for start in range(0, SIZE + size, size):
        native = bulk._native_chunk(database, start, size, statements)
        python = bulk._sql_chunk(fast_sql, start, size)
        assert native is not None and python is not None, start
        assert (native.count, native.levels, native.extra) == (
            python.count,
            python.levels,
            python.extra,
        )
    whole = bulk._native_chunk(database, 0, 64, statements)
    assert whole is not None and whole.count == SIZE
    tree = merkle.MemoryTree([e.canonical.encode() for e in AuditEntry.objects.order_by("seq")])
    assert whole.node(0, 5, 0) == tree.root(32)  # the perfect subtree of the first 32


def _same_report_both_ways(chunk: int) -> verify.Report:
    native = verify.verify_log(chunk=chunk)
    python = verify.verify_log(chunk=chunk, native=False)
    assert (native.problem, native.first_bad_seq) == (python.problem, python.first_bad_seq)
    return native


@given(kind=st.sampled_from(KINDS), data=st.data(), chunk=st.integers(1, 50))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_single_tampered_entry_is_caught_natively_and_named(
    committed_log: Callable[[], None], kind: str, data: st.DataObject, chunk: int
) -> None:
    p = data.draw(st.integers(0, SIZE - 1), label="position")
    q = data.draw(st.integers(p + 1, SIZE - 1), label="other") if p < SIZE - 1 else p
    if kind.startswith("swap") and p == q:
        kind = "canonical"
    try:
        with transaction.atomic():
            tamper(kind, p, q)
        report = _same_report_both_ways(chunk)
        assert not report.ok, kind
        assert report.first_bad_seq == p, (kind, report.problem)
    finally:
        committed_log()


@given(action=st.sampled_from(["alter", "delete", "add"]), data=st.data(), chunk=st.integers(1, 50))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_single_tampered_tree_node_is_caught_natively(
    committed_log: Callable[[], None], action: str, data: st.DataObject, chunk: int
) -> None:
    stored = [row[0] for row in sql("SELECT id FROM audit_auditnode ORDER BY id")]
    if action == "add":
        node = data.draw(st.sampled_from(sorted(set(range(2 * SIZE + 8)) - set(stored))))
    else:
        node = data.draw(st.sampled_from(stored))
    try:
        if action == "alter":
            sql("UPDATE audit_auditnode SET hash = %s WHERE id = %s", [bytes(32), node])
        elif action == "delete":
            sql("DELETE FROM audit_auditnode WHERE id = %s", [node])
        else:
            sql("INSERT INTO audit_auditnode (id, hash) VALUES (%s, %s)", [node, bytes(32)])
        report = _same_report_both_ways(chunk)
        assert not report.ok, (action, node)
    finally:
        committed_log()


def test_a_changed_index_of_subjects_is_caught_natively(committed_log: Callable[[], None]) -> None:
    entry_id = AuditEntry.objects.get(seq=20).pk
    try:
        sql("UPDATE audit_auditref SET ref = 'person:someone-else' WHERE entry_id = %s", [entry_id])
        report = _same_report_both_ways(8)
        assert report.first_bad_seq == 20
        assert "search index" in report.problem
    finally:
        committed_log()


@pytest.mark.parametrize(
    "forged",
    [
        "'nothing to see'",
        # the model's definition kept in a comment, where a search of the text would find it
        "'nothing to see' /* json_extract(\"canonical\", '$.justification') */",
        "'nothing to see' -- json_extract(\"canonical\", '$.justification')\n",
    ],
)
def test_a_column_redefined_behind_the_models_back_is_noticed(
    committed_log: Callable[[], None], forged: str
) -> None:
    # an intruder rewrites the table's definition so that a column no longer reads the
    # canonical form: the native path, which trusts the definitions, stands aside
    original = "json_extract(\"canonical\", '$.justification')"

    def redefine(old: str, new: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA writable_schema = ON")
            cursor.execute(
                "UPDATE sqlite_master SET sql = replace(sql, %s, %s) "
                "WHERE name = 'audit_auditentry'",
                [old, new],
            )
            cursor.execute("PRAGMA writable_schema = OFF")
            cursor.execute("PRAGMA schema_version")
            version = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA schema_version = {int(version) + 1}")

    redefine(original, forged)
    try:
        assert AuditEntry.objects.get(seq=0).justification == "nothing to see"
        assert not bulk.generated_columns_as_defined()
        report = verify.verify_log()
        assert report.paths["native"] == 0
        assert any("no longer generates" in note for note in report.notes)
        assert report.first_bad_seq == 0
        assert "differs in justification" in report.problem
    finally:
        redefine(forged, original)
    assert bulk.generated_columns_as_defined()
    assert verify.verify_log().ok
