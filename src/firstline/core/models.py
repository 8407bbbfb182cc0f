"""Process-level facts the node keeps about itself."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each background worker reported alive; /readyz reads it."""

    worker_id = models.CharField(max_length=128, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class TaskProbe(models.Model):
    """One row per execution of the ``probe`` task: proof that a worker runs jobs, and how often.

    ``firstline probe_worker`` enqueues a probe and waits for its row (a deployment smoke test);
    the concurrency test counts rows per token to prove each job ran exactly once.
    """

    token = models.CharField(max_length=64, db_index=True)
    worker_id = models.CharField(max_length=128, blank=True)
    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"probe {self.token} by {self.worker_id or '?'}"


class DailyRun(models.Model):
    """The last day each daily duty of the workers ran (``core.periodic``): a lease, so that
    of several workers exactly one runs it each day."""

    name = models.CharField(max_length=64, primary_key=True)
    day = models.DateField()

    def __str__(self) -> str:
        return f"{self.name} on {self.day:%Y-%m-%d}"
