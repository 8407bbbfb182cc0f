"""``firstline exchange_digest``: enqueue the daily exchange jobs (overdue digests, upload purge)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from firstline.exchange.tasks import enqueue_overdue_digests, purge_unsent_uploads


class Command(BaseCommand):
    help = "Enqueue the daily e-mail digest of overdue requests, one job per organisation."

    def handle(self, *args: Any, **options: Any) -> None:
        orgs = enqueue_overdue_digests()
        purge_unsent_uploads.enqueue()
        self.stdout.write(f"enqueued {len(orgs)} digest(s) and the purge of unsent uploads")
