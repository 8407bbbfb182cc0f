"""Translations: an item in several languages, the fallback to one the reader knows, the queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.core.problems import Problem
from firstline.knowledge import services
from firstline.knowledge.models import Item
from firstline.knowledge.reading import pick_language, read_item

from .conftest import PRACTICE_FIELDS


@pytest.fixture
def practice(albanian_officer: User, write_item: Callable[..., Item]) -> Item:
    item = write_item(albanian_officer, language="en", title="Teachers as first line")
    services.translate_item(
        albanian_officer,
        item.pk,
        "sq",
        item.version,
        title="Mësuesit si vija e parë",
        fields={"description": "Një program trajnimi për mësuesit."},
    )
    item.refresh_from_db()
    return item


def test_the_language_asked_for_wins_then_the_readers_then_the_original() -> None:
    assert pick_language({"en", "sq"}, ["sq", "mk"], "en") == "sq"
    assert pick_language({"en", "sq"}, ["mk", "sq"], "en") == "sq"
    assert pick_language({"en", "sq"}, ["mk"], "en") == "en"
    assert pick_language({"en"}, ["en-gb"], "sq") == "en"
    # Serbian Latin never silently becomes Cyrillic
    assert pick_language({"sr", "en"}, ["sr-latn"], "en") == "en"


def test_a_reader_gets_the_item_in_their_language(
    signed_in: Callable[[User], Client], practice: Item, serbian_analyst: User
) -> None:
    client = signed_in(serbian_analyst)
    assert client.get(f"/api/v1/knowledge/items/{practice.pk}?lang=sq").json()["title"] == (
        "Mësuesit si vija e parë"
    )
    page = client.get(f"/knowledge/{practice.pk}/", HTTP_ACCEPT_LANGUAGE="sq")
    assert "Mësuesit si vija e parë" in page.content.decode()
    serbian_analyst.language = "sq"
    serbian_analyst.save()
    body = signed_in(serbian_analyst).get(f"/api/v1/knowledge/items/{practice.pk}").json()
    assert (body["language"], body["fallback"]) == ("sq", False)


def test_a_missing_language_falls_back_to_the_original_and_says_so(
    signed_in: Callable[[User], Client], practice: Item, serbian_analyst: User
) -> None:
    body = signed_in(serbian_analyst).get(f"/api/v1/knowledge/items/{practice.pk}?lang=mk").json()
    assert (body["language"], body["fallback"], body["languages"]) == ("en", True, ["en", "sq"])
    page = signed_in(serbian_analyst).get(f"/knowledge/{practice.pk}/?lang=mk").content.decode()
    assert "not available in the language you asked for" in page
    assert 'hreflang="sq"' in page


def test_translating_into_the_original_language_is_refused(
    albanian_officer: User, practice: Item
) -> None:
    with pytest.raises(Problem) as refused:
        services.translate_item(
            albanian_officer,
            practice.pk,
            "en",
            practice.version,
            title="x",
            fields={"description": "y"},
        )
    assert refused.value.errors[0]["field"] == "language"


def test_a_reader_in_another_organisation_may_translate(
    signed_in: Callable[[User], Client], practice: Item, serbian_analyst: User
) -> None:
    client = signed_in(serbian_analyst)
    response = client.put(
        f"/api/v1/knowledge/items/{practice.pk}/translations/sr-latn",
        {
            "base_version": practice.version,
            "title": "Nastavnici kao prva linija",
            "fields": {"description": "Program obuke."},
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["language"], response.json()["title"]) == (
        "sr-latn",
        "Nastavnici kao prva linija",
    )
    stale = client.put(
        f"/api/v1/knowledge/items/{practice.pk}/translations/mk",
        {
            "base_version": practice.version,
            "title": "Наставници",
            "fields": {"description": "Обука."},
        },
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_the_queue_lists_missing_and_outdated_translations(
    signed_in: Callable[[User], Client], practice: Item, albanian_officer: User
) -> None:
    client = signed_in(albanian_officer)
    assert client.get("/api/v1/knowledge/translation-queue/sq").json()["items"] == []
    mk = client.get("/api/v1/knowledge/translation-queue/mk").json()["items"]
    assert [(e["id"], e["status"]) for e in mk] == [(practice.pk, "missing")]

    services.edit_item(
        albanian_officer,
        practice.pk,
        practice.version,
        services.ItemInput(
            title="Teachers as the first line",
            fields=PRACTICE_FIELDS,
            tlp="GREEN",
            classification="UNCLASSIFIED",
            scope="public",
        ),
    )
    sq = client.get("/api/v1/knowledge/translation-queue/sq").json()["items"]
    assert [(e["id"], e["status"]) for e in sq] == [(practice.pk, "outdated")]
    page = client.get("/knowledge/translations/sq/").content.decode()
    assert "Outdated" in page and f"/knowledge/{practice.pk}/translate/sq/" in page
    detail = client.get(f"/knowledge/{practice.pk}/?lang=sq").content.decode()
    assert "The original has changed since this translation was made." in detail
    assert client.get("/knowledge/translations/xx/").status_code == 404
    assert client.get("/api/v1/knowledge/translation-queue/xx").status_code == 404


def test_the_queue_shows_only_items_the_reader_may_read(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
) -> None:
    write_item(albanian_officer, tlp="AMBER", scope="organisation")
    public = write_item(albanian_officer)
    queue = signed_in(kumanovo_coordinator).get("/api/v1/knowledge/translation-queue/mk").json()
    assert [e["id"] for e in queue["items"]] == [public.pk]


def test_the_translation_page_saves_a_translation(
    signed_in: Callable[[User], Client], practice: Item, kumanovo_coordinator: User
) -> None:
    client = signed_in(kumanovo_coordinator)
    url = f"/knowledge/{practice.pk}/translate/mk/"
    page = client.get(url)
    assert page.status_code == 200 and "Teachers as first line" in page.content.decode()
    response = client.post(
        url,
        {
            "base_version": practice.version,
            "title": "Наставниците како прва линија",
            "description": "Обука за наставници.",
        },
    )
    assert response.status_code == 302
    assert read_item(kumanovo_coordinator, practice.pk, language="mk").version.title == (
        "Наставниците како прва линија"
    )
