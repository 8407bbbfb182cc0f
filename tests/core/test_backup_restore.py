"""The backup and restore procedure of docs/deployment.md, run for real on PostgreSQL.

pg_dump in custom format, a fresh database, pg_restore, then the node's own checks against the
restored copy: every migration is applied and the data is there. If this test passes, the
commands in the document work.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from firstline.core.models import WorkerHeartbeat
from firstline.directory.models import Organisation

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set FIRSTLINE_DATABASE_URL=postgres://...)",
    ),
    pytest.mark.skipif(
        shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
        reason="needs PostgreSQL's client tools (pg_dump, pg_restore)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def restore_database(postgres_url) -> Iterator[str]:
    """An empty database next to the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_custom_format_dump_restores_into_a_working_node(
    albanian_police: Organisation, restore_database: str, tmp_path: Path, node, postgres_url
) -> None:
    WorkerHeartbeat.objects.create(worker_id="backup-host:1", seen_at=timezone.now())
    dump = tmp_path / "firstline.dump"

    # the commands of docs/deployment.md, "Back up" and "Restore"
    subprocess.run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--file={dump}",
            postgres_url(),
        ],
        check=True,
        timeout=120,
    )
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={postgres_url(restore_database)}",
            str(dump),
        ],
        check=True,
        timeout=120,
    )

    node.env["FIRSTLINE_DATABASE_URL"] = postgres_url(restore_database)
    checked = node.run("migrate", "--check", check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with psycopg.connect(postgres_url(restore_database)) as restored:
        keys = restored.execute("SELECT key FROM directory_organisation").fetchall()
        workers = restored.execute("SELECT worker_id FROM core_workerheartbeat").fetchall()
    assert keys == [("al-asp-ctu",)]
    assert workers == [("backup-host:1",)]
