"""Reading items: the language a reader gets, the audit of restricted reads, history, queue.

Language fallback: the language asked for (the page's ``?lang=`` or the request's language),
then the reader's preferred language (``User.language``), then the item's original language.

Reading a restricted item (a modus operandi, or TLP:RED / TLP:AMBER+STRICT) writes one audit
CONSULT entry in the transaction of the read; if the entry cannot be written, the read fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import get_language

from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.knowledge.models import Item, ItemVersion, Translation, language_choices
from firstline.knowledge.policy import TRANSLATE, readable

OBJECT_TYPE = "knowledge.item"


def _normalise(code: str) -> str:
    return (code or "").strip().lower().replace("_", "-")


def content_languages() -> list[str]:
    return [code for code, _ in language_choices()]


def request_language(request: HttpRequest | None) -> str:
    """The page language, when the request chose one (language cookie or Accept-Language);
    otherwise "" so that the reader's own preferred language comes next."""
    if request is None:
        return ""
    chosen = settings.LANGUAGE_COOKIE_NAME in request.COOKIES or request.META.get(
        "HTTP_ACCEPT_LANGUAGE"
    )
    return _normalise(get_language() or "") if chosen else ""


def preferences(actor: Any, asked: str = "", request: HttpRequest | None = None) -> list[str]:
    """The languages to try, best first: asked (``?lang=``), the request's, the reader's own."""
    wanted = [
        _normalise(asked),
        request_language(request),
        _normalise(getattr(actor, "language", "") or ""),
    ]
    out: list[str] = []
    for code in wanted:
        if code and code not in out:
            out.append(code)
    return out


def pick_language(available: Iterable[str], prefs: list[str], original: str) -> str:
    """The first preferred language the item exists in, else its original language."""
    have = set(available)
    for code in prefs:
        if code in have:
            return code
        base = code.split("-")[0]
        if base != code and base in have and base != "sr":
            # "en-gb" reads "en"; Serbian Latin never silently becomes Cyrillic
            return base
    return original


@dataclass
class ItemRead:
    """An item as one reader sees it: in the chosen language, with the other languages listed."""

    item: Item
    version: ItemVersion
    language: str
    languages: list[str]
    fallback: bool  # the language asked for was not available

    @property
    def stale(self) -> bool:
        """The translation reflects an older original than the current one."""
        return self.version.based_on < self.item.original_version


def audit_read(
    actor: Any,
    items: Iterable[Item],
    request: HttpRequest | None,
    operation: str = Operation.CONSULT,
) -> None:
    """Record one entry naming the restricted items among ``items``, if any. In a transaction."""
    restricted = [item.pk for item in items if item.is_restricted]
    if restricted:
        record(
            actor=actor,
            operation=operation,
            object_type=OBJECT_TYPE,
            object_ids=restricted,
            request=request,
        )


def read_item(
    actor: Any,
    item_id: int,
    *,
    language: str = "",
    request: HttpRequest | None = None,
    queryset: QuerySet[Item] | None = None,
) -> ItemRead:
    """The item in the best language for the reader; 404 if it is not readable."""
    with transaction.atomic():
        qs = readable(actor) if queryset is None else queryset
        item = qs.select_related("owner", "country").filter(pk=item_id).first()
        if item is None:
            raise Http404
        translations = {t.language: t for t in Translation.objects.filter(item=item)}
        prefs = preferences(actor, language, request)
        chosen = pick_language(translations, prefs, item.original_language)
        if chosen not in translations:  # a broken item; never show another item's text
            raise Http404
        version = ItemVersion.objects.get(pk=translations[chosen].version_id)
        audit_read(actor, [item], request)
    # "fallback": the reader asked for a language (or the page is in one) the item lacks
    asked = prefs[0] if prefs else chosen
    return ItemRead(
        item=item,
        version=version,
        language=chosen,
        languages=sorted(translations),
        fallback=asked != chosen,
    )


def titles_for(
    items: list[Item], actor: Any, asked: str = "", request: HttpRequest | None = None
) -> dict[int, tuple[str, str]]:
    """{item id: (title, language)} in each item's best language for the reader."""
    prefs = preferences(actor, asked, request)
    by_item: dict[int, dict[str, str]] = {}
    for tr in Translation.objects.filter(item__in=[i.pk for i in items]).only(
        "item_id", "language", "title"
    ):
        by_item.setdefault(tr.item_id, {})[tr.language] = tr.title
    out: dict[int, tuple[str, str]] = {}
    for item in items:
        titles = by_item.get(item.pk, {})
        lang = pick_language(titles, prefs, item.original_language)
        out[item.pk] = (titles.get(lang, ""), lang)
    return out


def history(
    actor: Any, item_id: int, request: HttpRequest | None = None
) -> tuple[Item, list[ItemVersion]]:
    """All versions of a readable item, newest first (a read: restricted items are audited)."""
    with transaction.atomic():
        item = readable(actor).filter(pk=item_id).first()
        if item is None:
            raise Http404
        versions = list(
            ItemVersion.objects.filter(item=item)
            .select_related("author", "author_organisation")
            .order_by("-number")
        )
        audit_read(actor, [item], request)
    return item, versions


def version_pair(
    actor: Any, item_id: int, old: int, new: int, request: HttpRequest | None = None
) -> tuple[Item, ItemVersion, ItemVersion]:
    """Two versions of a readable item for a diff; 404 if either is missing."""
    with transaction.atomic():
        item = readable(actor).filter(pk=item_id).first()
        if item is None:
            raise Http404
        found = {v.number: v for v in ItemVersion.objects.filter(item=item, number__in=[old, new])}
        if old not in found or new not in found:
            raise Http404
        audit_read(actor, [item], request)
    return item, found[old], found[new]


def translation_queue(actor: Any, language: str) -> QuerySet[Item]:
    """Items the actor may translate that lack ``language`` or whose translation is outdated."""
    current = Translation.objects.filter(
        language=language, based_on__gte=F("item__original_version")
    ).values("item_id")
    return (
        readable(actor, TRANSLATE)
        .exclude(original_language=language)
        .exclude(pk__in=current)
        .order_by("-updated_at", "-pk")
    )


def current_versions(
    items: list[Item], actor: Any, asked: str = "", request: HttpRequest | None = None
) -> dict[int, ItemVersion]:
    """{item id: its version in the best language for the reader} for many items at once."""
    prefs = preferences(actor, asked, request)
    by_item: dict[int, dict[str, int]] = {}
    for item_id, lang, version_id in Translation.objects.filter(
        item__in=[i.pk for i in items]
    ).values_list("item_id", "language", "version_id"):
        by_item.setdefault(item_id, {})[lang] = version_id
    chosen = {
        item.pk: by_item[item.pk][pick_language(by_item[item.pk], prefs, item.original_language)]
        for item in items
        if item.pk in by_item
    }
    versions = ItemVersion.objects.in_bulk(list(chosen.values()))
    return {item_id: versions[vid] for item_id, vid in chosen.items() if vid in versions}
