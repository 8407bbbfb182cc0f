"""Writes after a message is sent: forwarding (H2 permission), recall and correction.

- Forwarding passes a received message on to other organisations. TLP:RED and
  TLP:AMBER+STRICT forbid it outright; H2 needs the originator's permission, so forwarding an
  H2 message creates a ``ForwardRequest`` and only the originator's approval releases it.
  The message's files go with it (``attachments.forward_copies``: new rows, the same stored
  ciphertext), under the forwarded message's markings; their disclosure is logged.
- Recall and correction (LED Art. 7(3)): the sender marks a message or one entity as incorrect
  or unlawfully transmitted; the item is restricted (or corrected), every recipient is notified
  by a signed notification in the same thread, and all of it is logged. The same reaches every
  copy forwarded from the message (and from those copies), whose recipients are told by the
  organisation that forwarded it to them; pending H2 requests to forward a recalled message
  are refused.

Locks: a forward locks the message it passes on, and a recall locks the message before its
pending requests, so a forward or an approval running beside a recall either finishes first
(and its copy is then recalled with the rest) or finds the message recalled and releases
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from firstline.accounts.models import Role, User
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange import attachments
from firstline.exchange.entities import EntityErrors, clean_entities
from firstline.exchange.markings import TLP, EntityKind, Handling, MessageType
from firstline.exchange.models import (
    Entity,
    EntityStatus,
    ForwardRequest,
    ForwardStatus,
    Message,
)
from firstline.exchange.policy import shown_subject
from firstline.exchange.queries import content_hidden
from firstline.exchange.search import index_message, indexed_subject
from firstline.exchange.services import actor_label, send_message

NO_ONWARD = (TLP.RED, TLP.AMBER_STRICT)
PASSED_ON_AS_IS = (MessageType.SPONTANEOUS, MessageType.EARLY_WARNING, MessageType.NOTIFICATION)


@dataclass
class OnBehalf:
    """The requesting organisation, acting again when the originator releases its request."""

    organisation_id: int
    clearance: str
    actor_label: str
    is_authenticated: bool = True
    role: str = "practitioner"

    def has_scope(self, scope: str) -> bool:
        return scope.startswith("exchange.")


def entity_input(entity: Entity) -> dict[str, Any]:
    """A stored entity back in the input form ``send_message`` accepts."""
    data: dict[str, Any] = {"kind": entity.kind, **entity.data}
    if entity.kind == EntityKind.PERSON:
        data.update(
            category=entity.category,
            purpose=entity.purpose,
            legal_basis=entity.legal_basis,
            review_date=entity.review_date,
            retention_end=entity.retention_end,
            special_categories=entity.special_categories,
            special_justification=entity.special_justification,
        )
    data.update(facts=entity.facts, assessment=entity.assessment)
    return {k: v for k, v in data.items() if v is not None}


def _locked_recalled_at(message: Message) -> dt.datetime | None:
    """Lock ``message`` for the rest of the transaction and read its ``recalled_at`` then.

    Read under the lock, not from the instance in hand: a recall committed a moment ago must
    count, and one running now is waited for."""
    return (
        Message.objects.select_for_update()
        .filter(pk=message.pk)
        .values_list("recalled_at", flat=True)
        .get()
    )


def _lock_unrecalled(message: Message) -> None:
    """Lock ``message`` for the rest of the transaction; refuse it (409) if it was recalled."""
    if _locked_recalled_at(message) is not None:
        raise Problem.field("message", "was recalled by its sender", status=409)


def _subject_for(actor: Any, message: Message) -> str:
    """The subject of ``message``'s thread as ``actor`` may read it, else the reference: a
    forwarder who may not see the thread's first message does not pass its subject on."""
    shown = (
        Message.objects.filter(pk=message.pk)
        .annotate(shown_subject=shown_subject(actor))
        .values_list("shown_subject", flat=True)
        .first()
    )
    return shown or message.thread.reference


def _forward_now(
    actor: Any,
    message: Message,
    recipients: list[str],
    note: str,
    request: HttpRequest | None,
    now: dt.datetime,
) -> Message:
    """Send ``message`` on as ``actor``, with its files; the files' disclosure is logged too."""
    entities = [
        entity_input(e) for e in message.entities.all() if e.status != EntityStatus.RESTRICTED
    ]
    body = message.body if not note else f"{note}\n\n---\n{message.body}"
    with transaction.atomic():
        _lock_unrecalled(message)
        # the files go with the message: rows of the forwarder, bound by send_message below
        files = attachments.forward_copies(actor, message, now)
        forwarded = send_message(
            actor,
            recipients=recipients,
            subject=f"Fwd: {_subject_for(actor, message)}"[:255],
            body=body,
            message_type=(
                message.message_type
                if message.message_type in PASSED_ON_AS_IS
                else MessageType.SPONTANEOUS
            ),
            tlp=message.tlp,
            handling=message.handling,
            handling_text=message.handling_text,
            classification=message.classification,
            evaluation=(
                {"source": message.source_grade, "information": message.information_grade}
                if message.source_grade
                else None
            ),
            entities=entities,
            personal_data=message.has_personal_data,
            originator=message.originator.key,
            links=[message.thread.reference],
            forwarded_from=message,
            attachments=[f.uuid for f in files],
            request=request,
            now=now,
        )
        if files:
            record(
                actor=actor,
                operation=Operation.DISCLOSE,
                object_type="exchange.attachment",
                object_ids=[f.uuid for f in files],
                recipients=[r.organisation.key for r in forwarded.receipts.all()],
                justification=f"files of {message.uuid} forwarded with {forwarded.uuid}",
                request=request,
                now=now,
            )
    return forwarded


def forward_message(
    actor: Any,
    message: Message,
    *,
    recipients: list[str],
    note: str = "",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Message | ForwardRequest:
    """Pass ``message`` (already visible to ``actor``) on, or ask the originator first (H2)."""
    at = now or clock.now()
    org = getattr(actor, "organisation_id", None)
    if not org or not message.receipts.filter(organisation_id=org).exists():
        raise PermissionDenied("only a recipient organisation forwards a message")
    if content_hidden(message, actor):  # recalled, here or up the line it was forwarded along
        raise Problem.field("message", "was recalled by its sender", status=409)
    if message.tlp in NO_ONWARD:
        raise Problem.field("tlp", f"TLP:{message.tlp} forbids passing the message on", status=409)
    if not recipients:
        raise Problem.field("recipients", "at least one organisation is required", status=422)
    if message.handling == Handling.H2 and message.originator_id != org:
        with transaction.atomic():
            _lock_unrecalled(message)  # a recall meanwhile would leave this request open
            ask = ForwardRequest.objects.create(
                message=message,
                requester_id=org,
                requester_label=actor_label(actor),
                requester_clearance=actor.clearance,
                recipients=list(dict.fromkeys(recipients)),
                note=note,
                created_at=at,
            )
            record(
                actor=actor,
                operation=Operation.PERMISSION_CHANGE,
                object_type="exchange.forwardrequest",
                object_ids=[ask.pk],
                recipients=ask.recipients,
                justification=f"H2: permission to forward {message.uuid} asked",
                request=request,
                now=at,
            )
        return ask
    return _forward_now(actor, message, recipients, note, request, at)


def decide_forward(
    actor: Any,
    ask: ForwardRequest,
    *,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> ForwardRequest:
    """The originator approves (the message is forwarded now) or refuses an H2 request."""
    at = now or clock.now()
    message = ask.message
    if getattr(actor, "organisation_id", None) != message.originator_id or not _decides(actor):
        raise PermissionDenied(
            "only an analyst, coordinator or administrator of the originator decides on forwarding"
        )
    with transaction.atomic():
        # the message before the request, in the order recall_message takes them: an approval
        # and a recall at the same time queue rather than deadlock
        recalled_at = _locked_recalled_at(message)
        locked = ForwardRequest.objects.select_for_update().get(pk=ask.pk)
        requester = OnBehalf(
            organisation_id=locked.requester_id,
            clearance=locked.requester_clearance,
            actor_label=locked.requester_label,
        )
        if approve and (recalled_at is not None or content_hidden(message, requester)):
            # approving would release what the sender withdrew; refusing stays possible
            raise Problem.field(
                "message", "was recalled by its sender: nothing can be released", status=409
            )
        if locked.status != ForwardStatus.PENDING:
            raise Problem.field("status", f"already {locked.status}", status=409)
        if approve:
            locked.forwarded = _forward_now(
                requester, message, locked.recipients, locked.note, request, at
            )
        locked.status = ForwardStatus.APPROVED if approve else ForwardStatus.REFUSED
        locked.decided_at = at
        locked.decided_by = actor_label(actor)
        locked.decision_note = note
        locked.save()
        record(
            actor=actor,
            operation=Operation.PERMISSION_CHANGE,
            object_type="exchange.forwardrequest",
            object_ids=[locked.pk],
            recipients=locked.recipients if approve else [],
            justification=f"H2: forwarding of {message.uuid} {locked.status}",
            request=request,
            now=at,
        )
    return locked


def _notify(
    actor: Any, message: Message, body: str, request: HttpRequest | None, now: dt.datetime
) -> Message:
    """A signed notification to every recipient of ``message``, in its thread."""
    return send_message(
        actor,
        recipients=[r.organisation.key for r in message.receipts.select_related("organisation")],
        thread=message.thread.reference,
        body=body,
        message_type=MessageType.NOTIFICATION,
        tlp=message.tlp,
        handling=message.handling,
        handling_text=message.handling_text,
        classification=message.classification,
        named_users=list(message.named_users.values_list("username", flat=True)),
        request=request,
        now=now,
    )


# Who decides for an organisation about information it sent: releasing an H2 message onwards,
# recalling or correcting it. Not a practitioner (except for a message they sent themselves),
# and not the data protection officer, whose part is oversight of these decisions.
DECIDING_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR, Role.ORG_ADMIN})


def _decides(actor: Any) -> bool:
    return getattr(actor, "role", None) in DECIDING_ROLES


def may_recall(actor: Any, message: Message) -> bool:
    """May ``actor`` recall ``message`` or correct its entities?"""
    if getattr(actor, "organisation_id", None) != message.sender_id:
        return False
    own = isinstance(actor, User) and actor.pk == message.sender_user_id
    return own or _decides(actor)


def _require_sender(actor: Any, message: Message) -> None:
    if getattr(actor, "organisation_id", None) != message.sender_id:
        raise PermissionDenied("only the sending organisation recalls or corrects")
    if not may_recall(actor, message):
        raise PermissionDenied(
            "only the user who sent it, or an analyst, coordinator or administrator of the "
            "sending organisation, recalls or corrects a message"
        )


def _copies(message: Message) -> Iterator[Message]:
    """Every copy forwarded from ``message``, then those forwarded from the copies, and so on.

    A generator, read one generation at a time: the caller restricts (and so locks) each copy
    before the next generation is read, so a forward of a copy that was running meanwhile
    (holding the copy's lock, ``_lock_unrecalled``) has committed by then and is found too.
    """
    seen = {message.pk}
    generation = [message.pk]
    while generation:
        found = [
            copy
            for copy in Message.objects.filter(forwarded_from_id__in=generation)
            .select_related("thread", "sender")
            .order_by("sent_at", "id")
            if copy.pk not in seen
        ]
        yield from found
        seen.update(copy.pk for copy in found)
        generation = [copy.pk for copy in found]


def _forwarder(copy: Message, actor: Any) -> OnBehalf:
    """The organisation that forwarded ``copy``, notifying its own recipients of a change made
    upstream: they had the data from it, in its thread, and know it (LED Art. 7(3) has the
    transmitting authority tell its recipients). The label is of who made the change."""
    return OnBehalf(
        organisation_id=copy.sender_id,
        clearance=copy.classification,
        actor_label=actor_label(actor),
    )


def _recipient_keys(message: Message) -> list[str]:
    return [r.organisation.key for r in message.receipts.select_related("organisation")]


def _withdraw(
    actor: Any,
    message: Message,
    *,
    reason: str,
    justification: str,
    request: HttpRequest | None,
    now: dt.datetime,
) -> bool:
    """Mark ``message`` recalled, restrict its entities, close its pending H2 requests and log
    it, in the caller's transaction; False if it was recalled already (nothing done)."""
    # conditional, so two recalls at once record one; the row stays locked until commit
    if not Message.objects.filter(pk=message.pk, recalled_at__isnull=True).update(
        recalled_at=now, recall_reason=reason
    ):
        return False
    message.recalled_at, message.recall_reason = now, reason
    entities = list(message.entities.all())
    message.entities.update(status=EntityStatus.RESTRICTED, status_reason=reason)
    index_message(message, indexed_subject(message), message.entities.all())
    record(
        actor=actor,
        operation=Operation.ALTER,
        object_type="exchange.message",
        object_ids=[message.uuid],
        subjects=[e for e in entities if e.is_person],
        recipients=_recipient_keys(message),
        justification=justification,
        request=request,
        now=now,
    )
    # nothing recalled is released: a pending H2 request would let the originator approve it
    pending = list(
        ForwardRequest.objects.select_for_update()
        .filter(message=message, status=ForwardStatus.PENDING)
        .values_list("pk", flat=True)
    )
    if pending:
        ForwardRequest.objects.filter(pk__in=pending).update(
            status=ForwardStatus.REFUSED,
            decided_at=now,
            decided_by=actor_label(actor),
            decision_note=f"the message was recalled: {reason}",
        )
        record(
            actor=actor,
            operation=Operation.PERMISSION_CHANGE,
            object_type="exchange.forwardrequest",
            object_ids=pending,
            justification=f"H2: forwarding of {message.uuid} refused, the message was recalled",
            request=request,
            now=now,
        )
    return True


def recall_message(
    actor: Any,
    message: Message,
    *,
    reason: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Withdraw a message found incorrect or unlawfully sent; its content is restricted.

    Every copy forwarded from it (and from those copies) is recalled with it and its
    recipients told; pending H2 requests to forward any of them are refused. One transaction:
    a recall reaches all of them or none.
    """
    at = now or clock.now()
    _require_sender(actor, message)
    reason = reason.strip()
    if not reason:
        raise Problem.field("reason", "say why the message is recalled", status=422)
    if message.recalled_at is not None:
        raise Problem.field("message", "is already recalled", status=409)
    with transaction.atomic():
        if not _withdraw(
            actor,
            message,
            reason=reason,
            justification=f"recalled (LED Art. 7(3)): {reason}",
            request=request,
            now=at,
        ):
            raise Problem.field("message", "is already recalled", status=409)
        _notify(
            actor,
            message,
            f"The message {message.uuid} sent on {message.sent_at.isoformat()} is recalled: "
            f"{reason}\nRestrict or erase it and anything derived from it "
            "(Law Enforcement Directive, Art. 7(3)).",
            request,
            at,
        )
        for copy in _copies(message):
            # a copy its forwarder recalled already: its recipients were told then
            if _withdraw(
                actor,
                copy,
                reason=reason,
                justification=f"recalled with {message.uuid} (LED Art. 7(3)): {reason}",
                request=request,
                now=at,
            ):
                _notify(
                    _forwarder(copy, actor),
                    copy,
                    f"The message {copy.uuid} forwarded on {copy.sent_at.isoformat()} is "
                    f"recalled: the message it passed on ({message.uuid}) was recalled by its "
                    f"sender: {reason}\nRestrict or erase it and anything derived from it "
                    "(Law Enforcement Directive, Art. 7(3)).",
                    request,
                    at,
                )
    return message


# What correct_entity changes on an entity (and on each forwarded copy of it).
CORRECTED_FIELDS = (
    "label",
    "data",
    "category",
    "purpose",
    "legal_basis",
    "review_date",
    "retention_end",
    "special_categories",
    "special_justification",
    "facts",
    "assessment",
)


def _change_entity(
    actor: Any,
    entity: Entity,
    message: Message,
    *,
    clean: Any,
    reason: str,
    justification: str,
    request: HttpRequest | None,
    now: dt.datetime,
) -> None:
    """Correct ``entity`` to ``clean`` (or restrict it, without), keep the old version in its
    history, re-index its message and log it, in the caller's transaction."""
    before = {
        k: v.isoformat() if isinstance(v, dt.date) else v for k, v in entity_input(entity).items()
    }
    entity.history = [*entity.history, {**before, "replaced_at": now.isoformat()}]
    if clean is not None:
        for name in CORRECTED_FIELDS:
            setattr(entity, name, getattr(clean, name))
        entity.status = EntityStatus.CORRECTED
    else:
        entity.status = EntityStatus.RESTRICTED
    entity.status_reason = reason
    entity.save()
    index_message(message, indexed_subject(message), message.entities.all())
    record(
        actor=actor,
        operation=Operation.ALTER,
        object_type="exchange.entity",
        object_ids=[entity.pk],
        subjects=[entity] if entity.is_person else [],
        recipients=_recipient_keys(message),
        justification=justification,
        request=request,
        now=now,
    )


def correct_entity(
    actor: Any,
    entity: Entity,
    *,
    reason: str,
    correction: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Entity:
    """Correct one entity (``correction`` = the changed fields) or, without it, restrict it.

    Forwarded copies of the message carry the entity too: each copy's entity holding the same
    fields as this one before the change is changed alike, and the copy's recipients told.
    No column links a copy's entity to its source, but a forward copies the fields one for one
    (``entity_input``), so equal fields are the data that went on; a copy whose forwarder has
    changed the entity since holds other data, its own to answer for, and is left alone.
    """
    at = now or clock.now()
    message = entity.message
    _require_sender(actor, message)
    reason = reason.strip()
    if not reason:
        raise Problem.field("reason", "say what was wrong", status=422)
    if entity.status == EntityStatus.RESTRICTED:
        raise Problem.field("entity", "is already restricted", status=409)
    clean = None
    if correction:
        merged = {**entity_input(entity), **correction, "kind": entity.kind}
        errors = EntityErrors()
        cleaned = clean_entities([merged], errors, at.date())
        if errors.errors:
            raise Problem(
                "The correction is not valid",
                status=422,
                errors=[
                    {
                        "field": e["field"].replace("entities[0]", "correction"),
                        "reason": e["reason"],
                    }
                    for e in errors.errors
                ],
            )
        clean = cleaned[0]
    status = EntityStatus.CORRECTED if clean is not None else EntityStatus.RESTRICTED
    what = "corrected" if correction else "restricted as incorrect or unlawfully transmitted"
    with transaction.atomic():
        sent_as = entity_input(entity)
        _change_entity(
            actor,
            entity,
            message,
            clean=clean,
            reason=reason,
            justification=f"{status} (LED Art. 7(3)): {reason}",
            request=request,
            now=at,
        )
        _notify(
            actor,
            message,
            f"An entity ({entity.get_kind_display()}, no. {entity.position + 1}) of the message "
            f"{message.uuid} is {what}: {reason}\nUpdate your records accordingly "
            "(Law Enforcement Directive, Art. 7(3)).",
            request,
            at,
        )
        for copy in _copies(message):
            same = [
                e
                for e in copy.entities.all()
                if e.status != EntityStatus.RESTRICTED and entity_input(e) == sent_as
            ]
            for copied in same:
                _change_entity(
                    actor,
                    copied,
                    copy,
                    clean=clean,
                    reason=reason,
                    justification=(
                        f"{status} with entity {entity.pk} of "
                        f"{message.uuid} (LED Art. 7(3)): {reason}"
                    ),
                    request=request,
                    now=at,
                )
                _notify(
                    _forwarder(copy, actor),
                    copy,
                    f"An entity ({copied.get_kind_display()}, no. {copied.position + 1}) of the "
                    f"message {copy.uuid} is {what} by the sender of the message it passed on "
                    f"({message.uuid}): {reason}\nUpdate your records accordingly "
                    "(Law Enforcement Directive, Art. 7(3)).",
                    request,
                    at,
                )
    return entity
