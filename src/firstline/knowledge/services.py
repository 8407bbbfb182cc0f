"""Every write to the knowledge base: create, edit, translate, attach.

Each function validates first and raises ``Problem`` naming every bad field, then writes inside
one transaction: the item, its version, its current translation, its search documents and (for
restricted items) the audit entry commit together or not at all.

Edits are optimistic: the caller names the version it started from (``base_version``); if the
item has moved on, the edit is refused with 409 and nothing is written. The row lock taken before
the comparison makes two simultaneous edits of the same base version queue, and the second one
fails the comparison instead of overwriting the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.http import Http404, HttpRequest

from firstline import policy
from firstline.accounts.models import User
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network
from firstline.knowledge import files
from firstline.knowledge.content import fields_for
from firstline.knowledge.models import (
    Approach,
    Attachment,
    Item,
    ItemTargetGroup,
    ItemVersion,
    Kind,
    Scope,
    TargetGroup,
    Tlp,
    Translation,
    language_choices,
)
from firstline.knowledge.policy import (
    TRANSLATE,
    current_memberships,
    is_law_enforcement,
    readable,
)
from firstline.knowledge.search import index_items

MAX_FIELD_CHARS = 50_000
OBJECT_TYPE = "knowledge.item"


@dataclass
class ItemInput:
    """What a page or the API submits for an item (metadata plus the text in one language)."""

    title: str
    fields: dict[str, Any] = field(default_factory=dict)
    kind: str = ""
    language: str = ""
    tlp: str = Tlp.AMBER
    classification: str = ""
    scope: str = Scope.ORGANISATION
    networks: list[str] = field(default_factory=list)  # network keys
    country: str = ""  # ISO code
    year: int | None = None
    approach: str = ""
    target_groups: list[str] = field(default_factory=list)
    related: list[int] = field(default_factory=list)
    presented_at: str = ""
    presented_at_url: str = ""
    note: str = ""


@dataclass
class _Clean:
    """Validated input, resolved to objects."""

    networks: list[Network]
    country: Country | None
    related: list[int]


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, name: str, reason: str) -> None:
        self.items.append({"field": name, "reason": reason})

    def raise_if_any(self) -> None:
        if self.items:
            detail = "; ".join(f"{e['field']}: {e['reason']}" for e in self.items)
            raise Problem("Invalid input", status=400, detail=detail, errors=self.items)


def _language_codes() -> set[str]:
    return {code for code, _ in language_choices()}


def _check_text(errors: _Errors, kind: str, title: str, fields: dict[str, Any]) -> dict[str, str]:
    """The title and the kind's text fields; indicator guidance must carry its context."""
    if not str(title or "").strip():
        errors.add("title", "required")
    elif len(title) > 300:
        errors.add("title", "at most 300 characters")
    specs = fields_for(kind)
    known = {spec.name for spec in specs}
    for name in fields:
        if name not in known:
            errors.add(
                f"fields.{name}",
                f"not a field of {Kind(kind).label if kind in Kind.values else kind}",
            )
    clean: dict[str, str] = {}
    for spec in specs:
        value = fields.get(spec.name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.add(f"fields.{spec.name}", "must be text")
            continue
        value = value.strip()
        if len(value) > MAX_FIELD_CHARS:
            errors.add(f"fields.{spec.name}", f"at most {MAX_FIELD_CHARS} characters")
        if spec.required and not value:
            if kind == Kind.INDICATOR:
                errors.add(
                    f"fields.{spec.name}",
                    "required: indicator guidance is never published without its "
                    f"contextualisation ({spec.label})",
                )
            else:
                errors.add(f"fields.{spec.name}", "required")
        if value:
            clean[spec.name] = value
    return clean


def _check_marking(actor: Any, errors: _Errors, kind: str, data: ItemInput) -> _Clean:
    """Marking, scope and metadata; resolves keys and codes to objects."""
    levels = list(settings.CLASSIFICATION_LEVELS)
    lowest = levels[0]
    if data.tlp not in Tlp.values:
        errors.add("tlp", f"must be one of {', '.join(Tlp.values)}")
    if data.classification not in levels:
        errors.add("classification", f"must be one of {', '.join(levels)}")
    elif not policy.cleared_for(actor, data.classification):
        errors.add(
            "classification",
            f"{data.classification} is above your clearance ({getattr(actor, 'clearance', '')})",
        )
    if data.scope not in Scope.values:
        errors.add("scope", f"must be one of {', '.join(Scope.values)}")
    if data.tlp == Tlp.RED and data.scope != Scope.ORGANISATION:
        errors.add("scope", "TLP:RED stays within your organisation")
    if data.scope == Scope.PUBLIC:
        if data.tlp not in (Tlp.GREEN, Tlp.CLEAR):
            errors.add("scope", "only TLP:GREEN or TLP:CLEAR items may be public")
        if kind == Kind.MODUS_OPERANDI:
            errors.add("scope", "a modus operandi is never public")
        if data.classification in levels and data.classification != lowest:
            errors.add("classification", f"a public item must be {lowest}")
    if data.tlp == Tlp.CLEAR and data.classification in levels and data.classification != lowest:
        errors.add("tlp", f"TLP:CLEAR cannot carry a classification above {lowest}")

    networks: list[Network] = []
    if data.scope == Scope.NETWORK:
        if not data.networks:
            errors.add("networks", "choose at least one network for the network scope")
        found = {n.key: n for n in Network.objects.filter(key__in=data.networks)}
        member_of = set(
            current_memberships(actor.organisation_id)
            .filter(network__key__in=data.networks)
            .values_list("network__key", flat=True)
        )
        for key in data.networks:
            if key not in found:
                errors.add("networks", f"no network {key!r}")
            elif key not in member_of:
                errors.add("networks", f"your organisation is not a member of {key!r}")
            else:
                networks.append(found[key])

    country = None
    if data.country:
        country = Country.objects.filter(code=str(data.country).upper()).first()
        if country is None:
            errors.add("country", f"no country with code {data.country!r}")
    if data.year is not None:
        latest = clock.now().year + 1
        if not isinstance(data.year, int) or not 1900 <= data.year <= latest:
            errors.add("year", f"a year between 1900 and {latest}")
    if data.approach and data.approach not in Approach.values:
        errors.add("approach", f"must be one of {', '.join(Approach.values)}")
    for group in data.target_groups:
        if group not in TargetGroup.values:
            errors.add("target_groups", f"{group!r} is not a target group")
    related = sorted(set(data.related))
    if related:
        seen = set(readable(actor).filter(pk__in=related).values_list("pk", flat=True))
        for pk in related:
            if pk not in seen:
                errors.add("related", f"no item {pk}")
    if len(data.presented_at) > 300:
        errors.add("presented_at", "at most 300 characters")
    if data.presented_at_url:
        try:
            URLValidator(schemes=["http", "https"])(data.presented_at_url)
        except ValidationError:
            errors.add("presented_at_url", "not a valid http(s) address")
    if len(data.note) > 300:
        errors.add("note", "at most 300 characters")
    return _Clean(networks=networks, country=country, related=related)


def _metadata(item: Item) -> dict[str, Any]:
    """The item's marking and metadata as stored in each version (for history and diff)."""
    return {
        "tlp": item.tlp,
        "classification": item.classification,
        "scope": item.scope,
        "networks": sorted(item.networks.values_list("key", flat=True)),
        "country": item.country.code if item.country else "",
        "year": item.year,
        "approach": item.approach,
        "target_groups": sorted(item.target_groups.values_list("group", flat=True)),
        "related": sorted(item.related.values_list("pk", flat=True)),
        "presented_at": item.presented_at,
        "presented_at_url": item.presented_at_url,
    }


def _apply_metadata(item: Item, data: ItemInput, clean: _Clean) -> None:
    item.tlp = data.tlp
    item.classification = data.classification
    item.scope = data.scope
    item.country = clean.country
    item.year = data.year
    item.approach = data.approach
    item.presented_at = data.presented_at.strip()
    item.presented_at_url = data.presented_at_url.strip()


def _save_relations(item: Item, data: ItemInput, clean: _Clean) -> None:
    item.networks.set(clean.networks)
    item.related.set([pk for pk in clean.related if pk != item.pk])
    wanted = set(data.target_groups)
    item.target_groups.exclude(group__in=wanted).delete()
    have = set(item.target_groups.values_list("group", flat=True))
    ItemTargetGroup.objects.bulk_create(
        [ItemTargetGroup(item=item, group=g) for g in sorted(wanted - have)]
    )


def _write_version(
    actor: Any,
    item: Item,
    *,
    language: str,
    title: str,
    fields: dict[str, str],
    based_on: int,
    note: str,
    now: dt.datetime,
) -> ItemVersion:
    version = ItemVersion.objects.create(
        item=item,
        number=item.version,
        language=language,
        title=title.strip(),
        fields=fields,
        metadata=_metadata(item),
        based_on=based_on,
        author=actor if isinstance(actor, User) else None,
        author_organisation_id=actor.organisation_id,
        note=note.strip(),
        created_at=now,
    )
    Translation.objects.update_or_create(
        item=item,
        language=language,
        defaults={"version": version, "title": version.title, "based_on": based_on},
    )
    return version


def _audit_write(
    actor: Any, item: Item, operation: str, request: HttpRequest | None, now: dt.datetime
) -> None:
    if item.is_restricted:
        record(
            actor=actor,
            operation=operation,
            object_type=OBJECT_TYPE,
            object_ids=[item.pk],
            request=request,
            now=now,
        )


def create_item(
    actor: Any,
    data: ItemInput,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Item:
    """Create an item, owned by the actor's organisation, with version 1 in ``data.language``."""
    policy.require(actor, policy.ADD, Item)
    at = now or clock.now()
    errors = _Errors()
    if data.kind not in Kind.values:
        errors.add("kind", f"must be one of {', '.join(Kind.values)}")
    elif data.kind == Kind.MODUS_OPERANDI and not is_law_enforcement(actor):
        errors.add("kind", "only law-enforcement organisations record modi operandi")
    if data.language not in _language_codes():
        errors.add("language", f"must be one of {', '.join(sorted(_language_codes()))}")
    if not data.classification:
        data.classification = settings.CLASSIFICATION_LEVELS[0]
    fields = _check_text(errors, data.kind, data.title, data.fields)
    clean = _check_marking(actor, errors, data.kind, data)
    errors.raise_if_any()
    with transaction.atomic():
        item = Item(
            kind=data.kind,
            owner_id=actor.organisation_id,
            original_language=data.language,
            version=1,
            original_version=1,
            created_at=at,
            updated_at=at,
        )
        _apply_metadata(item, data, clean)
        item.save()
        _save_relations(item, data, clean)
        _write_version(
            actor,
            item,
            language=data.language,
            title=data.title,
            fields=fields,
            based_on=1,
            note=data.note,
            now=at,
        )
        index_items([item.pk])
        _audit_write(actor, item, Operation.COLLECT, request, at)
    return item


def _conflict(item: Item, base_version: int) -> Problem:
    return Problem(
        "Edit conflict",
        status=409,
        detail=(
            f"The item changed since version {base_version}: it is now at version "
            f"{item.version}. Nothing was saved; reload it, then reapply your changes."
        ),
        errors=[
            {
                "field": "base_version",
                "reason": f"version {base_version} is no longer current (now {item.version})",
            }
        ],
    )


def _locked(actor: Any, item_id: int, action: str) -> Item:
    # select_for_update: on PostgreSQL a concurrent edit waits here for ours to commit, then
    # sees the new version number and fails the comparison; SQLite's IMMEDIATE transactions
    # already serialise writers.
    item = readable(actor, action).select_for_update(of=("self",)).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def edit_item(
    actor: Any,
    item_id: int,
    base_version: int,
    data: ItemInput,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Item:
    """Change an item's text (in ``data.language``) and metadata; the owner organisation only."""
    at = now or clock.now()
    with transaction.atomic():
        item = _locked(actor, item_id, policy.CHANGE)
        if item.version != base_version:
            raise _conflict(item, base_version)
        errors = _Errors()
        if data.kind and data.kind != item.kind:
            errors.add("kind", "the kind of an item does not change")
        language = data.language or item.original_language
        if language not in _language_codes():
            errors.add("language", f"must be one of {', '.join(sorted(_language_codes()))}")
        if not data.classification:
            data.classification = item.classification
        fields = _check_text(errors, item.kind, data.title, data.fields)
        clean = _check_marking(actor, errors, item.kind, data)
        errors.raise_if_any()
        before = _metadata(item)
        current = Translation.objects.filter(item=item, language=language).select_related("version")
        previous = current.first()
        _apply_metadata(item, data, clean)
        item.save()
        _save_relations(item, data, clean)
        unchanged = (
            previous is not None
            and previous.version.title == data.title.strip()
            and previous.version.fields == fields
            and _metadata(item) == before
        )
        if unchanged:
            return item
        item.version += 1
        if language == item.original_language:
            item.original_version = item.version
            based_on = item.version
        else:
            based_on = item.original_version
        item.updated_at = at
        item.save(update_fields=["version", "original_version", "updated_at"])
        _write_version(
            actor,
            item,
            language=language,
            title=data.title,
            fields=fields,
            based_on=based_on,
            note=data.note,
            now=at,
        )
        index_items([item.pk])
        _audit_write(actor, item, Operation.ALTER, request, at)
    return item


def translate_item(
    actor: Any,
    item_id: int,
    language: str,
    base_version: int,
    *,
    title: str,
    fields: dict[str, Any],
    note: str = "",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Item:
    """Write the item's text in another language; any reader working in an organisation may.

    The translation records which original version it reflects, so it leaves the "needs
    translation" queue until the original changes again.
    """
    at = now or clock.now()
    with transaction.atomic():
        item = _locked(actor, item_id, TRANSLATE)
        if item.version != base_version:
            raise _conflict(item, base_version)
        errors = _Errors()
        if language not in _language_codes():
            errors.add("language", f"must be one of {', '.join(sorted(_language_codes()))}")
        elif language == item.original_language:
            errors.add("language", "this is the original language; edit the item instead")
        if len(note) > 300:
            errors.add("note", "at most 300 characters")
        clean_fields = _check_text(errors, item.kind, title, fields)
        errors.raise_if_any()
        item.version += 1
        item.updated_at = at
        item.save(update_fields=["version", "updated_at"])
        _write_version(
            actor,
            item,
            language=language,
            title=title,
            fields=clean_fields,
            based_on=item.original_version,
            note=note,
            now=at,
        )
        index_items([item.pk])
        _audit_write(actor, item, Operation.ALTER, request, at)
    return item


def add_attachment(
    actor: Any,
    item_id: int,
    upload: UploadedFile,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Attachment:
    """Attach a file (size and type checked) to an item of the actor's organisation."""
    at = now or clock.now()
    content_type = files.check_upload(upload)  # raises Problem naming "file"
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = PurePath(str(upload.name or "attachment")).name[:200] or "attachment"
    with transaction.atomic():
        item = _locked(actor, item_id, policy.CHANGE)
        attachment = Attachment(
            item=item,
            key=secrets.token_hex(16),
            name=name,
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=actor if isinstance(actor, User) else None,
            uploaded_at=at,
        )
        # the file is written before the row; if the transaction rolls back the orphan file
        # is harmless (random name, never served) and the row never points at a missing file
        attachment.file.save(attachment.key, upload, save=False)
        attachment.save()
        _audit_write(actor, item, Operation.ALTER, request, at)
    return attachment
