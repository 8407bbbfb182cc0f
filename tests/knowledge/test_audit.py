"""Reading a restricted item (a modus operandi, TLP:RED or TLP:AMBER+STRICT) is audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry
from firstline.knowledge.models import Item


def _consults(item: Item) -> int:
    return AuditEntry.objects.filter(operation="consult", object_ids=[str(item.pk)]).count()


@pytest.mark.parametrize(
    "marking",
    [
        {"tlp": "RED", "scope": "organisation"},
        {"tlp": "AMBER+STRICT", "scope": "national"},
        {
            "kind": "modus_operandi",
            "fields": {"body": "How."},
            "tlp": "AMBER",
            "scope": "organisation",
        },
    ],
)
def test_each_read_of_a_restricted_item_writes_a_consult_entry(
    signed_in: Callable[[User], Client],
    albanian_org_admin: User,
    albanian_officer: User,
    write_item: Callable[..., Item],
    marking: dict[str, object],
) -> None:
    item = write_item(albanian_officer, **marking)
    client = signed_in(albanian_org_admin)
    client.get(f"/knowledge/{item.pk}/")
    client.get(f"/api/v1/knowledge/items/{item.pk}")
    client.get(f"/knowledge/{item.pk}/history/")
    assert _consults(item) == 3
    entry = AuditEntry.objects.filter(operation="consult").latest("seq")
    assert entry.actor_user == f"user:{albanian_org_admin.pk}"
    assert entry.object_type == "knowledge.item"


def test_reading_an_ordinary_item_is_not_audited(
    signed_in: Callable[[User], Client],
    albanian_org_admin: User,
    albanian_officer: User,
    write_item: Callable[..., Item],
) -> None:
    item = write_item(albanian_officer, tlp="AMBER", scope="organisation")
    signed_in(albanian_org_admin).get(f"/knowledge/{item.pk}/")
    assert _consults(item) == 0


def test_a_refused_read_writes_nothing_and_reveals_nothing(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
) -> None:
    item = write_item(albanian_officer, tlp="RED", scope="organisation")
    response = signed_in(kumanovo_coordinator).get(f"/api/v1/knowledge/items/{item.pk}")
    assert response.status_code == 404
    assert _consults(item) == 0
    missing = signed_in(kumanovo_coordinator).get("/api/v1/knowledge/items/999999")
    assert missing.json()["detail"] == response.json()["detail"]


def test_a_modus_operandi_cannot_be_written_outside_law_enforcement(
    signed_in: Callable[[User], Client], kumanovo_coordinator: User
) -> None:
    client = signed_in(kumanovo_coordinator)
    response = client.post(
        "/api/v1/knowledge/items",
        {"kind": "modus_operandi", "language": "mk", "title": "x", "fields": {"body": "y"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "kind"
    assert "Modus operandi" not in client.get("/knowledge/new/").content.decode()
    assert not Item.objects.exists()
