"""The public catalogue and its Atom feed show TLP:CLEAR public items and never anything else.

The rows here are written straight into the database for *every* combination of kind, TLP,
scope and classification the database accepts (including ones the services would refuse), so
the catalogue is tested on its own rule, not on the services' validation.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from firstline.directory.models import Organisation
from firstline.knowledge.models import Item, ItemVersion, Kind, Scope, Tlp, Translation
from firstline.knowledge.search import index_items, search

ATOM = "{http://www.w3.org/2005/Atom}"


def _raw_item(owner: Organisation, kind: str, tlp: str, scope: str, level: str) -> Item | None:
    now = timezone.now()
    try:
        with transaction.atomic():
            item = Item.objects.create(
                kind=kind,
                owner=owner,
                tlp=tlp,
                scope=scope,
                classification=level,
                original_language="en",
                version=1,
                original_version=1,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        return None  # a combination the database itself refuses
    fields = {"summary": f"Catalogue probe {kind} {tlp} {scope} {level}", "body": "Text."}
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        language="en",
        title=f"Probe {item.pk}",
        fields=fields,
        based_on=1,
        created_at=now,
    )
    Translation.objects.create(
        item=item, language="en", version=version, title=version.title, based_on=1
    )
    return item


@pytest.fixture
def every_combination(albanian_police: Organisation) -> tuple[set[int], set[int]]:
    """(public item ids, all other item ids)."""
    public: set[int] = set()
    other: set[int] = set()
    for kind, tlp, scope, level in itertools.product(
        Kind.values, Tlp.values, Scope.values, settings.CLASSIFICATION_LEVELS
    ):
        item = _raw_item(albanian_police, kind, tlp, scope, level)
        if item is None:
            continue
        is_public = (
            tlp == Tlp.CLEAR
            and scope == Scope.PUBLIC
            and level == settings.CLASSIFICATION_LEVELS[0]
            and kind != Kind.MODUS_OPERANDI
        )
        (public if is_public else other).add(item.pk)
    index_items(public | other)
    return public, other


def test_the_catalogue_holds_only_clear_public_unclassified_items(
    client: Client, every_combination: tuple[set[int], set[int]]
) -> None:
    public, other = every_combination
    assert len(public) == 5  # one per kind except modus operandi
    assert len(other) > 100

    found = search(None, "probe", limit=1000)
    assert {i.pk for i in found.items} == public
    assert found.count == len(public)
    assert sum(f.count for f in found.facets["kind"]) == len(public)

    listing = client.get("/knowledge/public/?q=probe").content.decode()
    for pk in public:
        assert f"/knowledge/public/{pk}/" in listing
    for pk in other:
        assert f"/knowledge/public/{pk}/" not in listing


def test_the_feed_is_atom_and_holds_only_public_items(
    client: Client, every_combination: tuple[set[int], set[int]]
) -> None:
    public, _ = every_combination
    response = client.get("/knowledge/public/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314  our own feed
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]  # type: ignore[union-attr]
    ids = {int(link.rstrip("/").split("/")[-1]) for link in links}
    assert ids == public
    assert "Catalogue probe" in response.content.decode()


def test_no_other_item_opens_without_an_account(
    client: Client, every_combination: tuple[set[int], set[int]]
) -> None:
    public, other = every_combination
    for pk in public:
        assert client.get(f"/knowledge/public/{pk}/").status_code == 200
    for pk in other:
        assert client.get(f"/knowledge/public/{pk}/").status_code == 404
    for pk in sorted(other)[:5]:
        assert client.get(f"/knowledge/public/{pk}/export.pdf").status_code == 404
        assert client.get(f"/knowledge/{pk}/").status_code == 302  # to the sign-in page
        assert client.get(f"/api/v1/knowledge/items/{pk}").status_code == 401


def test_an_item_leaves_the_catalogue_when_its_marking_tightens(
    client: Client, albanian_officer: object, write_item: object
) -> None:
    from firstline.knowledge import services

    item = write_item(albanian_officer, tlp="CLEAR", scope="public")  # type: ignore[operator]
    assert (
        f"/knowledge/public/{item.pk}/"
        in client.get("/knowledge/public/feed.atom").content.decode()
    )
    services.edit_item(
        albanian_officer,
        item.pk,
        item.version,
        services.ItemInput(
            title=item.versions.get().title,
            fields=item.versions.get().fields,
            tlp="GREEN",
            classification="UNCLASSIFIED",
            scope="public",
        ),
    )
    assert (
        f"/knowledge/public/{item.pk}/"
        not in client.get("/knowledge/public/feed.atom").content.decode()
    )
    assert client.get(f"/knowledge/public/{item.pk}/").status_code == 404
