"""Indicator guidance is never published without its contextualisation, and never about a person."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.knowledge.content import INDICATOR_FIELDS
from firstline.knowledge.models import Item

from .conftest import INDICATOR_CONTEXT

CONTEXT_FIELDS = [
    "may_indicate",
    "other_explanations",
    "no_single_indicator",
    "practitioner_should",
    "practitioner_should_not",
]


@pytest.mark.parametrize("missing", CONTEXT_FIELDS)
def test_the_api_refuses_an_indicator_without_each_part_of_its_context(
    signed_in: Callable[[User], Client], albanian_officer: User, missing: str
) -> None:
    fields = {name: text for name, text in INDICATOR_CONTEXT.items() if name != missing}
    response = signed_in(albanian_officer).post(
        "/api/v1/knowledge/items",
        {
            "kind": "indicator",
            "language": "en",
            "title": "Withdrawal",
            "fields": fields,
            "tlp": "GREEN",
            "scope": "public",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [f"fields.{missing}"]
    assert "contextualisation" in errors[0]["reason"]
    assert not Item.objects.exists()


def test_the_form_refuses_an_indicator_without_its_context(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    form = {
        "language": "en",
        "title": "Withdrawal",
        "description": "A pupil withdraws.",
        "may_indicate": "   ",
        "tlp": "GREEN",
        "classification": "UNCLASSIFIED",
        "scope": "public",
    }
    response = signed_in(albanian_officer).post("/knowledge/new/indicator/", form)
    assert response.status_code == 400
    html = response.content.decode()
    for name in CONTEXT_FIELDS:
        assert f'href="#id_{name}"' in html
    assert "never published without its contextualisation" in html
    assert not Item.objects.exists()


def test_an_indicator_with_its_context_is_published_with_it(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    client = signed_in(albanian_officer)
    form = {
        "language": "en",
        "title": "Withdrawal",
        **INDICATOR_CONTEXT,
        "tlp": "GREEN",
        "classification": "UNCLASSIFIED",
        "scope": "public",
    }
    response = client.post("/knowledge/new/indicator/", form)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "What else commonly explains it" in page
    assert "never applied to a person" in page


def test_a_translation_of_an_indicator_must_carry_the_context_too(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer, kind="indicator", fields=dict(INDICATOR_CONTEXT))
    response = signed_in(albanian_officer).put(
        f"/api/v1/knowledge/items/{item.pk}/translations/sq",
        {"base_version": 1, "title": "Tërheqja", "fields": {"description": "Një nxënës tërhiqet."}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {
        f"fields.{n}" for n in CONTEXT_FIELDS
    }


def test_nothing_links_an_indicator_to_a_person() -> None:
    related = {f.related_model for f in Item._meta.get_fields() if f.is_relation}
    names = {m._meta.label for m in related if m is not None}
    assert "directory.Person" not in names
    assert all(spec.required for spec in INDICATOR_FIELDS)
