"""Exchange API: keys, send, inbox/sent/overdue, message, thread, envelope download.

The actor is ``request.auth`` (a signed-in user or an organisation API key); every read goes
through the policy, every write through ``services``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from firstline import policy
from firstline.audit.justification import justification_for_api
from firstline.core import clock
from firstline.directory.models import Organisation
from firstline.exchange import attachments, deadlines, followup, keys, services
from firstline.exchange.models import Entity, ForwardRequest, Message, Thread
from firstline.exchange.queries import (
    annotate_for,
    box,
    carries_special_categories,
    content_hidden,
    envelope_problem,
    recalled_problem,
    shown_entities,
)
from firstline.exchange.search import Filters, search_messages

router = Router(tags=["exchange"])


class KeySetOut(Schema):
    organisation: str
    keys: list[dict[str, Any]]


class EvaluationIn(Schema):
    source: str = ""
    information: str = ""


class MessageIn(Schema):
    recipients: list[str] = Field(..., description="organisation keys")
    message_type: str = Field(
        ..., description="request, reply, spontaneous, early_warning, notification"
    )
    body: str
    tlp: str = Field(..., description="RED, AMBER+STRICT, AMBER, GREEN, CLEAR")
    handling: str = Field(..., description="H0, H1, H2, H3")
    handling_text: str = ""
    classification: str
    subject: str = ""
    thread: str = Field("", description="reference of an existing thread")
    in_reply_to: uuid.UUID | None = None
    urgency: str = Field("", description="urgent_direct, urgent_indirect, other (requests)")
    evaluation: EvaluationIn | None = None
    entities: list[dict[str, Any]] = []
    named_users: list[str] = Field([], description="TLP:RED: usernames of the readers")
    originator: str = Field(
        "",
        description="the sending organisation's key, or empty: only a forward (POST "
        "/messages/{id}/forward) carries another organisation as the originator",
    )
    personal_data: bool = False
    late_reason: str = ""
    links: list[str] = Field([], description="references of threads to link")
    attachments: list[uuid.UUID] = Field(
        [], description="ids of files uploaded first to POST /attachments"
    )


class ReceiptOut(Schema):
    organisation: str
    delivered_at: dt.datetime
    read_at: dt.datetime | None
    replied_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool


SUBJECT = Field(
    ..., description="the thread's; empty when you may not see the message that opened it"
)


class MessageSummary(Schema):
    id: uuid.UUID = Field(..., alias="uuid")
    thread: str
    subject: str = SUBJECT
    message_type: str
    urgency: str
    sender: str
    tlp: str
    handling: str
    classification: str
    has_personal_data: bool
    sent_at: dt.datetime
    due_at: dt.datetime | None
    read_at: dt.datetime | None
    overdue: bool

    @staticmethod
    def resolve_thread(obj: Message) -> str:
        return obj.thread.reference

    @staticmethod
    def resolve_subject(obj: Message) -> str:
        return getattr(obj, "shown_subject", "")  # annotate_for; "" fails closed

    @staticmethod
    def resolve_sender(obj: Message) -> str:
        return obj.sender.key

    @staticmethod
    def resolve_due_at(obj: Message) -> dt.datetime | None:
        return getattr(obj, "my_due_at", None)

    @staticmethod
    def resolve_read_at(obj: Message) -> dt.datetime | None:
        return getattr(obj, "my_read_at", None)

    @staticmethod
    def resolve_overdue(obj: Message) -> bool:
        return deadlines.is_overdue(
            getattr(obj, "my_due_at", None),
            getattr(obj, "my_replied_at", None),
            clock.now(),
            recalled_at=obj.recalled_at,
        )


class AttachmentOut(Schema):
    id: uuid.UUID = Field(..., alias="uuid")
    name: str
    content_type: str
    size: int
    sha256: str


class EntityOut(Schema):
    position: int
    status: str
    status_reason: str
    kind: str
    label: str
    data: dict[str, Any]
    category: str
    purpose: str
    legal_basis: str
    review_date: dt.date | None
    retention_end: dt.date | None
    special_categories: list[str]
    special_justification: str
    facts: str
    assessment: str


class MessageOut(Schema):
    id: uuid.UUID = Field(..., alias="uuid")
    thread: str
    subject: str = SUBJECT
    message_type: str
    urgency: str
    sender: str
    recipients: list[str]
    tlp: str
    handling: str
    classification: str
    has_personal_data: bool
    sent_at: dt.datetime
    due_at: dt.datetime | None
    read_at: dt.datetime | None
    overdue: bool
    body: str
    handling_text: str
    originator: str
    in_reply_to: uuid.UUID | None
    evaluation: dict[str, str] | None
    late_reason: str
    recalled_at: dt.datetime | None
    recall_reason: str
    forwarded_from: uuid.UUID | None
    restricted_entities: int
    attachments: list[AttachmentOut]
    signing_kid: str
    content_sha256: str
    entities: list[EntityOut]
    receipts: list[ReceiptOut]


class ThreadOut(Schema):
    reference: str
    subject: str = SUBJECT
    links: list[str]
    messages: list[MessageOut]


def _detail(message: Message, actor: Any, now: dt.datetime) -> dict[str, Any]:
    """Extra members of a message read in full; receipts per the reader's side."""
    own_org = getattr(actor, "organisation_id", None)
    entities = list(message.entities.all())
    shown = shown_entities(message, actor)
    receipts = [
        r
        for r in message.receipts.all()
        # the sender sees every recipient's receipt; a recipient only its own
        if message.sender_id == own_org or r.organisation_id == own_org
    ]
    return {
        "uuid": message.uuid,
        "thread": message.thread.reference,
        "subject": getattr(message, "shown_subject", ""),  # annotate_for; "" fails closed
        "message_type": message.message_type,
        "urgency": message.urgency,
        "sender": message.sender.key,
        "tlp": message.tlp,
        "handling": message.handling,
        "classification": message.classification,
        "has_personal_data": message.has_personal_data,
        "sent_at": message.sent_at,
        "due_at": getattr(message, "my_due_at", None),
        "read_at": getattr(message, "my_read_at", None),
        "overdue": deadlines.is_overdue(
            getattr(message, "my_due_at", None),
            getattr(message, "my_replied_at", None),
            now,
            recalled_at=message.recalled_at,
        ),
        "recipients": [r.organisation.key for r in message.receipts.all()],
        "body": "" if content_hidden(message, actor) else message.body,
        "handling_text": message.handling_text,
        "originator": message.originator.key,
        "in_reply_to": message.in_reply_to.uuid if message.in_reply_to else None,
        "evaluation": (
            {
                "scheme": message.evaluation_scheme,
                "source": message.source_grade,
                "information": message.information_grade,
            }
            if message.source_grade
            else None
        ),
        "late_reason": message.late_reason,
        "recalled_at": message.recalled_at,
        "recall_reason": message.recall_reason,
        "forwarded_from": message.forwarded_from.uuid if message.forwarded_from else None,
        "restricted_entities": len(entities) - len(shown),
        "signing_kid": message.signing_kid,
        "content_sha256": message.content_sha256,
        "entities": shown,
        "attachments": [] if content_hidden(message, actor) else list(message.attachments.all()),
        "receipts": [
            {
                "organisation": r.organisation.key,
                "delivered_at": r.delivered_at,
                "read_at": r.read_at,
                "replied_at": r.replied_at,
                "due_at": r.due_at,
                "overdue": deadlines.is_overdue(
                    r.due_at, r.replied_at, now, recalled_at=message.recalled_at
                ),
            }
            for r in receipts
        ],
    }


def _justification(
    request: HttpRequest, actor: Any, messages: list[Message], *, sealed: bool = False
) -> str:
    """What the consultation of ``messages`` records as its justification.

    Nothing for ordinary messages. Messages carrying special categories of personal data
    (LED Art. 10) are read only with a reason: the ``X-Justification-Reason`` and
    ``X-Justification`` headers, or the justification this session gave on the thread's page
    (whose links to files and envelopes the browser opens without headers); without either a
    428 problem lists the reasons. ``sealed``: the envelope, which holds the content even
    where a recall hides it from the pages.
    """
    sensitive = [m for m in messages if carries_special_categories(m, None if sealed else actor)]
    return justification_for_api(request, sensitive[0].thread) if sensitive else ""


def _full(actor: Any, qs: QuerySet[Message]) -> QuerySet[Message]:
    return (
        annotate_for(actor, qs)
        .select_related("thread", "sender", "originator", "in_reply_to", "forwarded_from")
        .prefetch_related("entities", "receipts__organisation", "attachments")
    )


@router.get("/keys/{org_key}", response=KeySetOut)
def organisation_keys(request: HttpRequest, org_key: str) -> Any:
    """The organisation's public keys as JWK (``kid`` = RFC 7638 thumbprint); retired keys
    carry ``exp`` and still verify older messages."""
    org = policy.get_visible_or_404(request.auth, Organisation, key=org_key)  # type: ignore[attr-defined]
    return {"organisation": org.key, "keys": keys.published_keys(org)}


@router.post("/messages", response={201: MessageOut})
def send(request: HttpRequest, payload: MessageIn) -> Any:
    """Send a message; errors are problem+json naming each field."""
    actor = request.auth  # type: ignore[attr-defined]
    fields = payload.dict()
    fields["evaluation"] = payload.evaluation.dict() if payload.evaluation else None
    message = services.send_message(actor, request=request, **fields)
    now = clock.now()
    message = _full(actor, Message.objects.filter(pk=message.pk)).get()
    return Status(201, _detail(message, actor, now))


@router.get("/messages", response=list[MessageSummary])
@paginate(LimitOffsetPagination)
def list_messages(request: HttpRequest, folder: str = "inbox") -> Any:
    """``folder``: inbox (received), sent, or overdue (requests to answer, past deadline)."""
    actor = request.auth  # type: ignore[attr-defined]
    now = clock.now()
    return annotate_for(actor, box(actor, folder, now)).select_related("thread", "sender")


@router.get("/messages/{message_id}", response=MessageOut)
def get_message(request: HttpRequest, message_id: uuid.UUID) -> Any:
    """One message with its entities; reading personal data is logged as a consultation.

    A message carrying special categories of personal data (LED Art. 10) needs the
    ``X-Justification-Reason`` and ``X-Justification`` headers (428 without them)."""
    actor = request.auth  # type: ignore[attr-defined]
    message = policy.get_visible_or_404(actor, _full(actor, Message.objects.all()), uuid=message_id)
    justification = _justification(request, actor, [message])
    now = clock.now()
    services.consult_messages(
        actor, [message], request=request, now=now, justification=justification
    )
    return _detail(message, actor, now)


@router.get("/messages/{message_id}/envelope")
def get_envelope(request: HttpRequest, message_id: uuid.UUID) -> JsonResponse:
    """The JWE (general JSON serialisation) exactly as sealed: verify it with any JOSE library.

    Withheld from recipients (410) once the message is recalled or an entity in it restricted:
    the envelope holds all of it (``queries.envelope_problem``). It is encrypted to the
    recipients' keys, so an ordinary download is not logged; the envelope of a message carrying
    special categories (LED Art. 10) needs the justification headers like the message, and is
    logged as its consultation."""
    actor = request.auth  # type: ignore[attr-defined]
    message = policy.get_visible_or_404(
        actor, Message.objects.select_related("thread", "forwarded_from"), uuid=message_id
    )
    problem = envelope_problem(message, actor)
    if problem is not None:
        raise problem
    justification = _justification(request, actor, [message], sealed=True)
    if justification:
        services.consult_messages(actor, [message], request=request, justification=justification)
    return JsonResponse(message.envelope, content_type="application/jose+json")


@router.get("/threads/{reference}", response=ThreadOut)
def get_thread(request: HttpRequest, reference: str) -> Any:
    """A thread with the messages of it the actor may see (each consultation logged); one
    carrying special categories (LED Art. 10) needs the justification headers, as a message."""
    actor = request.auth  # type: ignore[attr-defined]
    thread = policy.get_visible_or_404(actor, Thread, reference=reference)
    messages = list(
        _full(actor, Message.objects.visible_to(actor).filter(thread=thread)).order_by(
            "sent_at", "id"
        )
    )
    justification = _justification(request, actor, messages)
    now = clock.now()
    services.consult_messages(
        actor, messages, request=request, now=now, justification=justification
    )
    links = policy.visible_to(actor, thread.links.all()).values_list("reference", flat=True)
    return {
        "reference": thread.reference,
        # the same for every message of the thread: the reader sees its opener, or not
        "subject": getattr(messages[0], "shown_subject", "") if messages else "",
        "links": list(links),
        "messages": [_detail(m, actor, now) for m in messages],
    }


class ForwardIn(Schema):
    recipients: list[str] = Field(..., description="organisation keys")
    note: str = ""


class ForwardRequestOut(Schema):
    id: int
    message: uuid.UUID
    requester: str
    recipients: list[str]
    note: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str
    forwarded: uuid.UUID | None

    @staticmethod
    def resolve_message(obj: ForwardRequest) -> uuid.UUID:
        return obj.message.uuid

    @staticmethod
    def resolve_requester(obj: ForwardRequest) -> str:
        return obj.requester.key

    @staticmethod
    def resolve_forwarded(obj: ForwardRequest) -> uuid.UUID | None:
        return obj.forwarded.uuid if obj.forwarded else None


class ForwardOut(Schema):
    status: str = Field(..., description="forwarded, or pending (H2: the originator decides)")
    message: uuid.UUID | None = None
    permission_request: ForwardRequestOut | None = None


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class RecallIn(Schema):
    reason: str


class CorrectionIn(Schema):
    reason: str
    correction: dict[str, Any] | None = Field(
        None, description="the corrected fields; without them the entity is restricted"
    )


@router.post("/messages/{message_id}/forward", response={201: ForwardOut, 202: ForwardOut})
def forward(request: HttpRequest, message_id: uuid.UUID, payload: ForwardIn) -> Any:
    """Pass a received message on. H2 creates a permission request to the originator (202);
    TLP:RED and TLP:AMBER+STRICT are refused (409)."""
    actor = request.auth  # type: ignore[attr-defined]
    message = policy.get_visible_or_404(
        actor, Message.objects.select_related("thread", "originator"), uuid=message_id
    )
    result = followup.forward_message(
        actor, message, recipients=payload.recipients, note=payload.note, request=request
    )
    if isinstance(result, ForwardRequest):
        return Status(202, {"status": "pending", "permission_request": result})
    return Status(201, {"status": "forwarded", "message": result.uuid})


@router.get("/permission-requests", response=list[ForwardRequestOut])
@paginate(LimitOffsetPagination)
def permission_requests(request: HttpRequest) -> Any:
    """H2 forwarding requests: those the actor's organisation asked and those it must decide."""
    actor = request.auth  # type: ignore[attr-defined]
    return policy.visible_to(actor, ForwardRequest).select_related(
        "message", "requester", "forwarded"
    )


@router.post("/permission-requests/{request_id}/decision", response=ForwardRequestOut)
def decide(request: HttpRequest, request_id: int, payload: DecisionIn) -> Any:
    """The originator approves (the message is forwarded now) or refuses."""
    actor = request.auth  # type: ignore[attr-defined]
    ask = policy.get_visible_or_404(
        actor, ForwardRequest.objects.select_related("message__thread"), pk=request_id
    )
    return followup.decide_forward(
        actor, ask, approve=payload.approve, note=payload.note, request=request
    )


@router.post("/messages/{message_id}/recall", response=MessageSummary)
def recall(request: HttpRequest, message_id: uuid.UUID, payload: RecallIn) -> Any:
    """The sender withdraws a message (LED Art. 7(3)), and every copy forwarded from it; every
    recipient is notified, and pending H2 requests to forward it are refused."""
    actor = request.auth  # type: ignore[attr-defined]
    message = policy.get_visible_or_404(
        actor, Message.objects.select_related("thread", "sender"), uuid=message_id
    )
    return followup.recall_message(actor, message, reason=payload.reason, request=request)


@router.post("/messages/{message_id}/entities/{position}/correction", response=EntityOut)
def correct(
    request: HttpRequest, message_id: uuid.UUID, position: int, payload: CorrectionIn
) -> Any:
    """The sender corrects an entity, or restricts it without a correction; recipients are told."""
    actor = request.auth  # type: ignore[attr-defined]
    entity = policy.get_visible_or_404(
        actor,
        Entity.objects.select_related("message__thread"),
        message__uuid=message_id,
        position=position,
    )
    return followup.correct_entity(
        actor, entity, reason=payload.reason, correction=payload.correction, request=request
    )


@router.get("/search", response=list[MessageSummary])
def search(
    request: HttpRequest,
    q: str,
    justification: str = "",
    thread: str = "",
    organisation: str = "",
    type: str = "",
    tlp: str = "",
    handling: str = "",
    classification: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    category: str = "",
    limit: int = 50,
) -> Any:
    """Full-text search over subject, body and entities of the messages the actor may see.

    ``justification`` is required: every search is logged as a consultation. ``tlp``,
    ``handling`` (H0 to H3) and ``classification`` (one level) narrow the messages the actor may
    see; a level above the actor's clearance finds nothing.
    """
    actor = request.auth  # type: ignore[attr-defined]
    filters = Filters(
        thread=thread,
        organisation=organisation,
        message_type=type,
        tlp=tlp,
        handling=handling,
        classification=classification,
        since=since,
        until=until,
        category=category,
    )
    found = search_messages(
        actor, q, justification=justification, filters=filters, request=request, limit=limit
    )
    return list(
        annotate_for(actor, Message.objects.filter(pk__in=[m.pk for m in found]))
        .select_related("thread", "sender")
        .order_by("-sent_at", "-id")
    )


@router.post("/attachments", response={201: AttachmentOut})
def upload(request: HttpRequest, name: str) -> Any:
    """Upload a file as the raw request body (``?name=report.pdf``, its Content-Type header);
    it is streamed to disk encrypted. Send its ``id`` in a message's ``attachments``.

    A forbidden type (415) or a declared size over the node's limit (413) is refused before
    the body is read."""
    actor = request.auth  # type: ignore[attr-defined]
    if not policy.can(actor, policy.ADD, Message):
        raise PermissionDenied("only members of an organisation upload")
    declared = request.META.get("CONTENT_LENGTH")
    attachments.check_declared(name, int(declared) if declared and declared.isdigit() else None)
    stored = attachments.store_upload(
        actor,
        request,  # the request is a stream: read chunk by chunk, never request.body
        name=name,
        content_type=request.content_type or "application/octet-stream",
        declared_size=int(declared) if declared and declared.isdigit() else None,
    )
    return Status(201, stored)


@router.get("/messages/{message_id}/attachments/{attachment_id}")
def download(
    request: HttpRequest, message_id: uuid.UUID, attachment_id: uuid.UUID
) -> StreamingHttpResponse:
    """The decrypted file, streamed; the download is logged as a consultation. A file of a
    message carrying special categories (LED Art. 10) needs the justification headers."""
    actor = request.auth  # type: ignore[attr-defined]
    message = policy.get_visible_or_404(
        actor, Message.objects.select_related("thread", "forwarded_from"), uuid=message_id
    )
    if content_hidden(message, actor):
        raise recalled_problem()  # the files went with the content (LED Art. 7(3))
    attachment = get_object_or_404(message.attachments.all(), uuid=attachment_id)
    justification = _justification(request, actor, [message])
    attachments.log_download(actor, attachment, request, justification=justification)
    response = StreamingHttpResponse(
        attachments.read_plaintext(attachment), content_type=attachment.content_type
    )
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name) or ""
    response["X-Content-SHA256"] = attachment.sha256
    return response
