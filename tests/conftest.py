"""Named fixtures: an Albanian police unit, a Serbian ministry, a municipality in North Macedonia.

``signed_in(user)`` returns a test client whose session has passed both sign-in factors.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import Role, User
from firstline.directory.models import Country, Level, Organisation, Sector


@pytest.fixture
def albania(db: None) -> Country:
    return Country.objects.create(
        code="AL", name="Albania", names={"sq": "Shqipëria"}, is_beneficiary=True
    )


@pytest.fixture
def serbia(db: None) -> Country:
    return Country.objects.create(
        code="RS", name="Serbia", names={"sr-latn": "Srbija"}, is_beneficiary=True
    )


@pytest.fixture
def north_macedonia(db: None) -> Country:
    return Country.objects.create(
        code="MK", name="North Macedonia", names={"mk": "Северна Македонија"}, is_beneficiary=True
    )


@pytest.fixture
def albanian_police(albania: Country) -> Organisation:
    return Organisation.objects.create(
        key="al-asp-ctu",
        name="Albanian State Police, Counter-Terrorism Unit",
        acronym="ASP CTU",
        sector=Sector.POLICE,
        level=Level.NATIONAL,
        country=albania,
    )


@pytest.fixture
def serbian_ministry(serbia: Country) -> Organisation:
    return Organisation.objects.create(
        key="rs-moi",
        name="Ministry of Interior of Serbia",
        acronym="MUP",
        sector=Sector.INTERIOR_MINISTRY,
        level=Level.NATIONAL,
        country=serbia,
    )


@pytest.fixture
def kumanovo_municipality(north_macedonia: Country) -> Organisation:
    return Organisation.objects.create(
        key="mk-kumanovo",
        name="Municipality of Kumanovo",
        sector=Sector.LOCAL_GOVERNMENT,
        level=Level.LOCAL,
        country=north_macedonia,
        municipality="Kumanovo",
    )


def make_user(
    organisation: Organisation | None, role: str, username: str, clearance: str = "RESTRICTED"
) -> User:
    user = User.objects.create_user(
        username=username,
        password="correct horse battery staple",
        organisation=organisation,
        role=role,
        clearance=clearance,
        first_name="Test",
        last_name=username.title(),
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def albanian_officer(albanian_police: Organisation) -> User:
    return make_user(albanian_police, Role.ANALYST, "al-officer")


@pytest.fixture
def albanian_org_admin(albanian_police: Organisation) -> User:
    return make_user(albanian_police, Role.ORG_ADMIN, "al-admin")


@pytest.fixture
def serbian_analyst(serbian_ministry: Organisation) -> User:
    return make_user(serbian_ministry, Role.ANALYST, "rs-analyst")


@pytest.fixture
def kumanovo_coordinator(kumanovo_municipality: Organisation) -> User:
    return make_user(kumanovo_municipality, Role.COORDINATOR, "mk-coordinator")


@pytest.fixture
def node_admin(db: None) -> User:
    return make_user(None, Role.NODE_ADMIN, "node-admin", clearance="CONFIDENTIAL")


@pytest.fixture
def signed_in(db: None) -> Callable[[User], Client]:
    """A client signed in as ``user`` with both factors passed (password and TOTP)."""

    def _signed_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _signed_in


@pytest.fixture
def production_secrets() -> dict[str, str]:
    """Every secret production mode requires, as environment variables (a test drops one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    log_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "FIRSTLINE_SECRET_KEY": "a-production-like-secret-key-of-fifty-characters-xx",
        "FIRSTLINE_ALLOWED_HOSTS": "127.0.0.1,node.example.org",
        "FIRSTLINE_MASTER_KEY": "a-production-like-master-key-of-43-characters",
        "FIRSTLINE_LOG_KEY": log_key.decode(),
    }
