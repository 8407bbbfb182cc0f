"""Export of an item or a selection as PDF (WeasyPrint), under the reader's visibility.

The PDF is rendered from a template with no network access at all (every URL fetch is refused),
carries each item's marking at its top and the highest marking of the selection on every page,
and is recorded in the audit log as an EXPORT when any item in it is restricted.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import transaction
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string

from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.knowledge.content import fields_for
from firstline.knowledge.models import Item, Tlp
from firstline.knowledge.policy import EXPORT, readable
from firstline.knowledge.reading import audit_read, current_versions

MAX_ITEMS = 100
_TLP_ORDER: list[str] = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]


def _no_fetcher() -> Any:
    from weasyprint import URLFetcher

    class NoFetch(URLFetcher):
        """The template embeds everything it needs; any fetch would be an SSRF or a leak."""

        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            raise ValueError(f"external resources are not loaded in exports: {url}")

    return NoFetch()


def highest_marking(items: list[Item]) -> tuple[str, str]:
    from firstline.policy import clearance_rank

    tlp = max((i.tlp for i in items), key=_TLP_ORDER.index, default=Tlp.CLEAR)
    level = max((i.classification for i in items), key=clearance_rank, default="")
    return str(Tlp(tlp).label), level


def export_pdf(
    actor: Any,
    item_ids: list[int],
    *,
    language: str = "",
    request: HttpRequest | None = None,
) -> bytes:
    """A PDF of the readable items ``item_ids``; 404 if any of them is not readable."""
    from weasyprint import HTML

    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise Problem.field("ids", "choose at least one item")
    if len(ids) > MAX_ITEMS:
        raise Problem.field("ids", f"at most {MAX_ITEMS} items per export")
    found = readable(actor, EXPORT).select_related("owner", "country").in_bulk(ids)
    if len(found) != len(ids):
        raise Http404
    items = [found[i] for i in ids]
    versions = current_versions(items, actor, language, request)
    tlp, level = highest_marking(items)
    entries = [
        {
            "item": item,
            "version": versions[item.pk],
            "fields": [
                (spec.label, versions[item.pk].fields.get(spec.name, ""))
                for spec in fields_for(item.kind)
                if versions[item.pk].fields.get(spec.name)
            ],
        }
        for item in items
    ]
    html = render_to_string(
        "knowledge/export.html",
        {"entries": entries, "tlp": tlp, "level": level, "generated": clock.now()},
    )
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetcher()).write_pdf()
    with transaction.atomic():
        audit_read(actor, items, request, operation=Operation.EXPORT)
    return pdf
