"""Named fixtures: an Albanian police unit, a Serbian ministry, a municipality in North Macedonia.

``signed_in(user)`` returns a test client whose session has passed both sign-in factors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import Role, User
from firstline.directory.models import Country, Level, Organisation, Sector

# The named countries and organisations, built by the fixtures below and by the module-scoped
# worlds of tests that build their organisations once (tests/exchange/test_markings_every_path.py).
COUNTRIES: dict[str, dict[str, Any]] = {
    "AL": {"name": "Albania", "names": {"sq": "Shqipëria"}},
    "RS": {"name": "Serbia", "names": {"sr-latn": "Srbija"}},
    "MK": {"name": "North Macedonia", "names": {"mk": "Северна Македонија"}},
}
ORGANISATIONS: dict[str, dict[str, Any]] = {
    "al-asp-ctu": {
        "country": "AL",
        "name": "Albanian State Police, Counter-Terrorism Unit",
        "acronym": "ASP CTU",
        "sector": Sector.POLICE,
        "level": Level.NATIONAL,
    },
    "rs-moi": {
        "country": "RS",
        "name": "Ministry of Interior of Serbia",
        "acronym": "MUP",
        "sector": Sector.INTERIOR_MINISTRY,
        "level": Level.NATIONAL,
    },
    "mk-kumanovo": {
        "country": "MK",
        "name": "Municipality of Kumanovo",
        "sector": Sector.LOCAL_GOVERNMENT,
        "level": Level.LOCAL,
        "municipality": "Kumanovo",
    },
}


def make_country(code: str) -> Country:
    return Country.objects.create(code=code, is_beneficiary=True, **COUNTRIES[code])


def make_organisation(key: str) -> Organisation:
    """One of the named organisations, in its country (created first if it is missing)."""
    fields = dict(ORGANISATIONS[key])
    code = fields.pop("country")
    country = Country.objects.filter(code=code).first() or make_country(code)
    return Organisation.objects.create(key=key, country=country, **fields)


@pytest.fixture
def albania(db: None) -> Country:
    return make_country("AL")


@pytest.fixture
def serbia(db: None) -> Country:
    return make_country("RS")


@pytest.fixture
def north_macedonia(db: None) -> Country:
    return make_country("MK")


@pytest.fixture
def albanian_police(albania: Country) -> Organisation:
    return make_organisation("al-asp-ctu")


@pytest.fixture
def serbian_ministry(serbia: Country) -> Organisation:
    return make_organisation("rs-moi")


@pytest.fixture
def kumanovo_municipality(north_macedonia: Country) -> Organisation:
    return make_organisation("mk-kumanovo")


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


def signed_in_client(user: User) -> Client:
    """A client signed in as ``user`` with both factors passed (password and TOTP)."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def signed_in(db: None) -> Callable[[User], Client]:
    """A client signed in as ``user`` with both factors passed (password and TOTP)."""
    return signed_in_client


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
