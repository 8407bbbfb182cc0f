"""``firstline exchange_digest``: enqueue today's overdue-request digests (run it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from firstline.exchange.tasks import enqueue_overdue_digests


class Command(BaseCommand):
    help = "Enqueue the daily e-mail digest of overdue requests, one job per organisation."

    def handle(self, *args: Any, **options: Any) -> None:
        orgs = enqueue_overdue_digests()
        self.stdout.write(f"enqueued {len(orgs)} digest(s)")
