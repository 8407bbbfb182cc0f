"""Exchange fixtures: a valid message's fields, a person entity, and a sender helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from firstline.accounts.models import User
from firstline.exchange.models import Message
from firstline.exchange.services import send_message


def person(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "person",
        "names": ["Arben Krasniqi"],
        "aliases": ["Beni"],
        "date_of_birth": "1998-04-02",
        "place_of_birth": "Kukës",
        "nationalities": ["AL"],
        "identity_documents": [
            {"type": "passport", "number": "BA1234567", "issuing_country": "AL"}
        ],
        "category": "person_at_risk",
        "purpose": "prevention of radicalisation",
        "legal_basis": "Law 108/2014 on State Police, Art. 4",
        "review_date": "2027-01-31",
        "retention_end": "2030-01-31",
        "facts": "Travelled to Skopje on 3 March.",
        "assessment": "May be in contact with a recruiter.",
    }
    data.update(overrides)
    return data


def message_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "recipients": ["rs-moi"],
        "subject": "Travel of a person at risk",
        "body": "Please confirm whether the person below entered Serbia in March.",
        "message_type": "request",
        "urgency": "other",
        "tlp": "AMBER",
        "handling": "H0",
        "classification": "RESTRICTED",
        "evaluation": {"source": "B", "information": "2"},
        "entities": [person()],
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def send(albanian_officer: User, serbian_analyst: User) -> Callable[..., Message]:
    """Send from the Albanian officer unless ``actor=`` says otherwise."""

    def _send(actor: Any = None, **overrides: Any) -> Message:
        now = overrides.pop("now", None)
        return send_message(actor or albanian_officer, now=now, **message_fields(**overrides))

    return _send


def add_user(
    organisation: Any, username: str, clearance: str = "RESTRICTED", role: str = "analyst"
) -> User:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create_user(
        username=username,
        password="correct horse battery staple",
        organisation=organisation,
        role=role,
        clearance=clearance,
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


class KeyActor:
    """Stands in for an organisation API key (built elsewhere): same attributes as a user."""

    is_authenticated = True
    role = "practitioner"

    def __init__(self, organisation_id: int, clearance: str = "RESTRICTED") -> None:
        self.organisation_id = organisation_id
        self.clearance = clearance
        self.actor_label = f"apikey:test-{organisation_id}"

    def has_scope(self, scope: str) -> bool:
        return scope.startswith("exchange.")


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    """Attachments go to a temporary directory, never var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
