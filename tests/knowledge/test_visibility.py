"""Who reads what: marking, scope, country, network and sector, through every channel.

Each case writes one item as the Albanian police officer and checks, for five readers, that
the policy queryset, the item page, the API, the search page and the PDF export all agree with
the expected audience, and that nobody else gets anything. For a reader without an account
the channels are the public pages, the Atom feed, the public search and the public PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.directory.models import Membership, Network
from firstline.knowledge.models import Item
from firstline.knowledge.policy import readable

READERS = ("colleague", "compatriot", "network_member", "outsider", "anonymous")
CHANNELS = ("policy", "page", "api", "search", "export")


@pytest.fixture
def readers(
    albanian_org_admin: User,
    albanian_teacher: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    serbia_in_cti: Membership,
) -> dict[str, User | None]:
    """A colleague (same police), a compatriot (Albanian school, not law enforcement), a
    network member (Serbian ministry, law enforcement, in CTI), an outsider (Kumanovo, not in
    the network) and someone without an account."""
    return {
        "colleague": albanian_org_admin,
        "compatriot": albanian_teacher,
        "network_member": serbian_analyst,
        "outsider": kumanovo_coordinator,
        "anonymous": None,
    }


def _sees(client: Client, reader: User | None, item: Item, word: str) -> dict[str, bool]:
    pk = item.pk
    if reader is None:
        return {
            "policy": readable(None).filter(pk=pk).exists(),
            "page": client.get(f"/knowledge/public/{pk}/").status_code == 200,
            # no API without an account (401): the Atom feed is the public machine interface
            "api": f"/knowledge/public/{pk}/"
            in client.get("/knowledge/public/feed.atom").content.decode(),
            "search": f"/knowledge/public/{pk}/"
            in client.get(f"/knowledge/public/?q={word}").content.decode(),
            "export": client.get(f"/knowledge/public/{pk}/export.pdf").status_code == 200,
        }
    return {
        "policy": readable(reader).filter(pk=pk).exists(),
        "page": client.get(f"/knowledge/{pk}/").status_code == 200,
        "api": client.get(f"/api/v1/knowledge/items/{pk}").status_code == 200,
        "search": pk
        in [i["id"] for i in client.get(f"/api/v1/knowledge/items?q={word}").json()["items"]]
        and f"/knowledge/{pk}/" in client.get(f"/knowledge/?q={word}").content.decode(),
        "export": client.get(f"/knowledge/{pk}/export.pdf").status_code == 200,
    }


def _matrix(
    signed_in: Callable[[User], Client], readers: dict[str, User | None], item: Item, word: str
) -> dict[str, set[str]]:
    """{channel: readers who see the item through it}."""
    seen: dict[str, set[str]] = {channel: set() for channel in CHANNELS}
    for name, reader in readers.items():
        client = Client() if reader is None else signed_in(reader)
        for channel, ok in _sees(client, reader, item, word).items():
            if ok:
                seen[channel].add(name)
    return seen


CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("organisation scope", {"tlp": "AMBER", "scope": "organisation"}, {"colleague"}),
    ("national platform", {"tlp": "AMBER", "scope": "national"}, {"colleague", "compatriot"}),
    (
        "network scope",
        {"tlp": "AMBER", "scope": "network", "networks": ["cti"]},
        {"colleague", "network_member"},
    ),
    (
        "public but green",
        {"tlp": "GREEN", "scope": "public"},
        {"colleague", "compatriot", "network_member", "outsider"},
    ),
    ("public and clear", {"tlp": "CLEAR", "scope": "public"}, set(READERS)),
    ("clear but national", {"tlp": "CLEAR", "scope": "national"}, {"colleague", "compatriot"}),
    ("red", {"tlp": "RED", "scope": "organisation"}, {"colleague"}),
    (
        "amber+strict in a network",
        {"tlp": "AMBER+STRICT", "scope": "network", "networks": ["cti"]},
        {"colleague", "network_member"},
    ),
    (
        "modus operandi, national: the compatriot is not law enforcement",
        {
            "kind": "modus_operandi",
            "fields": {"body": "How recruiters approach pupils."},
            "tlp": "AMBER",
            "scope": "national",
        },
        {"colleague"},
    ),
    (
        "modus operandi in the network reaches law enforcement abroad",
        {
            "kind": "modus_operandi",
            "fields": {"body": "How recruiters approach pupils."},
            "tlp": "AMBER",
            "scope": "network",
            "networks": ["cti"],
        },
        {"colleague", "network_member"},
    ),
]


@pytest.mark.parametrize(("case", "marking", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_channel_shows_the_item_to_exactly_its_audience(
    case: str,
    marking: dict[str, Any],
    expected: set[str],
    signed_in: Callable[[User], Client],
    readers: dict[str, User | None],
    albanian_officer: User,
    write_item: Callable[..., Item],
) -> None:
    item = write_item(albanian_officer, title="Zanzibarian outreach", **marking)
    matrix = _matrix(signed_in, readers, item, "zanzibarian")
    assert matrix == dict.fromkeys(CHANNELS, expected)


def test_classification_above_the_readers_clearance_hides_the_item(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    albanian_teacher: User,
    write_item: Callable[..., Item],
) -> None:
    albanian_teacher.clearance = "UNCLASSIFIED"
    albanian_teacher.save()
    item = write_item(
        albanian_officer,
        title="Restricted outreach",
        tlp="AMBER",
        scope="national",
        classification="RESTRICTED",
    )
    client = signed_in(albanian_teacher)
    assert not readable(albanian_teacher).filter(pk=item.pk).exists()
    assert client.get(f"/knowledge/{item.pk}/").status_code == 404
    assert client.get(f"/api/v1/knowledge/items/{item.pk}").status_code == 404
    assert client.get("/api/v1/knowledge/items?q=restricted").json()["count"] == 0

    albanian_teacher.clearance = "RESTRICTED"
    albanian_teacher.save()
    assert client.get(f"/api/v1/knowledge/items/{item.pk}").status_code == 200


def test_an_ended_membership_no_longer_opens_the_network(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    serbian_analyst: User,
    serbia_in_cti: Membership,
    write_item: Callable[..., Item],
) -> None:
    import datetime as dt

    item = write_item(albanian_officer, tlp="GREEN", scope="network", networks=["cti"])
    assert readable(serbian_analyst).filter(pk=item.pk).exists()
    serbia_in_cti.start = dt.date(2020, 1, 1)
    serbia_in_cti.end = dt.date(2021, 1, 1)
    serbia_in_cti.save()
    assert signed_in(serbian_analyst).get(f"/knowledge/{item.pk}/").status_code == 404


def test_a_node_administrator_without_organisation_sees_only_public_items(
    node_admin: User, albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    public = write_item(albanian_officer, tlp="GREEN", scope="public")
    write_item(albanian_officer, tlp="AMBER", scope="national")
    assert list(readable(node_admin)) == [public]


def test_only_the_owner_organisation_may_edit(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    albanian_org_admin: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
) -> None:
    item = write_item(albanian_officer, tlp="GREEN", scope="public")
    body = {"base_version": 1, "title": "Changed", "fields": {"description": "New."}}
    outsider = signed_in(kumanovo_coordinator).put(
        f"/api/v1/knowledge/items/{item.pk}", body, content_type="application/json"
    )
    assert outsider.status_code == 404
    assert signed_in(kumanovo_coordinator).get(f"/knowledge/{item.pk}/edit/").status_code == 404
    colleague = signed_in(albanian_org_admin).put(
        f"/api/v1/knowledge/items/{item.pk}", body, content_type="application/json"
    )
    assert colleague.status_code == 200
    assert colleague.json()["title"] == "Changed"


def test_an_unknown_network_or_one_we_do_not_belong_to_is_refused(
    signed_in: Callable[[User], Client], albanian_officer: User, cti_network: Network
) -> None:
    Network.objects.create(key="rcc", name="RCC focal points", level="political")
    client = signed_in(albanian_officer)
    body = {
        "kind": "lesson",
        "language": "en",
        "title": "A lesson",
        "fields": {"body": "Text"},
        "tlp": "GREEN",
        "scope": "network",
        "networks": ["rcc", "nowhere"],
    }
    response = client.post("/api/v1/knowledge/items", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    reasons = [e["reason"] for e in response.json()["errors"] if e["field"] == "networks"]
    assert reasons == ["your organisation is not a member of 'rcc'", "no network 'nowhere'"]
    assert not Item.objects.exists()
