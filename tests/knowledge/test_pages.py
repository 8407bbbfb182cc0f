"""The knowledge pages: forms with explained marking pickers, every page reachable, no inline script."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from firstline.accounts.models import User
from firstline.directory.models import Network
from firstline.knowledge.models import Item

from .conftest import PRACTICE_FIELDS


def test_the_create_form_explains_every_marking_choice(
    signed_in: Callable[[User], Client], albanian_officer: User, cti_network: Network
) -> None:
    html = signed_in(albanian_officer).get("/knowledge/new/practice/").content.decode()
    assert "<legend>TLP</legend>" in html and "<legend>Sharing scope</legend>" in html
    assert "stays within your organisation and is never passed on" in html  # RED
    assert "readable without an account" in html  # CLEAR
    assert "the national platform" in html
    assert "Only readers cleared for RESTRICTED or higher." in html
    assert 'value="CONFIDENTIAL"' not in html  # above the officer's clearance
    assert 'value="cti"' in html  # a network the organisation belongs to
    assert "<script>" not in html and "style=" not in html


def test_a_practice_is_created_through_the_form(
    signed_in: Callable[[User], Client], albanian_officer: User, cti_network: Network
) -> None:
    client = signed_in(albanian_officer)
    response = client.post(
        "/knowledge/new/practice/",
        {
            "language": "sq",
            "title": "Mësuesit si vija e parë",
            **PRACTICE_FIELDS,
            "tlp": "AMBER",
            "classification": "RESTRICTED",
            "scope": "network",
            "networks": ["cti"],
            "approach": "training",
            "target_groups": ["teachers", "youth"],
            "year": "2024",
            "presented_at": "Regional workshop, Tirana, May 2024",
            "presented_at_url": "https://example.org/workshop",
        },
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.original_language, item.scope, item.approach, item.year) == (
        "sq",
        "network",
        "training",
        2024,
    )
    assert list(item.networks.values_list("key", flat=True)) == ["cti"]
    assert sorted(item.target_groups.values_list("group", flat=True)) == ["teachers", "youth"]
    detail = client.get(response["Location"]).content.decode()
    assert "TLP:AMBER" in detail and "Regional workshop, Tirana" in detail


def test_bad_form_input_is_shown_by_field_and_saves_nothing(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    response = signed_in(albanian_officer).post(
        "/knowledge/new/practice/",
        {
            "language": "en",
            "title": "x",
            "description": "y",
            "tlp": "RED",
            "classification": "UNCLASSIFIED",
            "scope": "public",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_scope"' in html and "TLP:RED stays within your organisation" in html
    assert not Item.objects.exists()


def test_every_page_answers(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer, tlp="CLEAR")
    client = signed_in(albanian_officer)
    for url in [
        "/knowledge/",
        "/knowledge/?q=teachers&kind=practice&year=2024",
        "/knowledge/new/",
        f"/knowledge/{item.pk}/",
        f"/knowledge/{item.pk}/edit/",
        f"/knowledge/{item.pk}/translate/mk/",
        f"/knowledge/{item.pk}/history/",
        f"/knowledge/{item.pk}/diff/?old=1&new=1",
        "/knowledge/translations/mk/",
        "/knowledge/public/",
        f"/knowledge/public/{item.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>" not in response.content.decode(), url
    assert client.get("/knowledge/translations/").status_code == 302
    assert client.get("/knowledge/new/unknown/").status_code == 404
    assert Client().get("/knowledge/").status_code == 302


def test_the_navigation_links_to_knowledge(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    assert 'href="/knowledge/"' in signed_in(albanian_officer).get("/").content.decode()
