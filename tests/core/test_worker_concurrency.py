"""Two workers on one PostgreSQL queue: every job runs exactly once.

django-tasks-db claims a job with ``SELECT ... FOR UPDATE SKIP LOCKED`` inside a transaction;
this test runs two real ``firstline worker`` processes against the test database and checks
the claim holds: each of N probe jobs leaves exactly one row, both workers take part, and
every job result names the one worker that ran it.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from firstline.core.models import TaskProbe, WorkerHeartbeat

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set FIRSTLINE_DATABASE_URL=postgres://...)",
    ),
    pytest.mark.django_db(transaction=True),
]

JOBS = 200


@pytest.fixture
def two_workers(node, postgres_url) -> Iterator[list[subprocess.Popen[bytes]]]:
    node.env["FIRSTLINE_DATABASE_URL"] = postgres_url()
    workers = [
        node.start("worker", "--interval", "0.05", "--no-startup-delay", "-v", "0")[0]
        for _ in range(2)
    ]
    yield workers
    # stop them before the test database is flushed under them
    node.stop_all()


def test_two_workers_run_each_job_exactly_once(
    two_workers: list[subprocess.Popen[bytes]],
    settings,
    node,
) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from firstline.core.tasks import probe

    # Both workers are polling before the first job exists, so they compete for all of them.
    node.wait_until(lambda: WorkerHeartbeat.objects.count() == 2, "both workers to start")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tokens = [f"job-{number:03d}" for number in range(JOBS)]
    with transaction.atomic():
        for token in tokens:
            probe.enqueue(token, hold_ms=5)

    node.wait_until(
        lambda: DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == JOBS,
        f"{JOBS} jobs to finish",
        timeout=300,
    )
    runs = Counter(TaskProbe.objects.values_list("token", flat=True))
    assert runs == Counter(tokens), "every job ran exactly once"
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    claims = [tuple(ids) for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)]
    assert all(len(ids) == 1 for ids in claims), "no job was claimed twice"
    workers = {ids[0] for ids in claims}
    assert workers == set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    assert set(TaskProbe.objects.values_list("worker_id", flat=True)) == workers
    assert all(process.poll() is None for process in two_workers)
