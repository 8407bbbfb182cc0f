"""Read helpers over the policy door: folders (inbox, sent, overdue) and per-reader deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from firstline.core.problems import Problem
from firstline.exchange.models import Entity, EntityStatus, Message, Receipt

FOLDERS = ("inbox", "sent", "overdue")


def box(actor: Any, folder: str, now: dt.datetime) -> QuerySet[Message]:
    """The visible messages of ``folder`` for ``actor``'s organisation, newest first."""
    org = getattr(actor, "organisation_id", None) or 0
    visible = Message.objects.visible_to(actor)
    if folder == "sent":
        return visible.filter(sender_id=org)
    received = Receipt.objects.filter(organisation_id=org)
    if folder == "inbox":
        # a correlated EXISTS, not IN (every message ever received): the database walks the
        # messages newest first on their (sent_at, id) index and stops after one page
        return visible.filter(Exists(received.filter(message_id=OuterRef("pk"))))
    if folder == "overdue":
        late = received.filter(due_at__lt=now, replied_at__isnull=True)
        return visible.filter(pk__in=late.values("message_id")).order_by("sent_at", "id")
    raise Problem.field("folder", f"must be one of {', '.join(FOLDERS)}")


def annotate_for(actor: Any, qs: QuerySet[Message]) -> QuerySet[Message]:
    """Add the reader organisation's ``my_due_at``, ``my_read_at`` and ``my_replied_at``."""
    own = Receipt.objects.filter(
        message_id=OuterRef("pk"), organisation_id=getattr(actor, "organisation_id", None) or 0
    )
    return qs.annotate(
        my_due_at=Subquery(own.values("due_at")[:1]),
        my_read_at=Subquery(own.values("read_at")[:1]),
        my_replied_at=Subquery(own.values("replied_at")[:1]),
    )


def content_hidden(message: Message, actor: Any) -> bool:
    """A recalled message's text is restricted for its recipients (LED Art. 7(3))."""
    return message.recalled_at is not None and message.sender_id != getattr(
        actor, "organisation_id", None
    )


def shown_entities(message: Message, actor: Any) -> list[Entity]:
    """The entities a reader may still use: restricted ones (and a recalled message's) hidden."""
    if content_hidden(message, actor):
        return []
    return [e for e in message.entities.all() if e.status != EntityStatus.RESTRICTED]
