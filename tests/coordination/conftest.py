"""Coordination fixtures: a national workshop in Tirana, its organisers and participants, a
national action plan for Albania with an action owned by the Albanian police."""

from __future__ import annotations

import datetime as dt

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import Role, User
from firstline.coordination.models import (
    Action,
    Event,
    Objective,
    Plan,
    PolicyLevel,
    Recommendation,
    RecommendationStatus,
)
from firstline.coordination.services import actions, events
from firstline.directory.models import Level, Network, NetworkLevel, Organisation, Sector

# The node's clock for these tests: 1 March 2025, 10:00 in Tirana.
NOW = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
TIRANE = "Europe/Tirane"


def person(organisation: Organisation | None, role: str, username: str, **extra: object) -> User:
    user = User.objects.create_user(
        username=username,
        password="correct horse battery staple",
        email=f"{username}@example.org",
        organisation=organisation,
        role=role,
        clearance=str(extra.pop("clearance", "RESTRICTED")),
        first_name=str(extra.pop("first_name", "Test")),
        last_name=str(extra.pop("last_name", username.title())),
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def albanian_ministry(albania) -> Organisation:  # type: ignore[no-untyped-def]
    return Organisation.objects.create(
        key="al-moi",
        name="Ministry of Interior of Albania",
        sector=Sector.INTERIOR_MINISTRY,
        level=Level.NATIONAL,
        country=albania,
    )


@pytest.fixture
def organiser(albanian_ministry: Organisation) -> User:
    """The national P/CVE coordinator at the Albanian Ministry of Interior."""
    return person(
        albanian_ministry, Role.COORDINATOR, "al-coordinator", first_name="Arta", last_name="Hoxha"
    )


@pytest.fixture
def police_officer(albanian_police: Organisation) -> User:
    """A community police officer of the Albanian State Police: owns actions, registers."""
    return person(
        albanian_police, Role.PRACTITIONER, "al-police", first_name="Besnik", last_name="Kola"
    )


@pytest.fixture
def teacher(albanian_ministry: Organisation) -> User:
    return person(
        albanian_ministry, Role.PRACTITIONER, "al-teacher", first_name="Drita", last_name="Leka"
    )


@pytest.fixture
def serbian_officer(serbian_ministry: Organisation) -> User:
    return person(
        serbian_ministry, Role.PRACTITIONER, "rs-officer", first_name="Jovan", last_name="Petrović"
    )


@pytest.fixture
def rcc_network(db: None) -> Network:
    return Network.objects.create(
        key="rcc-nfp", name="RCC National Focal Points on CVE and FTF", level=NetworkLevel.POLITICAL
    )


@pytest.fixture
def workshop(organiser: User, albanian_ministry: Organisation, albania) -> Event:  # type: ignore[no-untyped-def]
    """A national workshop in Tirana on 10 April 2025, two places, registration until 5 April."""
    return events.create_event(
        organiser,
        kind="national_workshop",
        title="National workshop on local prevention",
        title_translations={"sq": "Punëtori kombëtare për parandalimin lokal"},
        description="State of play of the national action plan.",
        start=dt.datetime(2025, 4, 10, 9, 0),
        end=dt.datetime(2025, 4, 10, 17, 0),
        timezone=TIRANE,
        organisers=[albanian_ministry],
        country=albania,
        venue="Tirana International Hotel",
        capacity=2,
        registration_deadline=dt.datetime(2025, 4, 5, 23, 59),
        tlp="GREEN",
        now=NOW,
    )


@pytest.fixture
def plan(organiser: User, albanian_ministry: Organisation, albania) -> Plan:  # type: ignore[no-untyped-def]
    return actions.create_plan(
        organiser,
        key="al-nap-2025",
        kind="national_action_plan",
        title="Albania: national action plan on CVE 2025-2027",
        coordinator=albanian_ministry,
        country=albania,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2027, 12, 31),
        now=NOW,
    )


@pytest.fixture
def objective(organiser: User, plan: Plan) -> Objective:
    return actions.add_objective(organiser, plan, code="1", title="Prevention at the local level")


@pytest.fixture
def agreed_recommendation(organiser: User, workshop: Event) -> Recommendation:
    return actions.create_recommendation(
        organiser,
        text="Set up a local safety council in every municipality with a returnee population.",
        level=PolicyLevel.OPERATIONAL,
        event=workshop,
        status=RecommendationStatus.AGREED,
        now=NOW,
    )


@pytest.fixture
def police_action(organiser: User, objective: Objective, albanian_police: Organisation) -> Action:
    """An action owned by the Albanian State Police, due 31 January 2025 (overdue on NOW)."""
    return actions.create_action(
        organiser,
        objective,
        code="1.1",
        title="Train community police officers in early recognition",
        owner=albanian_police,
        level=PolicyLevel.OPERATIONAL,
        priority="high",
        start=dt.date(2024, 10, 1),
        due=dt.date(2025, 1, 31),
        indicator="Officers trained",
        baseline="0",
        target="120",
        now=NOW,
    )


@pytest.fixture
def now() -> dt.datetime:
    """The node's clock for these tests (1 March 2025)."""
    return NOW


@pytest.fixture
def make_person():  # type: ignore[no-untyped-def]
    """Make a signed-up user with an e-mail address and a TOTP device."""
    return person


@pytest.fixture
def upcoming_workshop(organiser: User, albanian_ministry: Organisation, albania) -> Event:  # type: ignore[no-untyped-def]
    """A workshop a month after the real clock's today (for pages and the API, which use it)."""
    from firstline.core import clock

    day = (
        clock.now()
        .astimezone(dt.UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    )
    return events.create_event(
        organiser,
        kind="national_workshop",
        title="Upcoming workshop",
        start=day + dt.timedelta(days=30, hours=9),
        end=day + dt.timedelta(days=30, hours=17),
        timezone=TIRANE,
        organisers=[albanian_ministry],
        country=albania,
        venue="Tirana",
        capacity=1,
    )
