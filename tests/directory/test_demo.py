"""``firstline demo``: a plausible, plainly fictional directory and one account per role; rerunnable."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.test import override_settings

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry
from firstline.directory import csv_io
from firstline.directory.management.commands.demo import DEMO_DATA, DEMO_PASSWORD
from firstline.directory.models import (
    Membership,
    Network,
    NetworkLevel,
    Organisation,
    Person,
    Sector,
)
from firstline.directory.services import ConsoleActor

BENEFICIARIES = ("AL", "BA", "XK", "ME", "MK", "RS")


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    return {
        "directory": csv_io.export_text(ConsoleActor("snapshot")),
        "users": list(User.objects.order_by("username").values()),
        "links": list(Person.objects.order_by("key").values_list("key", "user_id")),
        "audit": AuditEntry.objects.count(),
    }


@override_settings(DEMO_MODE=True)
def test_running_demo_twice_changes_nothing(db: None) -> None:
    run_demo()
    first = snapshot()

    run_demo()

    # the snapshot itself logs one export per call; nothing else may be added
    second = snapshot()
    assert second["audit"] == first["audit"] + 1
    assert {k: v for k, v in second.items() if k != "audit"} == {
        k: v for k, v in first.items() if k != "audit"
    }


@override_settings(DEMO_MODE=True)
def test_demo_mode_creates_one_demo_account_per_role_and_prints_how_to_sign_in(db: None) -> None:
    out = run_demo()

    users = User.objects.filter(is_demo=True)
    assert sorted(u.role for u in users) == sorted(Role.values)
    for user in users:
        assert user.check_password(DEMO_PASSWORD)
        assert user.person.organisation_id == user.organisation_id  # a Person is linked
        assert user.username in out
    analyst = User.objects.get(username="demo-analyst")
    assert analyst.organisation is not None and analyst.organisation.key == "al-asp-ctu"
    assert "http://127.0.0.1:8000" in out
    assert DEMO_PASSWORD in out


def test_outside_demo_mode_no_account_is_created_unless_asked(db: None) -> None:
    out = run_demo()

    assert not User.objects.exists()
    assert "No demo accounts" in out
    assert Organisation.objects.exists()


def test_outside_demo_mode_accounts_get_a_random_password_printed_once(db: None) -> None:
    out = run_demo("--accounts")

    user = User.objects.get(username="demo-coordinator")
    assert user.is_demo
    assert not user.check_password(DEMO_PASSWORD)
    password = out.split("demo-coordinator", 1)[1].split("password: ", 1)[1].split()[0]
    assert user.check_password(password)
    assert "password unchanged" in run_demo("--accounts")


def test_the_demo_file_is_in_the_canonical_export_form(db: None) -> None:
    run_demo()

    assert csv_io.export_text(ConsoleActor("t")) == DEMO_DATA.read_text(encoding="utf-8")


def test_the_demo_directory_is_plausible_and_plainly_fictional(db: None) -> None:
    run_demo()

    for code in BENEFICIARIES:
        orgs = Organisation.objects.filter(country__code=code)
        sectors = set(orgs.values_list("sector", flat=True))
        assert {
            Sector.INTERIOR_MINISTRY,
            Sector.POLICE,
            Sector.PROSECUTION,
            Sector.SOCIAL_WELFARE,
            Sector.EDUCATION,
            Sector.LOCAL_GOVERNMENT,
            Sector.CIVIL_SOCIETY,
        } <= sectors, code
        assert orgs.filter(sector=Sector.POLICE, name__icontains="terror").exists(), code
        assert all(org.names for org in orgs), code  # names in the local language too
        platform = Network.objects.get(country__code=code, level=NetworkLevel.NATIONAL_PLATFORM)
        chair = Membership.objects.get(network=platform, role="chair").organisation
        assert chair is not None and chair.sector == Sector.OTHER, code  # the coordinating body
        council = Network.objects.get(country__code=code, level=NetworkLevel.LOCAL_SAFETY_COUNCIL)
        council_chair = Membership.objects.get(network=council, role="chair").organisation
        assert council_chair is not None and council_chair.sector == Sector.LOCAL_GOVERNMENT

    kosovo = Organisation.objects.filter(country__code="XK").first()
    assert kosovo is not None and kosovo.country is not None
    assert kosovo.country.name == "Kosovo*"  # named without prejudice to status

    for level in (NetworkLevel.POLITICAL, NetworkLevel.STRATEGIC, NetworkLevel.OPERATIONAL):
        network = Network.objects.get(level=level, country__isnull=True)
        countries = set(
            network.memberships.filter(organisation__isnull=False).values_list(
                "organisation__country__code", flat=True
            )
        )
        assert set(BENEFICIARIES) <= countries, network

    for code in ("SI", "AT", "BE", "CZ"):
        assert Organisation.objects.filter(country__code=code, sector=Sector.INTERIOR_MINISTRY)
    acronyms = set(
        Organisation.objects.filter(sector=Sector.INTERNATIONAL, country__isnull=True).values_list(
            "acronym", flat=True
        )
    )
    assert {"Europol", "INTERPOL", "OSCE", "UNODC", "UNDP", "SELEC", "DG HOME", "RCC"} <= acronyms
    cti_chair = Network.objects.get(key="cti").memberships.get(role="chair").organisation
    assert cti_chair is not None and cti_chair.country is not None
    assert cti_chair.country.code == "SI"  # Slovenia leads

    fictional_names = {"Example", "Demo", "Sample", "Liaison", "Officer"}
    for person in Person.objects.all():
        assert person.family_name in fictional_names or person.given_name == "Demo", person
        assert person.email.endswith("example.org"), person.email
        assert "fictional" in person.role or "demo" in person.role
