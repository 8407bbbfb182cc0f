"""The PostgreSQL path of ``audit verify``: it reads only the canonical forms and the index,
computes what the SQL path computes, checks chunks ahead on every core outside a transaction
(closing the connections its threads opened), and stands aside when a column's definition was
changed behind the model's back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from tests.audit.test_verify import SIZE, sql

from firstline.audit import bulk, heads, merkle
from firstline.audit.models import AuditEntry
from firstline.audit.verify import verify_log

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL path (needs PostgreSQL)"
)


def _unusual_log(write_log: Callable[..., list[AuditEntry]]) -> None:
    """SIZE entries in two signed heads, with text to escape and a subject named twice."""
    write_log(
        5, justification='case 0: Predmet "č" / Случај\n\t\x01\\ ✓', recipients=["org:rs-moi"]
    )
    write_log(3, subjects=[])
    write_log(4, subjects=["person:1", "person:2", "person:1"], recipients=["org:a", "org:a"])
    heads.sign_tree_head()
    write_log(SIZE - 12, subjects=["person:1", 'person:"quoted"\\', "person:Ђорђе"])
    heads.sign_tree_head()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 4, 16, 64])
def test_the_postgres_path_computes_what_the_sql_path_computes(
    write_log: Callable[..., list[AuditEntry]], size: int
) -> None:
    _unusual_log(write_log)
    fast_sql = bulk._fast_entries_sql()
    for start in range(0, SIZE + size, size):
        python = bulk._sql_chunk(fast_sql, start, size)
        postgres = bulk._postgres_chunk(start, size)
        assert python is not None, start
        if postgres is None:  # a subject named twice is indexed once: only a doubt
            assert any(5 + 3 <= seq < 12 for seq in range(start, start + size)), start
            continue
        assert (postgres.count, postgres.levels, postgres.extra) == (
            python.count,
            python.levels,
            python.extra,
        )
    whole = bulk._postgres_chunk(16, 16)  # (chunks are aligned)
    entries = [e.canonical.encode() for e in AuditEntry.objects.order_by("seq")]
    assert whole is not None and whole.node(16, 2, 5) == merkle.MemoryTree(entries[20:24]).root()


def _connections() -> int:
    rows = sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
    return int(rows[0][0])  # type: ignore[call-overload]


@pytest.mark.django_db(transaction=True)
def test_a_committed_log_is_checked_ahead_and_no_connection_is_left_open(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    _unusual_log(write_log)
    before = _connections()
    for chunk in (2, 8, 1000):
        report = verify_log(chunk=chunk)
        assert report.ok, report.problem
        assert report.entries == SIZE
        assert report.paths["exact"] == 0
        assert report.paths["postgres"] + report.paths["sql"] == -(-SIZE // chunk)
        if chunk <= 8:  # (one chunk of 1000 holds the subject named twice: a doubt)
            assert report.paths["postgres"] >= -(-SIZE // chunk) - 2
    assert _connections() == before


@pytest.mark.django_db
def test_a_column_redefined_behind_the_models_back_is_noticed(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    _unusual_log(write_log)
    # an intruder makes a column an ordinary one, then writes it apart from the canonical form
    sql("ALTER TABLE audit_auditentry ALTER COLUMN justification DROP EXPRESSION")
    sql("UPDATE audit_auditentry SET justification = 'nothing to see' WHERE seq = 3")
    assert not bulk.generated_columns_as_defined()
    report = verify_log()
    assert report.paths["postgres"] == 0
    assert any("no longer generates" in note for note in report.notes)
    assert report.first_bad_seq == 3
    assert "differs in justification" in report.problem


@pytest.mark.django_db
def test_the_columns_are_as_defined_after_the_migrations(db: None) -> None:
    assert bulk.generated_columns_as_defined()
