"""Audit fixtures: a log of entries written through ``record``, people who are data subjects."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import Role, User
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, Operation
from firstline.directory.models import Organisation, Person


def make_user(organisation: Organisation | None, role: str, username: str) -> User:
    user = User.objects.create_user(
        username=username,
        password="correct horse battery staple",
        organisation=organisation,
        role=role,
        clearance="RESTRICTED",
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def albanian_dpo(albanian_police: Organisation) -> User:
    return make_user(albanian_police, Role.DPO, "al-dpo")


@pytest.fixture
def serbian_dpo(serbian_ministry: Organisation) -> User:
    return make_user(serbian_ministry, Role.DPO, "rs-dpo")


@pytest.fixture
def albanian_contact(albanian_police: Organisation, albanian_officer: User) -> Person:
    """The directory Person of the Albanian officer: a data subject of other people's reads."""
    return Person.objects.create(
        key="al-officer",
        organisation=albanian_police,
        given_name="Arta",
        family_name="Hoxha",
        user=albanian_officer,
    )


@pytest.fixture
def write_log(db: None) -> Callable[..., list[AuditEntry]]:
    """Append ``n`` entries, each in its own transaction, as ``actor``."""

    def _write(n: int, actor: User | None = None, **fields: object) -> list[AuditEntry]:
        written = []
        for i in range(n):
            with transaction.atomic():
                written.append(
                    record(
                        actor=actor,
                        operation=fields.get("operation", Operation.CONSULT),  # type: ignore[arg-type]
                        object_type=str(fields.get("object_type", "directory.person")),
                        object_ids=[i],
                        subjects=fields.get("subjects", [f"person:{i % 7}"]),  # type: ignore[arg-type]
                        recipients=fields.get("recipients", []),  # type: ignore[arg-type]
                        justification=str(fields.get("justification", f"case {i}")),
                    )
                )
        return written

    return _write
