"""The background worker's heartbeat: /readyz turns ready once a worker was seen recently.

A worker writes ``WorkerHeartbeat(worker_id, seen_at)`` once when it starts (in the calling
thread, so a database that is unreachable or not migrated stops the worker at once) and then
every ``settings.WORKER_HEARTBEAT_SECONDS`` from a daemon thread. The thread has its own database
connection (Django's connections are per thread) and closes it when it stops, so a stopped
worker leaves no idle connection behind. The beat is a single small write: on SQLite it waits
for the write lock like any other writer (the job loop holds it only briefly).

After each beat the thread runs the worker's periodic duties, when it was given them
(``core.periodic``: tree heads, the daily digests), so that a node needs no cron.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connections

from firstline.core import clock
from firstline.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Rows of workers gone this long are removed when a worker starts, so the table stays small.
FORGET_AFTER = dt.timedelta(days=7)


def default_worker_id() -> str:
    """``host:pid``, unique across a pool of machines; django-tasks-db accepts 64 characters."""
    return f"{socket.gethostname()}:{os.getpid()}"[-64:]


def beat(worker_id: str, now: dt.datetime | None = None) -> None:
    """Record that ``worker_id`` is alive now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"seen_at": now or clock.now()}
    )


class Heartbeat:
    """Beats for one worker: once on ``start()``, then every ``interval`` seconds until ``stop()``."""

    def __init__(
        self,
        worker_id: str,
        interval: float | None = None,
        duties: Callable[[dt.datetime], object] | None = None,
    ) -> None:
        self.worker_id = worker_id
        self.duties = duties
        self.interval = float(settings.WORKER_HEARTBEAT_SECONDS if interval is None else interval)
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat {worker_id}", daemon=True
        )

    def start(self) -> None:
        now = clock.now()
        beat(self.worker_id, now)
        WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                try:
                    beat(self.worker_id)
                except DatabaseError:
                    # A missed beat is not fatal: the next one may succeed, and /readyz only
                    # turns unready after READY_WORKER_MAX_AGE_SECONDS without any.
                    logger.warning("heartbeat of worker %s failed", self.worker_id, exc_info=True)
                if self.duties is not None:
                    self.duties(clock.now())  # run_due logs and survives a failing duty
        finally:
            connections.close_all()  # this thread's connections only
