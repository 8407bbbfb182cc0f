"""Versions: every edit is kept, the diff is readable, a conflicting edit changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.core.problems import Problem
from firstline.knowledge import diff, services
from firstline.knowledge.models import Item, ItemVersion

from .conftest import PRACTICE_FIELDS


def _edit(actor: User, item: Item, base: int, **changes: object) -> Item:
    data = {
        "title": "Teachers as first line",
        "fields": dict(PRACTICE_FIELDS),
        "tlp": "GREEN",
        "classification": "UNCLASSIFIED",
        "scope": "public",
    }
    data.update(changes)
    return services.edit_item(actor, item.pk, base, services.ItemInput(**data))  # type: ignore[arg-type]


def test_every_edit_is_a_new_version_and_the_old_ones_stay(
    albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    _edit(albanian_officer, item, 1, title="Teachers as the first line")
    _edit(
        albanian_officer,
        item,
        2,
        title="Teachers as the first line",
        tlp="CLEAR",
        note="Cleared for the public catalogue",
    )
    item.refresh_from_db()
    assert item.version == 3
    versions = list(ItemVersion.objects.filter(item=item).order_by("number"))
    assert [v.title for v in versions] == [
        "Teachers as first line",
        "Teachers as the first line",
        "Teachers as the first line",
    ]
    assert [v.metadata["tlp"] for v in versions] == ["GREEN", "GREEN", "CLEAR"]
    assert versions[2].note == "Cleared for the public catalogue"


def test_an_edit_that_changes_nothing_writes_no_version(
    albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    _edit(albanian_officer, item, 1)
    item.refresh_from_db()
    assert item.version == 1


def test_an_edit_based_on_an_old_version_is_refused_and_changes_nothing(
    albanian_officer: User, albanian_org_admin: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    _edit(albanian_org_admin, item, 1, title="Their change")
    with pytest.raises(Problem) as refused:
        _edit(albanian_officer, item, 1, title="My change", tlp="CLEAR")
    assert refused.value.status == 409
    assert refused.value.errors[0]["field"] == "base_version"
    item.refresh_from_db()
    assert (item.version, item.tlp) == (2, "GREEN")
    assert ItemVersion.objects.get(item=item, number=2).title == "Their change"
    assert not ItemVersion.objects.filter(item=item, number=3).exists()


def test_the_api_answers_a_conflicting_edit_with_409(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    client = signed_in(albanian_officer)
    url = f"/api/v1/knowledge/items/{item.pk}"
    first = client.put(
        url,
        {"base_version": 1, "title": "First", "fields": PRACTICE_FIELDS},
        content_type="application/json",
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    second = client.put(
        url,
        {"base_version": 1, "title": "Second", "fields": PRACTICE_FIELDS},
        content_type="application/json",
    )
    assert second.status_code == 409
    assert second["Content-Type"] == "application/problem+json"
    assert "version 1" in second.json()["detail"] and "now at version 2" in second.json()["detail"]
    assert client.get(url).json()["title"] == "First"


def test_the_edit_page_shows_the_conflict_on_the_form(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    _edit(albanian_officer, item, 1, title="Someone else's change")
    form = {
        "base_version": "1",
        "title": "My stale change",
        **PRACTICE_FIELDS,
        "tlp": "GREEN",
        "classification": "UNCLASSIFIED",
        "scope": "public",
    }
    response = signed_in(albanian_officer).post(f"/knowledge/{item.pk}/edit/", form)
    assert response.status_code == 409
    html = response.content.decode()
    assert "The item changed since version 1: it is now at version 2. Nothing was saved" in html
    item.refresh_from_db()
    assert item.version == 2


def test_a_marking_above_the_authors_clearance_is_refused_naming_the_field(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer, tlp="AMBER", scope="organisation")
    with pytest.raises(Problem) as refused:
        _edit(
            albanian_officer,
            item,
            1,
            tlp="AMBER",
            scope="organisation",
            classification="CONFIDENTIAL",
        )
    assert refused.value.errors == [
        {"field": "classification", "reason": "CONFIDENTIAL is above your clearance (RESTRICTED)"}
    ]
    response = signed_in(albanian_officer).post(
        "/api/v1/knowledge/items",
        {
            "kind": "lesson",
            "language": "en",
            "title": "Secret",
            "fields": {"body": "x"},
            "classification": "CONFIDENTIAL",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "classification"
    item.refresh_from_db()
    assert (item.version, item.classification) == (1, "UNCLASSIFIED")
    assert Item.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tlp": "RED", "scope": "national"}, "scope"),
        ({"tlp": "AMBER", "scope": "public"}, "scope"),
        ({"tlp": "CLEAR", "scope": "organisation", "classification": "RESTRICTED"}, "tlp"),
        ({"tlp": "PURPLE"}, "tlp"),
        ({"scope": "network", "networks": []}, "networks"),
        ({"year": 1066}, "year"),
        ({"country": "QQ"}, "country"),
        ({"approach": "magic"}, "approach"),
        ({"target_groups": ["aliens"]}, "target_groups"),
        ({"related": [999999]}, "related"),
        ({"presented_at_url": "javascript:alert(1)"}, "presented_at_url"),
        ({"title": "  "}, "title"),
        ({"fields": {"description": "ok", "colour": "blue"}}, "fields.colour"),
        ({"fields": {"aims": "no description"}}, "fields.description"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    albanian_officer: User, write_item: Callable[..., Item], changes: dict[str, object], field: str
) -> None:
    item = write_item(albanian_officer)
    with pytest.raises(Problem) as refused:
        _edit(albanian_officer, item, 1, **changes)
    assert field in [e["field"] for e in refused.value.errors]
    item.refresh_from_db()
    assert item.version == 1 and item.tlp == "GREEN"


def test_the_api_rejects_malformed_json_by_field(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    response = signed_in(albanian_officer).post(
        "/api/v1/knowledge/items",
        {"kind": "lesson", "language": "en", "title": "x", "year": "last year"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "year"
    assert not Item.objects.exists()


def test_history_and_diff_pages_show_what_changed(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    _edit(
        albanian_officer,
        item,
        1,
        fields={**PRACTICE_FIELDS, "aims": "Confident and supported first-line practitioners."},
        tlp="CLEAR",
    )
    client = signed_in(albanian_officer)
    history = client.get(f"/knowledge/{item.pk}/history/").content.decode()
    assert "<caption>" in history and 'name="old" value="1"' in history
    page = client.get(f"/knowledge/{item.pk}/diff/?old=1&new=2")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<th scope="col">Version 1</th>' in html
    assert '<ins><span class="visually-hidden">added: </span> and supported</ins>' in html
    assert '<del><span class="visually-hidden">removed: </span>GREEN</del>' in html
    api = client.get(f"/api/v1/knowledge/items/{item.pk}/diff?old=1&new=2").json()
    assert [c["field"] for c in api["changes"]] == ["aims", "tlp"]
    assert [
        v["number"] for v in client.get(f"/api/v1/knowledge/items/{item.pk}/versions").json()
    ] == [2, 1]


def test_the_diff_escapes_the_text(albanian_officer: User, write_item: Callable[..., Item]) -> None:
    item = write_item(albanian_officer)
    _edit(albanian_officer, item, 1, title="<script>alert(1)</script>")
    old, new = ItemVersion.objects.filter(item=item).order_by("number")
    html = str(diff.render_table(old, new))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_version_of_another_item_or_a_missing_one_is_not_found(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer)
    client = signed_in(albanian_officer)
    assert client.get(f"/knowledge/{item.pk}/diff/?old=1&new=7").status_code == 404
    assert client.get(f"/api/v1/knowledge/items/{item.pk}/versions/7").status_code == 404
