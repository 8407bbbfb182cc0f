"""The worker's heartbeat: written at start, renewed by a thread, old workers forgotten."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

import pytest
from django.utils import timezone

from firstline.core.heartbeat import Heartbeat, beat, default_worker_id
from firstline.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db(transaction=True)  # the beat thread has its own connection


def test_a_worker_is_named_by_host_and_process() -> None:
    assert default_worker_id() == f"{socket.gethostname()}:{os.getpid()}"[-64:]


def test_a_beat_records_the_worker_once_and_moves_its_time() -> None:
    earlier = timezone.now() - dt.timedelta(minutes=5)
    beat("host:1", now=earlier)
    beat("host:1")
    (row,) = WorkerHeartbeat.objects.all()
    assert row.worker_id == "host:1"
    assert row.seen_at > earlier


def test_starting_beats_at_once_and_forgets_workers_gone_for_a_week() -> None:
    long_gone = timezone.now() - dt.timedelta(days=8)
    WorkerHeartbeat.objects.create(worker_id="old:1", seen_at=long_gone)
    WorkerHeartbeat.objects.create(worker_id="recent:2", seen_at=timezone.now())
    heartbeat = Heartbeat("host:1", interval=3600)
    heartbeat.start()
    try:
        assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {
            "host:1",
            "recent:2",
        }
    finally:
        heartbeat.stop()


def test_the_thread_renews_the_beat_until_stopped() -> None:
    heartbeat = Heartbeat("host:1", interval=0.05)
    heartbeat.start()
    first = WorkerHeartbeat.objects.get().seen_at
    deadline = time.monotonic() + 30
    while WorkerHeartbeat.objects.get().seen_at == first:
        assert time.monotonic() < deadline, "the heartbeat was never renewed"
        time.sleep(0.05)
    heartbeat.stop()
    assert not heartbeat._thread.is_alive()
