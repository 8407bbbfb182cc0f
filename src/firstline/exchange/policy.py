"""Who may see an exchanged message: its sender organisation and its recipient organisations.

On top of that: the reader's clearance must reach the message's classification, and a
TLP:RED message is shown on the recipients' side only to the users named on it (an API key
is never a named user). Threads, entities and receipts are visible through their messages;
a thread's subject only through the message that opened it (``shown_subject``).
Public keys are visible to every signed-in actor; private halves never leave ``keys.py``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from firstline import policy
from firstline.accounts.models import User
from firstline.exchange.markings import TLP
from firstline.exchange.models import (
    Entity,
    ForwardRequest,
    Message,
    OrganisationKey,
    Receipt,
    Thread,
)


def cleared_levels(actor: Any) -> list[str]:
    """The classification levels ``actor`` is cleared for, lowest first."""
    return [level for level in settings.CLASSIFICATION_LEVELS if policy.cleared_for(actor, level)]


def _not_red(actor: Any) -> Any:
    """TLP:RED reaches only the users named on it (an API key is never a named user)."""
    not_red: Any = ~Q(tlp=TLP.RED)
    if isinstance(actor, User):
        named = Exists(
            Message.named_users.through.objects.filter(message_id=OuterRef("pk"), user_id=actor.pk)
        )
        not_red |= Q(named)
    return not_red


def visible_messages(actor: Any, qs: QuerySet[Message]) -> QuerySet[Message]:
    org = getattr(actor, "organisation_id", None)
    if not org:
        return qs.none()
    # correlated EXISTS, not IN (list): checked only for the candidate rows, so a search or a
    # page of a large inbox does not first collect every message the organisation received
    received = Exists(Receipt.objects.filter(message_id=OuterRef("pk"), organisation_id=org))
    return qs.filter(
        Q(sender_id=org) | Q(received) & _not_red(actor), classification__in=cleared_levels(actor)
    )


def visible_received(actor: Any, receipts: QuerySet[Receipt]) -> QuerySet[Message]:
    """The messages of ``receipts`` (the reader organisation's own) that ``actor`` may see:
    exactly ``visible_to(actor, Message)`` restricted to them, written without the policy's
    OR around the receipt test. PostgreSQL otherwise hashes every receipt the organisation
    ever had before it reads the first row of an inbox page (10 ms at 33,000); this way it
    walks the messages newest first and probes one receipt each."""
    org = getattr(actor, "organisation_id", None)
    if not org or not policy.can_see_rows(actor, Message):
        return Message.objects.none()
    mine = receipts.filter(organisation_id=org, message_id=OuterRef("pk"))
    return Message.objects.filter(
        Exists(mine),
        Q(sender_id=org) | _not_red(actor),  # received, so the recipient side's RED rule
        classification__in=cleared_levels(actor),
    )


def shown_subject(actor: Any, via: str = "") -> Any:
    """The subject of the row's thread as ``actor`` may read it, for an annotation: "" unless
    ``actor`` may see the message that opened the thread (the first of it).

    The subject was written with that message and under its markings. A later message of the
    thread may be marked lower (or sent to another organisation), so a reader who may see only
    the later one would otherwise read the subject of a TLP:RED or CONFIDENTIAL message.

    The rows are messages, or rows pointing to one through ``via`` (``"message"`` for forward
    requests). For messages the actor may see (every caller's queryset is restricted by the
    policy already) the opener itself is answered without a second policy check.
    """
    if not getattr(actor, "organisation_id", None) or not policy.can_see_rows(actor, Message):
        return Value("")
    if not cleared_levels(actor):
        return Value("")
    prefix = f"{via}__" if via else ""
    subject = F(f"{prefix}thread__subject")
    # the first message of a thread is the one that created it: its id is the thread's lowest
    first = Message.objects.filter(thread_id=OuterRef("thread_id")).order_by("id").values("id")
    opener = Message.objects.filter(
        pk=Subquery(
            Message.objects.filter(thread_id=OuterRef(OuterRef(f"{prefix}thread_id")))
            .order_by("id")
            .values("id")[:1]
        )
    )
    whens = [When(Exists(visible_messages(actor, opener)), then=subject)]
    if not via:
        # the row is the opener: visible, as the caller's rows are (the common case, cheaply)
        whens.insert(0, When(pk=Subquery(first[:1]), then=subject))
    return Case(*whens, default=Value(""), output_field=CharField())


def visibility_key(actor: Any) -> tuple[Any, ...]:
    """Every fact about ``actor`` that ``policy.visible_to(actor, Message)`` and
    ``visible_received`` read: two actors with equal keys get the same SQL, so a query compiled
    for one may run for the other (``queries.folder_page`` keeps the folders' first pages
    compiled under this key). Whatever ``visible_messages``, ``visible_received`` or the policy
    door come to read from the actor must be added here;
    ``tests/exchange/test_folders.py`` checks the key against freshly compiled queries."""
    return (
        type(actor),
        getattr(actor, "pk", None),
        getattr(actor, "organisation_id", None),
        getattr(actor, "role", None),
        getattr(actor, "clearance", None),
        tuple(cleared_levels(actor)),
        policy.can_see_rows(actor, Message),
    )


def _visible(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    model = qs.model
    if model is OrganisationKey:
        return qs if action == policy.VIEW else qs.none()
    if action != policy.VIEW:
        return qs.none()
    if model is Message:
        return visible_messages(actor, qs)
    messages = visible_messages(actor, Message.objects.all())
    if model is Thread:
        return qs.filter(pk__in=messages.values("thread_id"))
    if model in (Entity, Receipt):
        return qs.filter(message__in=messages.values("pk"))
    if model is ForwardRequest:
        # the requesting organisation while it may see the message; the originator always
        org = getattr(actor, "organisation_id", None)
        return qs.filter(
            Q(requester_id=org, message__in=messages.values("pk")) | Q(message__originator_id=org)
        )
    return qs.none()


def _can(actor: Any, action: str, obj: Any) -> bool:
    if action == policy.ADD:
        # any member of an organisation may send on its behalf; the service checks the rest
        return obj in (Message, Thread) and bool(getattr(actor, "organisation_id", None))
    if action != policy.VIEW:
        return False
    if isinstance(obj, type):
        return True
    return _visible(actor, type(obj)._default_manager.filter(pk=obj.pk), action).exists()


for _model in (Message, Thread, Entity, Receipt, OrganisationKey, ForwardRequest):
    policy.register(_model, can=_can, visible=_visible)
