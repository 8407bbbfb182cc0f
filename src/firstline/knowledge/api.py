"""Knowledge API under /api/v1/knowledge/: search, items, versions, translations, exports.

Every read goes through ``readable`` (the reader's visibility); every write through
``services``. Bad input is a problem+json naming the field; an edit of a version that changed
meanwhile is a 409 and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from firstline import policy
from firstline.knowledge import diff, reading, services
from firstline.knowledge.export import export_pdf
from firstline.knowledge.models import Attachment, Item, ItemVersion, Translation
from firstline.knowledge.policy import readable
from firstline.knowledge.search import Filters, search

router = Router(tags=["knowledge"])


class FacetOut(Schema):
    value: str
    label: str
    count: int


class ItemSummary(Schema):
    id: int
    kind: str
    title: str
    language: str
    tlp: str
    classification: str
    scope: str
    owner: str
    country: str | None
    year: int | None
    approach: str
    updated_at: dt.datetime


class SearchOut(Schema):
    count: int
    estimated: bool
    ranked: bool
    limit: int
    offset: int
    items: list[ItemSummary]
    facets: dict[str, list[FacetOut]]


class AttachmentOut(Schema):
    key: str
    name: str
    content_type: str
    size: int
    sha256: str
    url: str


class ItemOut(Schema):
    id: int
    kind: str
    version: int
    original_language: str
    language: str
    languages: list[str]
    fallback: bool
    stale: bool
    text_version: int
    title: str
    fields: dict[str, str]
    tlp: str
    classification: str
    scope: str
    networks: list[str]
    owner: str
    country: str | None
    year: int | None
    approach: str
    target_groups: list[str]
    related: list[int]
    presented_at: str
    presented_at_url: str
    attachments: list[AttachmentOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class ItemIn(Schema):
    kind: str
    language: str
    title: str
    fields: dict[str, str] = {}
    tlp: str = "AMBER"
    classification: str = ""
    scope: str = "organisation"
    networks: list[str] = []
    country: str = ""
    year: int | None = None
    approach: str = ""
    target_groups: list[str] = []
    related: list[int] = []
    presented_at: str = ""
    presented_at_url: str = ""
    note: str = ""


class ItemEditIn(Schema):
    """A new version: ``base_version`` is the version the edit started from. Marking and
    metadata left out keep their current values."""

    base_version: int
    language: str = ""
    title: str
    fields: dict[str, str] = {}
    tlp: str | None = None
    classification: str | None = None
    scope: str | None = None
    networks: list[str] | None = None
    country: str | None = None
    year: int | None = None
    approach: str | None = None
    target_groups: list[str] | None = None
    related: list[int] | None = None
    presented_at: str | None = None
    presented_at_url: str | None = None
    note: str = ""


class TranslationIn(Schema):
    base_version: int
    title: str
    fields: dict[str, str] = {}
    note: str = ""


class VersionOut(Schema):
    number: int
    language: str
    title: str
    fields: dict[str, str]
    metadata: dict[str, Any]
    based_on: int
    author_organisation: str | None
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author_organisation(obj: ItemVersion) -> str | None:
        return obj.author_organisation.key if obj.author_organisation else None


class DiffRow(Schema):
    old: str
    new: str


class DiffChange(Schema):
    field: str
    label: str
    rows: list[DiffRow]


class DiffOut(Schema):
    old: int
    new: int
    changes: list[DiffChange]
    html: str


class QueueEntry(Schema):
    id: int
    kind: str
    title: str
    original_language: str
    status: str


def _created(value: dict[str, Any]) -> Any:
    """201 with a body; ``Status`` where django-ninja has it (1.6+), else the older tuple."""
    try:
        from ninja import Status  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover
        return 201, value
    return Status(201, value)


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _summaries(
    request: HttpRequest, items: list[Item], actor: Any, lang: str = ""
) -> list[dict[str, Any]]:
    titles = reading.titles_for(items, actor, lang, request)
    return [
        {
            "id": i.pk,
            "kind": i.kind,
            "title": titles[i.pk][0],
            "language": titles[i.pk][1],
            "tlp": i.tlp,
            "classification": i.classification,
            "scope": i.scope,
            "owner": i.owner.key,
            "country": i.country.code if i.country else None,
            "year": i.year,
            "approach": i.approach,
            "updated_at": i.updated_at,
        }
        for i in items
    ]


def _attachment_out(a: Attachment) -> dict[str, Any]:
    return {
        "key": a.key,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "url": f"/api/v1/knowledge/attachments/{a.key}",
    }


def _item_out(request: HttpRequest, read: reading.ItemRead) -> dict[str, Any]:
    item, version = read.item, read.version
    return {
        "id": item.pk,
        "kind": item.kind,
        "version": item.version,
        "original_language": item.original_language,
        "language": read.language,
        "languages": read.languages,
        "fallback": read.fallback,
        "stale": read.stale,
        "text_version": version.number,
        "title": version.title,
        "fields": version.fields,
        "tlp": item.tlp,
        "classification": item.classification,
        "scope": item.scope,
        "networks": sorted(item.networks.values_list("key", flat=True)),
        "owner": item.owner.key,
        "country": item.country.code if item.country else None,
        "year": item.year,
        "approach": item.approach,
        "target_groups": sorted(item.target_groups.values_list("group", flat=True)),
        "related": sorted(
            readable(_actor(request))
            .filter(pk__in=item.related.values("pk"))
            .values_list("pk", flat=True)
        ),
        "presented_at": item.presented_at,
        "presented_at_url": item.presented_at_url,
        "attachments": [_attachment_out(a) for a in item.attachments.all()],
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


@router.get("/items", response=SearchOut)
def search_items(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    approach: str = "",
    target_group: str = "",
    country: str = "",
    language: str = "",
    year: int | None = None,
    lang: str = "",
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Full-text search with filters and facet counts, over the items you may read.

    Results are ranked by relevance (``ranked``) unless the words match so many items that they
    come newest first; for very broad searches ``count`` and the facet counts are estimated
    from an even sample (``estimated``)."""
    actor = _actor(request)
    filters = Filters(kind, approach, target_group, country, language, year)
    result = search(actor, q, filters, limit=limit, offset=offset)
    return {
        "count": result.count,
        "estimated": result.estimated,
        "ranked": result.ranked,
        "limit": limit,
        "offset": offset,
        "items": _summaries(request, result.items, actor, lang),
        "facets": {name: [f.__dict__ for f in facets] for name, facets in result.facets.items()},
    }


@router.post("/items", response={201: ItemOut})
def create_item(request: HttpRequest, payload: ItemIn) -> Any:
    actor = _actor(request)
    item = services.create_item(actor, services.ItemInput(**payload.dict()), request=request)
    read = reading.read_item(actor, item.pk, language=item.original_language, request=request)
    return _created(_item_out(request, read))


@router.get("/items/{item_id}", response=ItemOut)
def get_item(request: HttpRequest, item_id: int, lang: str = "") -> dict[str, Any]:
    """The item in ``lang`` if it exists in it, else the reader's language, else the original."""
    read = reading.read_item(_actor(request), item_id, language=lang, request=request)
    return _item_out(request, read)


@router.put("/items/{item_id}", response=ItemOut)
def edit_item(request: HttpRequest, item_id: int, payload: ItemEditIn) -> dict[str, Any]:
    actor = _actor(request)
    item = policy.get_visible_or_404(actor, Item, policy.CHANGE, pk=item_id)
    # fields left out keep their current values
    current = {
        "tlp": item.tlp,
        "classification": item.classification,
        "scope": item.scope,
        "networks": list(item.networks.values_list("key", flat=True)),
        "country": item.country.code if item.country else "",
        "year": item.year,
        "approach": item.approach,
        "target_groups": list(item.target_groups.values_list("group", flat=True)),
        "related": list(item.related.values_list("pk", flat=True)),
        "presented_at": item.presented_at,
        "presented_at_url": item.presented_at_url,
    }
    given = payload.dict(exclude_unset=True)
    data = {**current, **{k: v for k, v in given.items() if k in current}}
    language = payload.language or item.original_language
    edited = services.edit_item(
        actor,
        item_id,
        payload.base_version,
        services.ItemInput(
            title=payload.title, fields=payload.fields, language=language, note=payload.note, **data
        ),
        request=request,
    )
    read = reading.read_item(actor, edited.pk, language=language, request=request)
    return _item_out(request, read)


@router.put("/items/{item_id}/translations/{language}", response=ItemOut)
def put_translation(
    request: HttpRequest, item_id: int, language: str, payload: TranslationIn
) -> dict[str, Any]:
    actor = _actor(request)
    services.translate_item(
        actor,
        item_id,
        language,
        payload.base_version,
        title=payload.title,
        fields=payload.fields,
        note=payload.note,
        request=request,
    )
    read = reading.read_item(actor, item_id, language=language, request=request)
    return _item_out(request, read)


@router.get("/items/{item_id}/versions", response=list[VersionOut])
def list_versions(request: HttpRequest, item_id: int) -> list[ItemVersion]:
    """Every version, newest first."""
    _, versions = reading.history(_actor(request), item_id, request=request)
    return versions


@router.get("/items/{item_id}/versions/{number}", response=VersionOut)
def get_version(request: HttpRequest, item_id: int, number: int) -> ItemVersion:
    _, versions = reading.history(_actor(request), item_id, request=request)
    for version in versions:
        if version.number == number:
            return version
    raise Http404


@router.get("/items/{item_id}/diff", response=DiffOut)
def diff_versions(request: HttpRequest, item_id: int, old: int, new: int) -> dict[str, Any]:
    """What changed between two versions, per field; ``html`` is an accessible table."""
    _, a, b = reading.version_pair(_actor(request), item_id, old, new, request=request)
    return {
        "old": old,
        "new": new,
        "changes": [
            {"field": c.name, "label": c.label, "rows": [{"old": o, "new": n} for o, n in c.rows]}
            for c in diff.changes(a, b)
        ],
        "html": str(diff.render_table(a, b)),
    }


@router.post("/items/{item_id}/attachments", response={201: AttachmentOut})
def add_attachment(
    request: HttpRequest,
    item_id: int,
    file: UploadedFile = File(...),  # noqa: B008
) -> Any:
    a = services.add_attachment(_actor(request), item_id, file, request=request)
    return _created(_attachment_out(a))


@router.get("/attachments/{key}")
def get_attachment(request: HttpRequest, key: str) -> FileResponse:
    actor = _actor(request)
    attachment = policy.get_visible_or_404(actor, Attachment, key=key)
    with transaction.atomic():
        reading.audit_read(actor, [Item.objects.get(pk=attachment.item_id)], request)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


def _pdf(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/items/{item_id}/export.pdf")
def export_item(request: HttpRequest, item_id: int, lang: str = "") -> HttpResponse:
    """The item as PDF, in ``lang`` or the reader's language."""
    return _pdf(
        export_pdf(_actor(request), [item_id], language=lang, request=request),
        f"knowledge-{item_id}.pdf",
    )


@router.get("/export.pdf")
def export_selection(
    request: HttpRequest,
    ids: list[int] = Query(...),  # noqa: B008
    lang: str = "",
) -> HttpResponse:
    """Several items in one PDF (``?ids=1&ids=2``); 404 if any is not readable."""
    return _pdf(
        export_pdf(_actor(request), ids, language=lang, request=request),
        "knowledge-selection.pdf",
    )


@router.get("/translation-queue/{language}", response=list[QueueEntry])
@paginate(LimitOffsetPagination)
def translation_queue(request: HttpRequest, language: str) -> list[dict[str, Any]]:
    """Items you may translate that are missing in ``language`` or outdated there."""
    if language not in reading.content_languages():
        raise Http404
    actor = _actor(request)
    items = list(reading.translation_queue(actor, language)[:1000])
    existing = set(
        Translation.objects.filter(item__in=[i.pk for i in items], language=language).values_list(
            "item_id", flat=True
        )
    )
    titles = reading.titles_for(items, actor, "", request)
    return [
        {
            "id": i.pk,
            "kind": i.kind,
            "title": titles[i.pk][0],
            "original_language": i.original_language,
            "status": "outdated" if i.pk in existing else "missing",
        }
        for i in items
    ]
