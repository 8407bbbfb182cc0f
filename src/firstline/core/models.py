"""Process-level facts the node keeps about itself."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each background worker reported alive; /readyz reads it."""

    worker_id = models.CharField(max_length=128, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
