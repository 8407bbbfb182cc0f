"""``firstline demo``: load the demo directory and, in demo mode, one demo account per role.

Idempotent: the directory comes from ``directory/demo_data.csv`` through the CSV importer
(existing keys are updated, unchanged rows are left alone, so a second run writes nothing), and
accounts are matched on their username.

Demo accounts carry ``is_demo=True`` and share the fixed password ``firstline-demo`` — only in
demo mode (``FIRSTLINE_MODE=demo``), where they may also skip the second factor. In any other
mode no account is created unless ``--accounts`` is given; new accounts then get a random
password, printed once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from firstline.accounts.models import Role, User
from firstline.directory import csv_io, services
from firstline.directory.models import Organisation, Person

DEMO_DATA = Path(__file__).resolve().parents[2] / "demo_data.csv"
DEMO_PASSWORD = "firstline-demo"  # noqa: S105  demo mode only, printed on every run


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str
    clearance: str
    what: str


DEMO_ACCOUNTS = (
    DemoAccount(
        "demo-practitioner",
        Role.PRACTITIONER,
        "mk-kumanovo-school",
        "UNCLASSIFIED",
        "teacher at a Kumanovo school",
    ),
    DemoAccount(
        "demo-coordinator",
        Role.COORDINATOR,
        "mk-kumanovo",
        "RESTRICTED",
        "local P/CVE coordinator, Municipality of Kumanovo",
    ),
    DemoAccount(
        "demo-analyst",
        Role.ANALYST,
        "al-asp-ctu",
        "CONFIDENTIAL",
        "analyst, Albanian State Police Counter-Terrorism Unit",
    ),
    DemoAccount(
        "demo-dpo",
        Role.DPO,
        "al-asp-ctu",
        "RESTRICTED",
        "data protection officer, Albanian State Police Counter-Terrorism Unit",
    ),
    DemoAccount(
        "demo-org-admin",
        Role.ORG_ADMIN,
        "al-asp-ctu",
        "RESTRICTED",
        "administrator of the Albanian State Police Counter-Terrorism Unit",
    ),
    DemoAccount(
        "demo-node-admin",
        Role.NODE_ADMIN,
        "al-cve-centre",
        "CONFIDENTIAL",
        "node administrator, Albanian CVE Coordination Centre",
    ),
)


class Command(BaseCommand):
    help = "Load the fictional demo directory and (in demo mode) the demo accounts. Safe to rerun."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--accounts",
            action="store_true",
            help="also create the demo accounts outside demo mode (random password, printed once)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = services.ConsoleActor("demo")
        report = csv_io.import_csv(actor, DEMO_DATA.read_text(encoding="utf-8"))
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"{DEMO_DATA.name}: {error}")
            raise CommandError("the demo data did not load; nothing was written")
        self.stdout.write(f"Demo directory: {report.summary()}")
        if not (settings.DEMO_MODE or options["accounts"]):
            self.stdout.write(
                "No demo accounts: they are created in demo mode (FIRSTLINE_MODE=demo) "
                "or with --accounts."
            )
            return
        fixed = DEMO_PASSWORD if settings.DEMO_MODE else None
        lines = [self._account(actor, account, fixed) for account in DEMO_ACCOUNTS]
        self.stdout.write("")
        self.stdout.write(f"Sign in at {settings.SITE_URL}/accounts/login/ as:")
        for line in lines:
            self.stdout.write(f"  {line}")
        if settings.DEMO_MODE:
            self.stdout.write(
                f"Password for every demo account: {DEMO_PASSWORD}  "
                "(demo mode: no second factor needed; the data is fictional)"
            )

    def _account(
        self, actor: services.ConsoleActor, account: DemoAccount, fixed: str | None
    ) -> str:
        organisation = Organisation.objects.get(key=account.organisation)
        person = Person.objects.get(key=account.username)
        wanted = {
            "organisation": organisation,
            "role": account.role,
            "clearance": account.clearance,
            "is_demo": True,
            "first_name": person.given_name,
            "last_name": person.family_name,
            "email": person.email,
        }
        with transaction.atomic():
            user = User.objects.filter(username=account.username).first()
            note = ""
            if user is None:
                user = User(username=account.username, **wanted)
                password = fixed or secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                note = "" if fixed else f"  password: {password}"
            else:
                changed = [k for k, v in wanted.items() if getattr(user, k) != v]
                for name in changed:
                    setattr(user, name, wanted[name])
                # check first: setting the same password again would still change the hash
                if fixed and not user.check_password(fixed):
                    user.set_password(fixed)
                    changed.append("password")
                if changed:
                    user.save()
                if not fixed:
                    note = "  (existing account: password unchanged)"
            services.link_person_user(actor, person, user)
        return f"{account.username:<18} {account.role:<13} {account.what}{note}"
