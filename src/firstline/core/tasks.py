"""Background jobs of the core: the probe that proves a worker runs jobs."""

from __future__ import annotations

import time

from django_tasks import TaskContext, task

from firstline.core import clock
from firstline.core.models import TaskProbe

# A probe never holds a worker for long, whatever it is asked.
MAX_HOLD_MS = 1000


@task(takes_context=True)
def probe(context: TaskContext, token: str, hold_ms: int = 0) -> str:
    """Record one execution of this job (and which worker ran it); optionally hold briefly.

    ``hold_ms`` simulates work, so that concurrent workers overlap in tests. Running it twice
    writes two rows, which is exactly what the concurrency test looks for.
    """
    if hold_ms > 0:
        time.sleep(min(hold_ms, MAX_HOLD_MS) / 1000)
    worker_ids = context.task_result.worker_ids
    worker_id = worker_ids[-1] if worker_ids else ""
    TaskProbe.objects.create(token=token, worker_id=worker_id, ran_at=clock.now())
    return worker_id
