"""Fixtures of the accounts tests: real TOTP codes, a controllable clock, API keys."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.accounts.matrix.world import world  # noqa: F401  (the authorisation matrix's fixture)

from firstline.accounts import services
from firstline.accounts.models import ApiKey, User

PASSWORD = "correct horse battery staple"


def _totp_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's phone shows now (or ``steps_ahead`` periods later), computed from
    the device's key as an authenticator app does. The device accepts one step either side,
    and never the same step twice, so a second sign-in in one test uses ``steps_ahead=1``."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def totp_code() -> Callable[..., str]:
    """``totp_code(device, steps_ahead=0)``: what the authenticator app shows."""
    return _totp_code


@pytest.fixture
def password_step() -> Callable[..., HttpResponse]:
    """``password_step(client, username, password=PASSWORD, **extra)``: POST the first step."""

    def _post(
        client: Client, username: str, password: str = PASSWORD, **extra: str
    ) -> HttpResponse:
        return client.post(  # type: ignore[return-value]
            "/accounts/login/", {"username": username, "password": password, **extra}
        )

    return _post


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_key() -> Callable[..., tuple[ApiKey, str]]:
    """Create an API key as ``creator`` (an organisation administrator) through the service."""

    def _make(
        creator: User,
        scopes: list[str] | None = None,
        role: str = "analyst",
        clearance: str = "RESTRICTED",
        name: str = "case system",
    ) -> tuple[ApiKey, str]:
        return services.create_api_key(
            actor=creator,
            name=name,
            role=role,
            clearance=clearance,
            scopes=scopes if scopes is not None else ["directory.view", "accounts.view"],
        )

    return _make


@pytest.fixture
def bearer() -> Callable[[str], dict[str, str]]:
    """``bearer(secret)``: the header an integration sends."""
    return lambda secret: {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
