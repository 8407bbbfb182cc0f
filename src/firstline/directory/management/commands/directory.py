"""``firstline directory import FILE.csv [--dry-run]`` and ``firstline directory export [-o FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from firstline.directory import csv_io
from firstline.directory.services import ConsoleActor


class Command(BaseCommand):
    help = "Import or export the directory (organisations, units, networks, people, memberships, focal points) as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        importing = sub.add_parser(
            "import",
            help="Check a CSV file and, if every row is valid, write it in one transaction.",
        )
        importing.add_argument("file", help="the CSV file ('-' for standard input)")
        importing.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything and report what would change, but write nothing",
        )
        exporting = sub.add_parser("export", help="Write the whole directory as CSV, sorted.")
        exporting.add_argument(
            "-o", "--output", help="the file to write (standard output if omitted)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = ConsoleActor("directory")
        if options["action"] == "import":
            self._import(actor, options["file"], dry_run=options["dry_run"])
        else:
            self._export(actor, options.get("output"))

    def _import(self, actor: ConsoleActor, name: str, *, dry_run: bool) -> None:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from None
        try:
            text = csv_io.decode(raw)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{name} is not UTF-8 text (byte {exc.start})") from None
        report = csv_io.import_csv(actor, text, dry_run=dry_run)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"{name}: {error}")
            raise CommandError(f"{len(report.errors)} problem(s) in {name}; nothing was written")
        self.stdout.write(report.summary())
        if dry_run:
            self.stdout.write("Dry run: the file is valid; nothing was written.")

    def _export(self, actor: ConsoleActor, output: str | None) -> None:
        if output:
            with Path(output).open("w", encoding="utf-8", newline="") as out:
                n = csv_io.export_csv(actor, out)
            self.stderr.write(f"Wrote {n} rows to {output}")
        else:
            self.stdout.write(csv_io.export_text(actor), ending="")
