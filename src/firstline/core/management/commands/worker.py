"""``firstline worker``: django-tasks-db's ``db_worker`` plus the heartbeat /readyz reads.

Every option of ``db_worker`` is accepted (``--queue-name``, ``--interval``, ``--batch``,
``--max-tasks``...). The worker id defaults to ``host:pid`` (unique across a pool of machines),
and the same id names the heartbeat row. SIGTERM/SIGINT finish the running job, then exit.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands import db_worker

from firstline.core import periodic
from firstline.core.heartbeat import Heartbeat, default_worker_id


class Command(db_worker.Command):
    help = "Run a background worker: claim and run queued jobs, and report a heartbeat."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # db_worker's default is a random string; host:pid tells an operator where it runs.
        parser.set_defaults(worker_id=default_worker_id(), reload=False)

    def handle(self, *args: Any, **options: Any) -> None:
        heartbeat = Heartbeat(options["worker_id"], duties=periodic.run_due)
        heartbeat.start()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"firstline worker {options['worker_id']} started "
                f"(heartbeat and periodic duties every {heartbeat.interval:g} s)"
            )
        try:
            super().handle(*args, **options)
        finally:
            # db_worker leaves by SystemExit from its signal handler, or returns after --batch.
            heartbeat.stop()
