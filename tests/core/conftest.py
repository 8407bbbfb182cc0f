"""Fixtures for running First Line as real processes: a node with its own var/ and SQLite file.

``node`` gives a helper that runs ``firstline ...`` in a subprocess against a fresh, migrated
SQLite database (copied from one migrated once per test session), reads that database directly,
and waits for conditions with a deadline. Nothing here mocks a process or a database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

FIRSTLINE = [sys.executable, "-m", "firstline.cli"]
WAIT_SECONDS = 60.0  # generous: six helpers share two cores


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a development-mode node whose state lives in ``var_dir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIRSTLINE_")}
    env.update(
        FIRSTLINE_MODE="development",
        FIRSTLINE_VAR_DIR=str(var_dir),
        FIRSTLINE_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Node:
    """A First Line node on disk: run its commands, start its processes, read its database."""

    WAIT_SECONDS = WAIT_SECONDS
    wait_until = staticmethod(wait_until)
    free_port = staticmethod(free_port)

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.database = var_dir / "firstline.sqlite3"
        self.env = node_environment(var_dir)
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*FIRSTLINE, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=WAIT_SECONDS,
        )

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        """Start ``firstline <args>``; its stdout and stderr go to a log file."""
        log = self.var_dir / f"{args[0]}-{len(self.processes)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*FIRSTLINE, *args], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.processes.append((process, log))
        return process, log

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def stop_all(self) -> None:
        for process, _log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _log in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated once per session; each node starts from a copy."""
    var_dir = tmp_path_factory.mktemp("template-node")
    subprocess.run(
        [*FIRSTLINE, "migrate", "--no-input", "-v", "0"],
        env=node_environment(var_dir),
        check=True,
        timeout=120,
    )
    return var_dir / "firstline.sqlite3"


@pytest.fixture
def node(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Node]:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    shutil.copyfile(migrated_sqlite, var_dir / "firstline.sqlite3")
    started = Node(var_dir)
    yield started
    started.stop_all()


@pytest.fixture
def postgres_url() -> Callable[[str | None], str]:
    """``postgres_url(name)``: a URL for database ``name`` on the test server (default: the
    test database itself), for processes and tools outside this one."""
    from urllib.parse import quote

    from django.db import connection

    def _url(database: str | None = None) -> str:
        db = connection.settings_dict
        credentials = quote(db["USER"] or "")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"])
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        return f"postgres://{credentials}@{host}:{port}/{database or db['NAME']}"

    return _url
