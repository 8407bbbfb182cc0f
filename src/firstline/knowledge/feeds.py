"""The Atom feed of the public catalogue: TLP:CLEAR public items only, nothing else, ever."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from firstline.knowledge.models import Item
from firstline.knowledge.policy import public_items
from firstline.knowledge.reading import current_versions

FEED_SIZE = 50


class PublicCatalogueFeed(Feed):
    """Newest public items, each in the language asked for (``?lang=``) or its original."""

    feed_type = Atom1Feed
    title = _("First Line: public knowledge")
    subtitle = _("Practices, lessons learned and guidance shared publicly by P/CVE practitioners.")

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        items = list(
            public_items().select_related("owner").order_by("-updated_at", "-pk")[:FEED_SIZE]
        )
        versions = current_versions(items, None, request.GET.get("lang", ""), request)
        for item in items:
            version = versions.get(item.pk)
            item.feed_title = version.title if version else ""  # type: ignore[attr-defined]
            item.feed_summary = (  # type: ignore[attr-defined]
                (version.fields.get("summary") or version.fields.get("description") or "")
                if version
                else ""
            )
            item.feed_language = version.language if version else item.original_language  # type: ignore[attr-defined]
        return {"items": [i for i in items if i.pk in versions]}

    def link(self) -> str:
        return reverse("knowledge:public_list")

    def items(self, obj: dict[str, Any]) -> list[Item]:
        return list(obj["items"])

    def item_title(self, item: Item) -> str:
        return str(item.feed_title)  # type: ignore[attr-defined]

    def item_description(self, item: Item) -> str:
        return str(item.feed_summary)  # type: ignore[attr-defined]

    def item_link(self, item: Item) -> str:
        return reverse("knowledge:public_detail", args=[item.pk])

    def item_pubdate(self, item: Item) -> dt.datetime:
        return item.created_at

    def item_updateddate(self, item: Item) -> dt.datetime:
        return item.updated_at

    def item_author_name(self, item: Item) -> str:
        return item.owner.display_name

    def item_categories(self, item: Item) -> list[str]:
        return [str(item.get_kind_display())]
