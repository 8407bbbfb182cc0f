"""``firstline keys rotate ORG`` / ``firstline keys show ORG``: an organisation's exchange keys."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from firstline.directory.models import Organisation
from firstline.exchange import keys


class Command(BaseCommand):
    help = "Show or rotate an organisation's signing and encryption keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate", "show", "ensure"])
        parser.add_argument("organisation", help="organisation key, e.g. al-asp-ctu")
        parser.add_argument("--reason", default="", help="recorded in the audit log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = Organisation.objects.get(key=options["organisation"])
        except Organisation.DoesNotExist:
            raise CommandError(f"no organisation {options['organisation']!r}") from None
        if options["action"] == "rotate":
            new = keys.rotate_keys(org, reason=options["reason"])
            for use, key in new.items():
                self.stdout.write(f"{org.key} {use} {key.kid}")
        elif options["action"] == "ensure":
            for use, key in keys.ensure_keys(org).items():
                self.stdout.write(f"{org.key} {use} {key.kid}")
        else:
            self.stdout.write(json.dumps({"keys": keys.published_keys(org)}, indent=2))
