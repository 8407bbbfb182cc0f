"""Knowledge fixtures: a regional network, a school in Serbia, a helper that writes items."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firstline.accounts.models import Role, User
from firstline.directory.models import (
    Country,
    Level,
    Membership,
    MembershipRole,
    Network,
    NetworkLevel,
    Organisation,
    Sector,
)
from firstline.knowledge import services
from firstline.knowledge.models import Item

PRACTICE_FIELDS = {
    "summary": "Teachers learn to notice and talk.",
    "description": "A training programme for teachers in secondary schools.",
    "aims": "Confident first-line practitioners.",
}

INDICATOR_CONTEXT = {
    "description": "A pupil suddenly withdraws from friends.",
    "may_indicate": "Distress, sometimes contact with a closed group.",
    "other_explanations": "Bullying, family trouble, depression, a new interest.",
    "no_single_indicator": "Withdrawal is common in adolescence and decides nothing alone.",
    "practitioner_should": "Talk with the pupil, observe over time, consult the school psychologist.",
    "practitioner_should_not": "Label the pupil, report them to the police on this sign alone.",
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cti_network(albanian_police: Organisation) -> Network:
    """The operational CTI network, with the Albanian police as a member."""
    network = Network.objects.create(
        key="cti", name="Counter-Terrorism Initiative network", level=NetworkLevel.OPERATIONAL
    )
    Membership.objects.create(
        network=network, organisation=albanian_police, role=MembershipRole.MEMBER
    )
    return network


@pytest.fixture
def belgrade_school(serbia: Country) -> Organisation:
    return Organisation.objects.create(
        key="rs-school-belgrade",
        name="Secondary school, Belgrade",
        sector=Sector.EDUCATION,
        level=Level.LOCAL,
        country=serbia,
    )


@pytest.fixture
def serbian_teacher(belgrade_school: Organisation) -> User:
    from tests.conftest import make_user  # type: ignore[import-not-found]

    return make_user(belgrade_school, Role.PRACTITIONER, "rs-teacher", clearance="UNCLASSIFIED")


@pytest.fixture
def write_item() -> Callable[..., Item]:
    """``write_item(actor, **fields)``: an item through the service, with sensible defaults."""

    def _write(actor: Any, **overrides: Any) -> Item:
        data: dict[str, Any] = {
            "kind": "practice",
            "language": "en",
            "title": "Teachers as first line",
            "fields": dict(PRACTICE_FIELDS),
            "tlp": "GREEN",
            "classification": "UNCLASSIFIED",
            "scope": "public",
        }
        data.update(overrides)
        return services.create_item(actor, services.ItemInput(**data))

    return _write


@pytest.fixture
def tirana_school(albania: Country) -> Organisation:
    return Organisation.objects.create(
        key="al-school-tirana",
        name="Secondary school, Tirana",
        sector=Sector.EDUCATION,
        level=Level.LOCAL,
        country=albania,
    )


@pytest.fixture
def albanian_teacher(tirana_school: Organisation) -> User:
    from tests.conftest import make_user  # type: ignore[import-not-found]

    return make_user(tirana_school, Role.PRACTITIONER, "al-teacher", clearance="RESTRICTED")


@pytest.fixture
def serbia_in_cti(cti_network: Network, serbian_ministry: Organisation) -> Membership:
    return Membership.objects.create(
        network=cti_network, organisation=serbian_ministry, role=MembershipRole.MEMBER
    )
