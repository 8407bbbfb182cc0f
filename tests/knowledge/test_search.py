# ruff: noqa: RUF001  (Cyrillic test data)
"""Full-text search: accents, Cyrillic and Latin, four languages, filters and facets.

Runs on SQLite (FTS5) and, with FIRSTLINE_DATABASE_URL, on PostgreSQL (tsvector); the same
assertions hold on both.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from firstline.accounts.models import User
from firstline.directory.models import Country
from firstline.knowledge import services
from firstline.knowledge.folding import fold
from firstline.knowledge.models import Item
from firstline.knowledge.search import Filters, search

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(
    albanian_officer: User,
    albania: Country,
    serbia: Country,
    north_macedonia: Country,
    write_item: Callable[..., Item],
) -> dict[str, Item]:
    """One practice each in Albanian, Serbian Latin, Serbian Cyrillic, Macedonian and English."""
    return {
        "sq": write_item(
            albanian_officer,
            language="sq",
            title="Shkolla dhe komuniteti në Shqipëri",
            fields={"description": "Mësuesit punojnë me prindërit për parandalimin."},
            country="AL",
            year=2023,
            approach="education",
            target_groups=["teachers", "youth"],
        ),
        "sr-latn": write_item(
            albanian_officer,
            language="sr-latn",
            title="Škola kao mesto prevencije",
            fields={"description": "Nastavnici i roditelji zajedno, podrška deci."},
            country="RS",
            year=2022,
            approach="education",
            target_groups=["teachers"],
        ),
        "sr": write_item(
            albanian_officer,
            language="sr",
            title="Школа и породица",
            fields={"description": "Наставници разговарају са ђацима о насиљу."},
            country="RS",
            year=2022,
            approach="family",
            target_groups=["families"],
        ),
        "mk": write_item(
            albanian_officer,
            language="mk",
            title="Ѓорѓе и училиштето во Куманово",
            fields={"description": "Наставниците ја следат ѕвездата на младите."},
            country="MK",
            year=2024,
            approach="community",
        ),
        "en": write_item(
            albanian_officer,
            language="en",
            title="Training first-line practitioners",
            fields={"description": "Trainers trained teachers in recognising grievances."},
            country="AL",
            year=2024,
            approach="training",
            target_groups=["practitioners", "teachers"],
        ),
    }


def _found(actor: User, query: str, **filters: object) -> set[Item]:
    return set(search(actor, query, Filters(**filters), limit=100).items)  # type: ignore[arg-type]


def test_folding_lowercases_strips_accents_and_transliterates_cyrillic() -> None:
    assert fold("Škola ŠKOLA школа Shqipëri") == "skola skola skola shqiperi"
    assert fold("Ђорђе Ћуприја Џон Љубав Њива") == "dorde cuprija dzon ljubav njiva"
    assert fold("Ѓорѓе Ќерка Ѕвезда") == "gjorgje kjerka dzvezda"


def test_it_ignores_accents(albanian_officer: User, library: dict[str, Item]) -> None:
    assert library["sr-latn"] in _found(albanian_officer, "skola")
    assert _found(albanian_officer, "shqiperi") == {library["sq"]}
    assert _found(albanian_officer, "SHQIPËRI") == {library["sq"]}


def test_latin_finds_cyrillic_and_cyrillic_finds_latin(
    albanian_officer: User, library: dict[str, Item]
) -> None:
    assert _found(albanian_officer, "skola") == {library["sr-latn"], library["sr"]}
    assert _found(albanian_officer, "школа") == {library["sr-latn"], library["sr"]}
    assert _found(albanian_officer, "породица") == {library["sr"]}
    assert _found(albanian_officer, "porodica") == {library["sr"]}


def test_macedonian_cyrillic_is_found_in_latin_too(
    albanian_officer: User, library: dict[str, Item]
) -> None:
    assert _found(albanian_officer, "Ѓорѓе") == {library["mk"]}
    assert _found(albanian_officer, "gjorgje") == {library["mk"]}
    assert _found(albanian_officer, "kumanovo") == {library["mk"]}
    assert _found(albanian_officer, "ѕвездата") == {library["mk"]}


def test_each_language_finds_its_own_items(
    albanian_officer: User, library: dict[str, Item]
) -> None:
    assert _found(albanian_officer, "mësuesit prindërit") == {library["sq"]}
    assert _found(albanian_officer, "nastavnici roditelji") == {library["sr-latn"]}
    assert _found(albanian_officer, "grievances") == {library["en"]}


def test_words_match_as_prefixes_and_all_words_must_match(
    albanian_officer: User, library: dict[str, Item]
) -> None:
    assert _found(albanian_officer, "train") == {library["en"]}
    assert _found(albanian_officer, "training zzzz") == set()
    assert _found(albanian_officer, '"; DROP TABLE knowledge_item; --') == set()
    assert _found(albanian_officer, "*:( OR )") == set()


def test_a_translation_is_searchable_in_its_language(
    albanian_officer: User, library: dict[str, Item]
) -> None:
    item = library["en"]
    services.translate_item(
        albanian_officer,
        item.pk,
        "sq",
        item.version,
        title="Trajnimi i praktikuesve të vijës së parë",
        fields={"description": "Trajnerët trajnuan mësuesit."},
    )
    assert item in _found(albanian_officer, "trajnimi")
    assert _found(albanian_officer, "trajnimi", language="sq") == {item}
    assert _found(albanian_officer, "training", language="sq") == {item}


def test_an_edit_replaces_the_old_words_in_the_index(
    albanian_officer: User, library: dict[str, Item]
) -> None:
    item = library["en"]
    services.edit_item(
        albanian_officer,
        item.pk,
        item.version,
        services.ItemInput(
            title="Mentoring young people",
            fields={"description": "Mentors meet pupils weekly."},
            tlp="GREEN",
            classification="UNCLASSIFIED",
            scope="public",
        ),
    )
    assert _found(albanian_officer, "grievances") == set()
    assert _found(albanian_officer, "mentoring") == {item}


@pytest.mark.postgres
def test_postgresql_also_matches_inflected_forms(
    albanian_officer: User, library: dict[str, Item], write_item: Callable[..., Item]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("stemming comes with PostgreSQL's text search configurations")
    dative = write_item(albanian_officer, language="sr-latn", title="Podrška porodici")
    assert _found(albanian_officer, "porodica") == {library["sr"], dative}
    assert library["en"] in _found(albanian_officer, "recognised")


def test_filters_narrow_the_results(albanian_officer: User, library: dict[str, Item]) -> None:
    assert _found(albanian_officer, "", country="RS") == {library["sr-latn"], library["sr"]}
    assert _found(albanian_officer, "", year=2024) == {library["mk"], library["en"]}
    assert _found(albanian_officer, "", approach="education") == {library["sq"], library["sr-latn"]}
    assert _found(albanian_officer, "", target_group="teachers") == {
        library["sq"],
        library["sr-latn"],
        library["en"],
    }
    assert _found(albanian_officer, "skola", language="sr") == {library["sr"]}
    assert _found(albanian_officer, "", kind="indicator") == set()


def test_facets_count_the_matching_items(albanian_officer: User, library: dict[str, Item]) -> None:
    result = search(albanian_officer, "", Filters(country="RS"))
    assert result.count == 2
    facets = {name: {f.value: f.count for f in values} for name, values in result.facets.items()}
    assert facets == {
        "kind": {"practice": 2},
        "approach": {"education": 1, "family": 1},
        "target_group": {"teachers": 1, "families": 1},
        "country": {"RS": 2},
        "language": {"sr-latn": 1, "sr": 1},
        "year": {"2022": 2},
    }


def test_search_never_counts_or_shows_invisible_items(
    albanian_officer: User,
    kumanovo_coordinator: User,
    library: dict[str, Item],
    write_item: Callable[..., Item],
) -> None:
    hidden = [
        write_item(albanian_officer, title=f"Škola internal {n}", tlp="AMBER", scope="organisation")
        for n in range(3)
    ]
    mine = _found(albanian_officer, "skola")
    assert set(hidden) <= mine
    result = search(kumanovo_coordinator, "skola", limit=1)
    assert result.count == 2
    assert result.facets["kind"][0].count == 2
    assert set(search(kumanovo_coordinator, "skola", limit=1, offset=1).items).isdisjoint(hidden)
    assert {i.pk for i in search(kumanovo_coordinator, "internal").items} == set()


def test_the_search_page_and_api_show_facets(
    signed_in: Callable[[User], Client], albanian_officer: User, library: dict[str, Item]
) -> None:
    client = signed_in(albanian_officer)
    page = client.get("/knowledge/?q=skola")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Škola kao mesto prevencije" in html and "Школа и породица" in html
    assert 'Family support</a> <span class="count">(1)</span>' in html
    body = client.get("/api/v1/knowledge/items?q=%D1%88%D0%BA%D0%BE%D0%BB%D0%B0&country=RS").json()
    assert body["count"] == 2
    assert {f["value"]: f["count"] for f in body["facets"]["language"]} == {"sr-latn": 1, "sr": 1}


def test_results_are_ranked_and_paginated(
    albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    items = [write_item(albanian_officer, title=f"Prevention note {n}") for n in range(5)]
    best = write_item(
        albanian_officer,
        title="Prevention prevention prevention",
        fields={"description": "Prevention everywhere: prevention."},
    )
    first = search(albanian_officer, "prevention", limit=2)
    assert first.count == 6
    assert first.items[0] == best
    pages = [search(albanian_officer, "prevention", limit=2, offset=o).items for o in (0, 2, 4)]
    assert {i for page in pages for i in page} == {*items, best}


def test_a_query_as_unspecific_as_a_stop_word_lists_newest_first(
    albanian_officer: User, write_item: Callable[..., Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    from firstline.knowledge import search as search_module

    older = write_item(albanian_officer, title="Prevention prevention prevention")
    newer = write_item(albanian_officer, title="Prevention note")
    Item.objects.filter(pk=older.pk).update(updated_at=newer.updated_at.replace(year=2020))
    assert search(albanian_officer, "prevention").items == [older, newer]
    monkeypatch.setattr(search_module, "RANK_LIMIT", 1)
    result = search(albanian_officer, "prevention")
    assert (result.items, result.count, result.ranked) == ([newer, older], 2, False)


def test_broad_searches_estimate_counts_from_readable_items_only(
    albanian_officer: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from firstline.knowledge import search as search_module

    public = [write_item(albanian_officer, title=f"Prevention {n}") for n in range(8)]
    for n in range(8):
        write_item(
            albanian_officer, title=f"Prevention internal {n}", tlp="AMBER", scope="organisation"
        )
    monkeypatch.setattr(search_module, "EXACT_COUNT_LIMIT", 4)
    monkeypatch.setattr(search_module, "MIN_SAMPLE", 1)
    result = search(kumanovo_coordinator, "prevention")
    assert result.estimated
    # 16 matching documents over a limit of 4: every fourth item id is sampled, and only the
    # readable ones among them count, scaled back up
    sampled = [i for i in public if i.pk % 4 == 0]
    assert result.count == len(sampled) * 4
    assert set(result.items) <= set(public)
    monkeypatch.setattr(search_module, "MIN_SAMPLE", 100)
    exact = search(kumanovo_coordinator, "prevention")
    assert (exact.estimated, exact.count) == (False, 8)
