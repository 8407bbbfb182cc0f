"""Parallel writers (several web workers, the background worker) never fork or reorder the log.

Each writer thread has its own database connection. On PostgreSQL the writers queue on the
log-state row lock; on SQLite, IMMEDIATE transactions take the write lock at BEGIN.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from firstline.audit import heads
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, Operation
from firstline.audit.verify import verify_log

WRITERS = 6
EACH = 25


def run_writers(setup: Callable[[], None] = lambda: None) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        try:
            setup()
            barrier.wait()
            for i in range(EACH):
                with transaction.atomic():
                    record(
                        actor=None,
                        operation=Operation.CONSULT,
                        object_type="test.thing",
                        object_ids=[f"{number}-{i}"],
                        subjects=[f"person:{number}"],
                    )
                if i % 10 == 5:
                    heads.sign_tree_head()  # the worker signing heads meanwhile
        except BaseException as exc:  # report in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def assert_sound_log() -> None:
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(WRITERS * EACH))
    written = {tuple(ids) for ids in AuditEntry.objects.values_list("object_ids", flat=True)}
    assert len(written) == WRITERS * EACH  # nobody's entry was lost or overwritten
    heads.sign_tree_head()
    report = verify_log(chunk=17)
    assert report.ok, report.problem


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_on_postgresql_keep_one_gapless_log() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set FIRSTLINE_DATABASE_URL)")
    errors = run_writers()
    assert not errors, errors
    assert_sound_log()


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_on_sqlite_keep_one_gapless_log(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    use_file = on_disk(tmp_path)
    errors = run_writers(use_file)
    assert not errors, errors
    checker = threading.Thread(target=lambda: run_checks(use_file, errors))
    checker.start()
    checker.join()
    assert not errors, errors


def on_disk(tmp_path: Path) -> Callable[[], None]:
    """A copy of the SQLite test database on disk, and the setup that makes a thread use it.

    The test database lives in memory with a shared cache, where SQLite fails lock conflicts
    at once instead of waiting; a node runs on a file, so the threads get a copy on disk."""
    target = tmp_path / "log.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    connection.connection.backup(copy)
    copy.close()
    settings = {**connection.settings_dict, "NAME": str(target)}
    wrapper = type(connections["default"])

    def use_file() -> None:
        connections["default"] = wrapper(settings, "default")

    return use_file


def run_checks(setup: Callable[[], None], errors: list[BaseException]) -> None:
    try:
        setup()
        assert_sound_log()
    except BaseException as exc:
        errors.append(exc)
    finally:
        connections.close_all()


def verify_while_writing(setup: Callable[[], None]) -> tuple[list[BaseException], list[str], int]:
    """Verify the log again and again while the writers append to it; (errors, the problems
    verify reported, how many runs the log grew during)."""
    from firstline.audit import store

    errors: list[BaseException] = []
    problems: list[str] = []
    grew = 0
    done = threading.Event()

    def verifier() -> None:
        nonlocal grew
        try:
            setup()
            while not done.is_set():
                before = store.log_size()
                report = verify_log(chunk=4)
                if not report.ok:
                    problems.append(report.problem)
                grew += store.log_size() > before
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=verifier)
    thread.start()
    try:
        errors += run_writers(setup)
    finally:
        done.set()
        thread.join()
    return errors, problems, grew


@pytest.mark.django_db(transaction=True)
def test_verify_on_a_node_taking_traffic_raises_no_false_alarm(tmp_path: Path) -> None:
    # every read writes an entry, so a node verifies its log while it grows: entries, nodes and
    # heads appended after verify began are not tampering
    setup = on_disk(tmp_path) if connection.vendor == "sqlite" else lambda: None
    errors, problems, grew = verify_while_writing(setup)
    assert not errors, errors
    assert not problems, problems
    assert grew > 0, "no verify ran while the log grew: the test proved nothing"
    checker = threading.Thread(target=lambda: run_checks(setup, errors))
    checker.start()
    checker.join()
    assert not errors, errors
