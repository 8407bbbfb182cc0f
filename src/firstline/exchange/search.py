"""Full-text search over the messages an actor may see, logged as a consultation.

The index (``SearchDocument``) holds every message; the policy restricts the hits, so a result
never includes what the actor may not see. SQLite uses FTS5, PostgreSQL ``to_tsvector`` with
the ``simple`` configuration (the region's languages have no shared stemmer).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest

from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange import rows
from firstline.exchange.markings import TLP, Handling, MessageType, SubjectCategory
from firstline.exchange.models import Entity, EntityStatus, Message, SearchDocument
from firstline.exchange.policy import shown_subject

MAX_RESULTS = 200
_WORD = re.compile(r"\w+", re.UNICODE)


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    elif value is not None:
        yield str(value)


def document_text(message: Message, subject: str, entities: Iterable[Entity]) -> str:
    """Subject, body and the fields of every entity still usable; a recalled message: subject."""
    if message.recalled_at is not None:
        return subject
    parts = [subject, message.body]
    for e in entities:
        if e.status == EntityStatus.RESTRICTED:
            continue
        parts += [e.label, *_flatten(e.data), e.purpose, e.facts, e.assessment]
    return "\n".join(p for p in parts if p)


def indexed_subject(message: Message) -> str:
    """The thread's subject if ``message`` opened the thread, else "": only the first message
    is found by the subject's words, so a reader who may see a later message of the thread but
    not the first does not learn them by searching (``policy.shown_subject``)."""
    first = Message.objects.filter(thread_id=message.thread_id).order_by("id").values("id")[:1]
    return message.thread.subject if first.get()["id"] == message.pk else ""


def index_message(
    message: Message, subject: str, entities: Iterable[Entity], *, created: bool = False
) -> None:
    """Write (or rewrite) the search text of ``message``; runs in the caller's transaction.

    ``subject``: the thread's subject for the message that opened it, "" for any later one
    (``indexed_subject``).

    ``created``: the message was just stored, so it has no search row yet — one INSERT, without
    the SELECT and savepoints of ``update_or_create``.
    """
    text = document_text(message, subject, entities)
    if created:
        rows.insert([SearchDocument(message=message, text=text)])
    else:
        SearchDocument.objects.update_or_create(message=message, defaults={"text": text})


def _matching(query: str) -> QuerySet[SearchDocument]:
    words = _WORD.findall(query)
    if not words:
        raise Problem.field("q", "give at least one word to search for", status=422)
    if connection.vendor == "sqlite":
        # every word quoted: user input never reaches FTS5 query syntax
        match = " ".join('"' + w.replace('"', "") + '"' for w in words)
        return SearchDocument.objects.filter(
            id__in=RawSQL(
                "SELECT rowid FROM exchange_search_fts WHERE exchange_search_fts MATCH %s",
                [match],
            )
        )
    if connection.vendor == "postgresql":
        return SearchDocument.objects.extra(
            where=["to_tsvector('simple', text) @@ plainto_tsquery('simple', %s)"],
            params=[" ".join(words)],
        )
    docs = SearchDocument.objects.all()
    for w in words:
        docs = docs.filter(text__icontains=w)
    return docs


@dataclass
class Filters:
    thread: str = ""
    organisation: str = ""
    message_type: str = ""
    tlp: str = ""
    handling: str = ""
    classification: str = ""  # one level; the reader's clearance still bounds what is found
    since: dt.date | None = None
    until: dt.date | None = None
    category: str = ""


def _apply(qs: QuerySet[Message], f: Filters) -> QuerySet[Message]:
    if f.thread:
        qs = qs.filter(thread__reference=f.thread)
    if f.organisation:
        # the join to the receipts repeats a message once per receipt: DISTINCT, only here
        qs = (
            qs.filter(sender__key=f.organisation)
            | qs.filter(receipts__organisation__key=f.organisation)
        ).distinct()
    if f.message_type:
        if f.message_type not in MessageType.values:
            raise Problem.field("type", f"must be one of {', '.join(MessageType.values)}")
        qs = qs.filter(message_type=f.message_type)
    if f.tlp:
        if f.tlp not in TLP.values:
            raise Problem.field("tlp", f"must be one of {', '.join(TLP.values)}")
        qs = qs.filter(tlp=f.tlp)
    if f.handling:
        if f.handling not in Handling.values:
            raise Problem.field("handling", f"must be one of {', '.join(Handling.values)}")
        qs = qs.filter(handling=f.handling)
    if f.classification:
        levels = settings.CLASSIFICATION_LEVELS
        if f.classification not in levels:
            raise Problem.field("classification", f"must be one of {', '.join(levels)}")
        # narrows the visible messages only: a level above the clearance finds nothing
        qs = qs.filter(classification=f.classification)
    if f.since:
        qs = qs.filter(sent_at__date__gte=f.since)
    if f.until:
        qs = qs.filter(sent_at__date__lte=f.until)
    if f.category:
        if f.category not in SubjectCategory.values:
            raise Problem.field("category", f"must be one of {', '.join(SubjectCategory.values)}")
        qs = qs.filter(
            pk__in=Entity.objects.filter(category=f.category)
            .exclude(status=EntityStatus.RESTRICTED)
            .values("message_id")
        )
    return qs


def search_messages(
    actor: Any,
    query: str,
    *,
    justification: str,
    filters: Filters | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    limit: int = 50,
) -> list[Message]:
    """The visible messages matching ``query``, newest first; the search itself is logged."""
    if not justification.strip():
        raise Problem.field("justification", "say why you search (it is logged)", status=422)
    at = now or clock.now()
    hits = _matching(query)
    visible: QuerySet[Message] = Message.objects.visible_to(actor).filter(
        pk__in=hits.values("message_id")
    )
    visible = _apply(visible, filters or Filters())
    results: list[Message] = list(
        visible.select_related("thread", "sender")
        .annotate(shown_subject=shown_subject(actor))  # never thread.subject: see the policy
        .defer("envelope")  # hits are listed; the sealed form is fetched when asked for
        .order_by("-sent_at", "-id")[: min(limit, MAX_RESULTS)]
    )
    subjects = Entity.objects.filter(message__in=results, kind="person").values_list(
        "pk", flat=True
    )
    with transaction.atomic():
        record(
            actor=actor,
            operation=Operation.CONSULT,
            object_type="exchange.search",
            object_ids=[m.uuid for m in results],
            subjects=[f"entity:{pk}" for pk in subjects],
            justification=f"search: {justification.strip()}",
            request=request,
            now=at,
        )
    return results
