"""``firstline probe_worker``: enqueue a probe job and wait until a worker has run it.

A deployment smoke test: it exits 0 and names the worker once the job ran, or exits 1 after
``--timeout`` seconds. The probe's row is removed afterwards, so probing leaves nothing behind.
"""

from __future__ import annotations

import secrets
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from firstline.core.models import TaskProbe
from firstline.core.tasks import probe


class Command(BaseCommand):
    help = "Enqueue a probe job and wait until a background worker has run it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=30.0, help="seconds to wait (default: %(default)s)"
        )

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        token = secrets.token_hex(16)
        result = probe.enqueue(token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ran = TaskProbe.objects.filter(token=token).first()
            if ran is not None:
                TaskProbe.objects.filter(token=token).delete()
                self.stdout.write(f"the probe job ran on worker {ran.worker_id or '(unknown)'}")
                return
            time.sleep(0.2)
        # Withdraw the job if no worker took it, so a later worker does not run a stale probe.
        DBTaskResult.objects.filter(id=result.id, status=TaskResultStatus.READY).delete()
        raise CommandError(f"no worker ran the probe job within {timeout:g} s; is one running?")
