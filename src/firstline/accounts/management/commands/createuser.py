"""``firstline createuser``: create an account from the console.

    firstline createuser --username ana --organisation al-asp-ctu --role analyst \\
        --clearance RESTRICTED --email ana@example.org [--password-file FILE]

Without ``--password-file`` the password is asked for twice at the terminal (never taken as an
argument: it would show in the process list and the shell history). The person enrols their
authenticator app at their first sign-in.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from firstline.accounts import services
from firstline.accounts.models import Role
from firstline.core.problems import Problem
from firstline.directory.models import Organisation


class Command(BaseCommand):
    help = "Create a user account in an organisation, with a role and a clearance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--organisation",
            metavar="KEY",
            default="",
            help="key of the organisation (e.g. al-asp-ctu); none for a node administrator",
        )
        parser.add_argument("--role", required=True, help="one of " + ", ".join(Role.values))
        parser.add_argument(
            "--clearance",
            default="",
            help="one of " + ", ".join(settings.CLASSIFICATION_LEVELS) + " (default: the lowest)",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password-file",
            type=Path,
            help="read the password from this file (first line) instead of asking for it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems: list[str] = []
        role = options["role"]
        if role not in Role.values:
            problems.append(f"--role: {role!r} is not a role; use one of {', '.join(Role.values)}")
        clearance = options["clearance"] or settings.CLASSIFICATION_LEVELS[0]
        if clearance not in settings.CLASSIFICATION_LEVELS:
            problems.append(
                f"--clearance: {clearance!r} is not a classification level; use one of "
                + ", ".join(settings.CLASSIFICATION_LEVELS)
            )
        organisation = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(key=options["organisation"]).first()
            if organisation is None:
                problems.append(
                    f"--organisation: no organisation has the key {options['organisation']!r}"
                )
        elif role != Role.NODE_ADMIN:
            problems.append("--organisation: required for every role but node_admin")
        if options["email"]:
            try:
                validate_email(options["email"])
            except ValidationError:
                problems.append(f"--email: {options['email']!r} is not an e-mail address")
        if problems:
            raise CommandError("\n".join(problems))

        password = self._password(options["password_file"])
        try:
            user = services.create_user(
                actor=services.SystemActor(label="console:createuser"),
                username=options["username"],
                password=password,
                organisation=organisation,
                role=role,
                clearance=clearance,
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except Problem as problem:
            raise CommandError(
                "\n".join(
                    f"--{e['field'].replace('_', '-')}: {e['reason']}" for e in problem.errors
                )
            ) from None
        where = f"in {organisation.key}" if organisation else "(node administrator, admin site)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} {where} as {role}, clearance {clearance}. "
                "They set up two-factor sign-in at their first sign-in."
            )
        )

    def _password(self, path: Path | None) -> str:
        if path is not None:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise CommandError(f"--password-file: cannot read {path}: {exc.strerror}") from None
            if not lines or not lines[0]:
                raise CommandError(f"--password-file: {path} is empty")
            return lines[0]
        if not sys.stdin.isatty():
            raise CommandError(
                "--password-file: required when not run at a terminal (the password is never "
                "taken as an argument)"
            )
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first
