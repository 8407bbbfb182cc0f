"""`firstline worker` as a real process on a file SQLite database: it runs jobs and beats."""

from __future__ import annotations

import signal


def test_the_worker_runs_an_enqueued_job_and_reports_a_heartbeat(node) -> None:
    worker, log = node.start("worker", "--interval", "0.2", "--no-startup-delay")

    heartbeat = node.wait_until(
        lambda: node.query("SELECT worker_id, seen_at FROM core_workerheartbeat"),
        "the worker's first heartbeat",
    )
    assert heartbeat[0][0].endswith(f":{worker.pid}")  # host:pid

    # probe_worker enqueues the probe job through the database backend and waits for its row.
    probed = node.run("probe_worker", "--timeout", str(node.WAIT_SECONDS))
    assert f"the probe job ran on worker {heartbeat[0][0]}" in probed.stdout
    assert node.query("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult") == [
        ("SUCCESSFUL", f'["{heartbeat[0][0]}"]')
    ]

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=node.WAIT_SECONDS) == 0
    assert "Starting worker" in log.read_text()


def test_the_heartbeat_is_renewed_while_the_worker_runs(node) -> None:
    node.env["FIRSTLINE_WORKER_HEARTBEAT_SECONDS"] = "1"
    node.start("worker", "--no-startup-delay")
    first = node.wait_until(
        lambda: node.query("SELECT seen_at FROM core_workerheartbeat"), "the first heartbeat"
    )[0][0]
    node.wait_until(
        lambda: node.query("SELECT 1 FROM core_workerheartbeat WHERE seen_at > ?", first),
        "a later heartbeat",
    )


def test_probe_worker_fails_and_withdraws_its_job_when_no_worker_runs(node) -> None:
    probed = node.run("probe_worker", "--timeout", "0.5", check=False)
    assert probed.returncode == 1
    assert "no worker ran the probe job" in probed.stderr
    assert node.query("SELECT count(*) FROM django_tasks_database_dbtaskresult") == [(0,)]


def test_the_worker_stops_at_once_when_the_database_is_not_migrated(node) -> None:
    node.database.unlink()
    worker, log = node.start("worker")
    assert worker.wait(timeout=node.WAIT_SECONDS) != 0
    assert "core_workerheartbeat" in log.read_text()
