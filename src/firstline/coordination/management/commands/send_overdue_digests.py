"""``firstline send_overdue_digests [--date YYYY-MM-DD]``: the daily e-mail of overdue actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from firstline.coordination.services.common import today
from firstline.coordination.tasks import send_overdue_digests


class Command(BaseCommand):
    help = "E-mail owners and coordinators their overdue actions (once a day; safe to rerun)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to report, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = options.get("date") or today().isoformat()
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {raw!r}") from None
        sent = send_overdue_digests.call(day.isoformat())
        self.stdout.write(f"{sent} digest(s) sent for {day.isoformat()}")
