"""Directory fixtures: the console actor, a user of any role, a small imported directory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry
from firstline.directory import csv_io
from firstline.directory.models import Organisation
from firstline.directory.services import ConsoleActor

HEADER = csv_io.columns()


def csv_text(*rows: dict[str, str]) -> str:
    """A CSV file in the directory format with the given rows (other columns empty)."""
    import io

    buffer = io.StringIO(newline="")
    csv_io.write_rows(rows, buffer)
    return buffer.getvalue()


@pytest.fixture
def console() -> ConsoleActor:
    return ConsoleActor("test")


@pytest.fixture
def user_in(db: None) -> Callable[[Organisation | None, str], User]:
    """``user_in(organisation, role)``: a user with a confirmed TOTP device."""

    def _make(organisation: Organisation | None, role: str) -> User:
        org_key = organisation.key if organisation else "node"
        user = User.objects.create_user(
            username=f"{role}-{org_key}",
            password="correct horse battery staple",
            organisation=organisation,
            role=role,
            clearance="RESTRICTED",
        )
        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        return user

    return _make


@pytest.fixture
def audit_entries() -> Callable[..., list[AuditEntry]]:
    """Audit entries, optionally only one operation's."""

    def _entries(operation: str | None = None) -> list[AuditEntry]:
        qs = AuditEntry.objects.order_by("seq")
        if operation:
            qs = qs.filter(operation=operation)
        return list(qs)

    return _entries


SMALL = csv_text(
    {
        "record_type": "organisation",
        "key": "al-moi",
        "name": "Ministry of Interior",
        "name_sq": "Ministria e Brendshme",
        "sector": "interior_ministry",
        "level": "national",
        "country": "AL",
    },
    {
        "record_type": "organisation",
        "key": "al-asp-ctu",
        "name": "Albanian State Police, Counter-Terrorism Unit",
        "acronym": "ASP CTU",
        "sector": "police",
        "level": "national",
        "country": "AL",
        "parent": "al-moi",
    },
    {
        "record_type": "organisation",
        "key": "europol",
        "name": "Europol",
        "sector": "international",
        "level": "regional",
        "website": "https://www.europol.europa.eu/",
    },
    {
        "record_type": "unit",
        "key": "al-ctu-analysis",
        "name": "Analysis",
        "organisation": "al-asp-ctu",
    },
    {
        "record_type": "network",
        "key": "cti",
        "name": "Counter-Terrorism Initiative network",
        "acronym": "CTI",
        "level": "operational",
    },
    {
        "record_type": "person",
        "key": "al-ana-example",
        "organisation": "al-asp-ctu",
        "unit": "al-ctu-analysis",
        "given_name": "Ana",
        "family_name": "Example",
        "role": "Analyst (fictional)",
        "email": "ana.example@example.org",
    },
    {
        "record_type": "membership",
        "network": "cti",
        "organisation": "al-asp-ctu",
        "role": "member",
        "start": "2020-01-01",
    },
    {
        "record_type": "membership",
        "network": "cti",
        "person": "al-ana-example",
        "role": "focal_point",
    },
    {
        "record_type": "focal_point",
        "country": "AL",
        "topic": "FTF",
        "person": "al-ana-example",
        "start": "2021-01-01",
    },
)


@pytest.fixture
def small_directory(db: None, console: ConsoleActor) -> csv_io.ImportReport:
    """Two Albanian organisations, Europol, a unit, the CTI network, one fictional person."""
    report = csv_io.import_csv(console, SMALL)
    assert report.ok, report.errors
    return report
