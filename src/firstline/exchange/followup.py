"""Writes after a message is sent: forwarding (H2 permission), recall and correction.

- Forwarding passes a received message on to other organisations. TLP:RED and
  TLP:AMBER+STRICT forbid it outright; H2 needs the originator's permission, so forwarding an
  H2 message creates a ``ForwardRequest`` and only the originator's approval releases it.
  The message's files go with it (``attachments.forward_copies``: new rows, the same stored
  ciphertext), under the forwarded message's markings; their disclosure is logged.
- Recall and correction (LED Art. 7(3)): the sender marks a message or one entity as incorrect
  or unlawfully transmitted; the item is restricted (or corrected), every recipient is notified
  by a signed notification in the same thread, and all of it is logged.
"""

from __future__ import annotations

import datetime as dt
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
    if message.recalled_at is not None:
        raise Problem.field("message", "was recalled by its sender", status=409)
    if message.tlp in NO_ONWARD:
        raise Problem.field("tlp", f"TLP:{message.tlp} forbids passing the message on", status=409)
    if not recipients:
        raise Problem.field("recipients", "at least one organisation is required", status=422)
    if message.handling == Handling.H2 and message.originator_id != org:
        with transaction.atomic():
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
        locked = ForwardRequest.objects.select_for_update().get(pk=ask.pk)
        if locked.status != ForwardStatus.PENDING:
            raise Problem.field("status", f"already {locked.status}", status=409)
        if approve:
            requester = OnBehalf(
                organisation_id=locked.requester_id,
                clearance=locked.requester_clearance,
                actor_label=locked.requester_label,
            )
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


def recall_message(
    actor: Any,
    message: Message,
    *,
    reason: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Message:
    """Withdraw a message found incorrect or unlawfully sent; its content is restricted."""
    at = now or clock.now()
    _require_sender(actor, message)
    if not reason.strip():
        raise Problem.field("reason", "say why the message is recalled", status=422)
    if message.recalled_at is not None:
        raise Problem.field("message", "is already recalled", status=409)
    with transaction.atomic():
        message.recalled_at = at
        message.recall_reason = reason.strip()
        message.save(update_fields=["recalled_at", "recall_reason"])
        entities = list(message.entities.all())
        message.entities.update(status=EntityStatus.RESTRICTED, status_reason=reason.strip())
        index_message(message, indexed_subject(message), message.entities.all())
        record(
            actor=actor,
            operation=Operation.ALTER,
            object_type="exchange.message",
            object_ids=[message.uuid],
            subjects=[e for e in entities if e.is_person],
            recipients=[
                r.organisation.key for r in message.receipts.select_related("organisation")
            ],
            justification=f"recalled (LED Art. 7(3)): {reason.strip()}",
            request=request,
            now=at,
        )
        _notify(
            actor,
            message,
            f"The message {message.uuid} sent on {message.sent_at.isoformat()} is recalled: "
            f"{reason.strip()}\nRestrict or erase it and anything derived from it "
            "(Law Enforcement Directive, Art. 7(3)).",
            request,
            at,
        )
    return message


def correct_entity(
    actor: Any,
    entity: Entity,
    *,
    reason: str,
    correction: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Entity:
    """Correct one entity (``correction`` = the changed fields) or, without it, restrict it."""
    at = now or clock.now()
    message = entity.message
    _require_sender(actor, message)
    if not reason.strip():
        raise Problem.field("reason", "say what was wrong", status=422)
    if entity.status == EntityStatus.RESTRICTED:
        raise Problem.field("entity", "is already restricted", status=409)
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
    with transaction.atomic():
        before = {
            k: v.isoformat() if isinstance(v, dt.date) else v
            for k, v in entity_input(entity).items()
        }
        entity.history = [*entity.history, {**before, "replaced_at": at.isoformat()}]
        if correction:
            for name in (
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
            ):
                setattr(entity, name, getattr(clean, name))
            entity.status = EntityStatus.CORRECTED
        else:
            entity.status = EntityStatus.RESTRICTED
        entity.status_reason = reason.strip()
        entity.save()
        index_message(message, indexed_subject(message), message.entities.all())
        record(
            actor=actor,
            operation=Operation.ALTER,
            object_type="exchange.entity",
            object_ids=[entity.pk],
            subjects=[entity] if entity.is_person else [],
            recipients=[
                r.organisation.key for r in message.receipts.select_related("organisation")
            ],
            justification=f"{entity.status} (LED Art. 7(3)): {reason.strip()}",
            request=request,
            now=at,
        )
        what = "corrected" if correction else "restricted as incorrect or unlawfully transmitted"
        _notify(
            actor,
            message,
            f"An entity ({entity.get_kind_display()}, no. {entity.position + 1}) of the message "
            f"{message.uuid} is {what}: {reason.strip()}\nUpdate your records accordingly "
            "(Law Enforcement Directive, Art. 7(3)).",
            request,
            at,
        )
    return entity
