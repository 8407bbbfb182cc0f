"""Every write of the exchange: ``send_message`` and ``consult_messages``.

``send_message`` validates everything first and raises one ``Problem`` naming each bad field;
only then does it write — thread, envelope, message, entities, receipts and the audit entries —
in ONE transaction, so a failure at any step leaves nothing behind (no half-sent message, no
orphan audit entry, no receipt pointing at nothing).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import HttpRequest

from firstline import policy
from firstline.accounts.models import User
from firstline.audit.log import Entry, record_many
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Country, Organisation
from firstline.exchange import deadlines, envelope, keys, rows
from firstline.exchange.entities import (
    CleanEntity,
    EntityErrors,
    carries_personal_data,
    clean_entities,
)
from firstline.exchange.markings import (
    INFORMATION_GRADES,
    SOURCE_GRADES,
    TLP,
    Handling,
    MessageType,
    Urgency,
)
from firstline.exchange.models import (
    Attachment,
    Entity,
    KeyUse,
    Message,
    OrganisationKey,
    Receipt,
    ReferenceCounter,
    Thread,
)
from firstline.exchange.search import index_message

MAX_BODY = 100_000
# the choices once (``Choices.values`` builds a new list on every access)
_MESSAGE_TYPES = tuple(MessageType.values)
_TLPS = tuple(TLP.values)
_HANDLINGS = tuple(Handling.values)
_URGENCIES = tuple(Urgency.values)


@dataclass
class Draft:
    """A validated message, ready to be written."""

    sender: Organisation
    originator: Organisation
    recipients: list[Organisation]
    message_type: str
    urgency: str
    subject: str
    body: str
    tlp: str
    handling: str
    handling_text: str
    classification: str
    evaluation_scheme: str
    source_grade: str
    information_grade: str
    has_personal_data: bool
    late_reason: str
    entities: list[CleanEntity]
    thread: Thread | None
    parent: Message | None
    named_users: list[User] = field(default_factory=list)
    links: list[Thread] = field(default_factory=list)
    forwarded_from: Message | None = None
    attachments: list[Attachment] = field(default_factory=list)
    uuid: uuid.UUID = field(default_factory=uuid.uuid4)


def _actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def actor_label(actor: Any) -> str:
    return str(getattr(actor, "actor_label", "") or "")


def _choice(value: str, choices: Sequence[str], name: str, errors: EntityErrors) -> str:
    if value not in choices:
        errors.add(name, f"must be one of {', '.join(choices)}")
    return value


def validate_draft(
    actor: Any,
    *,
    recipients: Sequence[str],
    body: str,
    message_type: str,
    tlp: str,
    handling: str,
    classification: str,
    subject: str = "",
    handling_text: str = "",
    evaluation: dict[str, str] | None = None,
    entities: Any = None,
    thread: str = "",
    in_reply_to: str | uuid.UUID | None = None,
    urgency: str = "",
    late_reason: str = "",
    named_users: Sequence[str] = (),
    originator: str = "",
    personal_data: bool = False,
    links: Sequence[str] = (),
    forwarded_from: Message | None = None,
    attachments: Sequence[str | uuid.UUID] = (),
    now: dt.datetime,
) -> Draft:
    """Check every rule of a message before anything is written; one Problem lists them all."""
    if not policy.can(actor, policy.ADD, Message) or not actor.organisation_id:
        raise PermissionDenied("only members of an organisation send messages")
    # the sender and the named recipients in one query (recipients of a reply come later)
    recipient_keys = list(dict.fromkeys(recipients or []))
    orgs = _sender_and_recipients(actor.organisation_id, recipient_keys)
    sender = next(o for o in orgs if o.pk == actor.organisation_id)
    errors = EntityErrors()

    _choice(message_type, _MESSAGE_TYPES, "message_type", errors)
    _choice(tlp, _TLPS, "tlp", errors)
    _choice(handling, _HANDLINGS, "handling", errors)
    handling_text = (handling_text or "").strip()
    if handling == Handling.H3 and not handling_text:
        errors.add("handling_text", "H3 needs the restrictions stated in text")
    if classification not in settings.CLASSIFICATION_LEVELS:
        errors.add("classification", f"must be one of {', '.join(settings.CLASSIFICATION_LEVELS)}")
    elif not policy.cleared_for(actor, classification):
        errors.add("classification", "is above your clearance")
    body = (body or "").strip()
    if not body:
        errors.add("body", "is required")
    elif len(body) > MAX_BODY:
        errors.add("body", f"is longer than {MAX_BODY} characters")

    parent: Message | None = None
    thread_obj: Thread | None = None
    if in_reply_to:
        parent = (
            Message.objects.visible_to(actor)
            .select_related("thread", "sender")
            .filter(uuid=in_reply_to)
            .first()
            if _is_uuid(in_reply_to)
            else None
        )
        if parent is None:
            errors.add("in_reply_to", "no such message visible to you")
        else:
            thread_obj = parent.thread
    elif message_type == MessageType.REPLY:
        errors.add("in_reply_to", "a reply needs the message it answers")
    if thread and thread_obj is None:
        thread_obj = (
            policy.visible_to(actor, Thread).filter(reference=thread).first()
            if not parent
            else thread_obj
        )
        if thread_obj is None:
            errors.add("thread", "no such thread visible to you")
    subject = (subject or "").strip()
    if thread_obj is None and not subject:
        errors.add("subject", "a new thread needs a subject")
    if len(subject) > 255:
        errors.add("subject", "is longer than 255 characters")

    if not recipient_keys and parent is not None:
        recipient_keys = [parent.sender.key]
        orgs.append(parent.sender)
    found = {o.key: o for o in orgs if o.is_active}
    recipient_orgs = []
    if not recipient_keys:
        errors.add("recipients", "at least one organisation is required")
    for i, key in enumerate(recipient_keys):
        if key not in found:
            errors.add(f"recipients[{i}]", f"unknown organisation {key!r}")
        elif found[key].pk == sender.pk:
            errors.add(f"recipients[{i}]", "an organisation does not send to itself")
        else:
            recipient_orgs.append(found[key])

    origin = _originator(sender, originator, forwarded_from, errors)

    if message_type == MessageType.REQUEST:
        if urgency not in _URGENCIES:
            errors.add("urgency", f"a request must be one of {', '.join(_URGENCIES)}")
    else:
        urgency = ""

    late_reason = (late_reason or "").strip()
    if parent is not None:
        own = Receipt.objects.filter(message=parent, organisation=sender).first()
        late = own is not None and deadlines.is_overdue(
            own.due_at, own.replied_at, now, recalled_at=parent.recalled_at
        )
        if late and not late_reason:
            errors.add("late_reason", "the reply is late: state why (Directive 2023/977)")

    clean = clean_entities(entities, errors, now.date())
    has_personal = bool(personal_data) or carries_personal_data(clean)
    scheme = settings.EVALUATION_SCHEME
    source_grade = information_grade = ""
    if evaluation and any(evaluation.values()):
        source_grade = str(evaluation.get("source", "")).upper()
        information_grade = str(evaluation.get("information", ""))
        _choice(source_grade, list(SOURCE_GRADES[scheme]), "evaluation.source", errors)
        _choice(
            information_grade, list(INFORMATION_GRADES[scheme]), "evaluation.information", errors
        )
    elif has_personal:
        errors.add("evaluation", "required when the message carries personal data")

    users: list[User] = []
    if tlp == TLP.RED:
        wanted = list(dict.fromkeys(named_users or []))
        if not wanted:
            errors.add("named_users", "TLP:RED needs the named users who may read it")
        by_name = {
            u.username: u
            for u in User.objects.filter(
                username__in=wanted, organisation__in=recipient_orgs, is_active=True
            )
        }
        for i, name in enumerate(wanted):
            user = by_name.get(name)
            if user is None:
                errors.add(f"named_users[{i}]", "not a user of a recipient organisation")
            elif classification in settings.CLASSIFICATION_LEVELS and not policy.cleared_for(
                user, classification
            ):
                errors.add(f"named_users[{i}]", "not cleared for this classification")
            else:
                users.append(user)

    link_threads = []
    for i, ref in enumerate(links or []):
        linked = policy.visible_to(actor, Thread).filter(reference=ref).first()
        if linked is None:
            errors.add(f"links[{i}]", "no such thread visible to you")
        else:
            link_threads.append(linked)

    files = []
    if attachments:
        wanted = [str(a) for a in attachments]
        by_id = {
            str(a.uuid): a
            for a in Attachment.objects.filter(
                uuid__in=[w for w in wanted if _is_uuid(w)],
                organisation=sender,
                message__isnull=True,
            )
        }
        for i, ref in enumerate(wanted):
            if ref not in by_id:
                errors.add(f"attachments[{i}]", "no such uploaded file of your organisation")
            else:
                files.append(by_id[ref])

    if errors.errors:
        raise Problem(
            "The message cannot be sent",
            status=422,
            detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors.errors),
            errors=errors.errors,
        )
    return Draft(
        sender=sender,
        originator=origin,
        recipients=recipient_orgs,
        message_type=message_type,
        urgency=urgency,
        subject=subject,
        body=body,
        tlp=tlp,
        handling=handling,
        handling_text=handling_text,
        classification=classification,
        evaluation_scheme=scheme if source_grade else "",
        source_grade=source_grade,
        information_grade=information_grade,
        has_personal_data=has_personal,
        late_reason=late_reason,
        entities=clean,
        thread=thread_obj,
        parent=parent,
        named_users=users,
        links=link_threads,
        forwarded_from=forwarded_from,
        attachments=files,
    )


def _originator(
    sender: Organisation, named: str, forwarded_from: Message | None, errors: EntityErrors
) -> Organisation:
    """Who the information comes from: the sender, or — on a forward only — the forwarded
    message's originator, carried along. The originator decides H2 forwarding requests and
    sees their subjects, so naming another organisation (or dropping the real one on a
    forward) would hand that decision to whoever sends; ``named`` may only confirm it."""
    origin = forwarded_from.originator if forwarded_from is not None else sender
    if named and named != origin.key:
        errors.add(
            "originator",
            f"must be {origin.key!r}, the originator of the forwarded message"
            if forwarded_from is not None
            else f"must be {origin.key!r}, your organisation: only a forwarded message "
            "carries another organisation as its originator",
        )
    return origin


def _sender_and_recipients(sender_id: int, keys: list[str]) -> list[Organisation]:
    """The sender (with its country's code) and the active organisations named by ``keys``.

    Only the sender's country is used (for a new thread's reference), so only it is attached;
    a recipient's ``country`` loads on access, as with the ORM.
    """
    where = "id = %(sender)s"
    params: dict[str, Any] = {"sender": sender_id}
    if keys:
        marks = ", ".join(f"%(k{i})s" for i in range(len(keys)))
        where += f" OR (key IN ({marks}) AND is_active = %(active)s)"
        params.update({f"k{i}": key for i, key in enumerate(keys)}, active=True)
    found = rows.load(
        Organisation,
        where,
        params,
        extra="(SELECT c.code FROM directory_country c WHERE c.id = directory_organisation.country_id)",
    )
    orgs = []
    for org, (code,) in found:
        if org.pk == sender_id and org.country_id is not None:
            org.country = Country.from_db(connection.alias, ["id", "code"], [org.country_id, code])
        orgs.append(org)
    return orgs


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- the steps of a send; each runs inside the one transaction of send_message -----------


def open_thread(draft: Draft, now: dt.datetime) -> Thread:
    """The draft's thread, or a new one with the node's next reference number."""
    if draft.thread is not None:
        thread = draft.thread
    else:
        year = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).year
        number = next_reference_number(year)
        prefix = settings.EXCHANGE_REFERENCE_PREFIX or (
            draft.sender.country.code if draft.sender.country_id else "XX"  # type: ignore[union-attr]
        )
        (thread,) = rows.insert(
            [
                Thread(
                    reference=f"{prefix}-{year}-{number:06d}", subject=draft.subject, created_at=now
                )
            ]
        )
    if draft.links:
        thread.links.add(*draft.links)
    return thread


def next_reference_number(year: int) -> int:
    """The node's next thread number of ``year``: one atomic UPDATE … RETURNING.

    The row lock taken by the UPDATE holds until the send commits, so two senders never draw
    the same number, and a rolled-back send gives its number back.
    """
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last = last + 1 WHERE year = %(year)s RETURNING last",  # noqa: S608
            {"year": year},
        )
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    ReferenceCounter.objects.create(year=year, last=1)
    return 1


def document_of(draft: Draft, thread: Thread, now: dt.datetime) -> dict[str, Any]:
    """The canonical content of a message: what is signed and what recipients decrypt."""
    return {
        "id": str(draft.uuid),
        "thread": {"reference": thread.reference, "subject": thread.subject},
        "in_reply_to": str(draft.parent.uuid) if draft.parent else None,
        "type": draft.message_type,
        "urgency": draft.urgency or None,
        "sender": draft.sender.key,
        "originator": draft.originator.key,
        "recipients": [o.key for o in draft.recipients],
        "sent_at": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "body": draft.body,
        "markings": {
            "tlp": draft.tlp,
            "handling": draft.handling,
            "handling_text": draft.handling_text,
            "classification": draft.classification,
        },
        "evaluation": (
            {
                "scheme": draft.evaluation_scheme,
                "source": draft.source_grade,
                "information": draft.information_grade,
            }
            if draft.source_grade
            else None
        ),
        "named_users": [u.username for u in draft.named_users],
        "late_reason": draft.late_reason or None,
        "forwarded_from": str(draft.forwarded_from.uuid) if draft.forwarded_from else None,
        "entities": [e.document() for e in draft.entities],
        "attachments": [
            {
                "id": str(a.uuid),
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in draft.attachments
        ],
    }


# what sealing reads of a key: no dates, so no date conversions
_KEY_COLUMNS = ("organisation_id", "use", "kid", "public_jwk", "wrapped_private")


def active_keys(
    wanted: Iterable[tuple[Organisation, str]], actor: Any, now: dt.datetime
) -> dict[tuple[int, str], OrganisationKey]:
    """The active key of each (organisation, use) in ``wanted``, by (organisation id, use).

    An organisation that lacks a wanted key gets its keys now (``keys.ensure_keys``).
    """
    wanted = list(wanted)
    pairs = list(dict.fromkeys((org.pk, use) for org, use in wanted))
    orgs = {org.pk: org for org, _ in wanted}
    found = (
        {
            (k.organisation_id, k.use): k
            for k, _ in rows.load(
                OrganisationKey,
                "retired_at IS NULL AND ("
                + " OR ".join(
                    f"(organisation_id = %(o{i})s AND use = %(u{i})s)" for i in range(len(pairs))
                )
                + ")",
                {
                    name: value
                    for i, (org_id, use) in enumerate(pairs)
                    for name, value in ((f"o{i}", org_id), (f"u{i}", use))
                },
                only=_KEY_COLUMNS,
            )
        }
        if pairs
        else {}
    )
    for org_id, use in pairs:
        if (org_id, use) not in found:
            for made_use, key in keys.ensure_keys(orgs[org_id], actor=actor, now=now).items():
                found[(org_id, made_use)] = key
    return found


def seal(
    draft: Draft, thread: Thread, actor: Any, now: dt.datetime
) -> tuple[dict[str, Any], str, str]:
    """Sign with the sender's key, encrypt to every recipient: (envelope, kid, digest)."""
    wanted = [(draft.sender, KeyUse.SIGN), *((o, KeyUse.ENCRYPT) for o in draft.recipients)]
    key_map = active_keys(wanted, actor, now)
    signing = key_map[(draft.sender.pk, KeyUse.SIGN)]
    recipient_keys = [key_map[(o.pk, KeyUse.ENCRYPT)] for o in draft.recipients]
    sealed, sha = envelope.seal(document_of(draft, thread, now), signing, recipient_keys)
    return sealed, signing.kid, sha


def store_message(
    draft: Draft,
    thread: Thread,
    actor: Any,
    sealed: tuple[dict[str, Any], str, str],
    now: dt.datetime,
) -> Message:
    jwe, kid, sha = sealed
    message = Message(
        uuid=draft.uuid,
        thread=thread,
        in_reply_to=draft.parent,
        sender=draft.sender,
        sender_user=_actor_user(actor),
        sender_label=actor_label(actor),
        originator=draft.originator,
        message_type=draft.message_type,
        urgency=draft.urgency,
        body=draft.body,
        tlp=draft.tlp,
        handling=draft.handling,
        handling_text=draft.handling_text,
        classification=draft.classification,
        evaluation_scheme=draft.evaluation_scheme,
        source_grade=draft.source_grade,
        information_grade=draft.information_grade,
        has_personal_data=draft.has_personal_data,
        late_reason=draft.late_reason,
        sent_at=now,
        envelope=jwe,
        signing_kid=kid,
        content_sha256=sha,
        forwarded_from=draft.forwarded_from,
    )
    rows.insert([message])
    if draft.named_users:
        message.named_users.add(*draft.named_users)
    return message


def bind_attachments(draft: Draft, message: Message) -> None:
    """Tie the uploaded files to the message; a file bound meanwhile by another send fails."""
    if not draft.attachments:
        return
    bound = Attachment.objects.filter(
        pk__in=[a.pk for a in draft.attachments], message__isnull=True
    ).update(message=message)
    if bound != len(draft.attachments):
        raise Problem.field("attachments", "a file was sent with another message", status=409)


def store_entities(draft: Draft, message: Message) -> list[Entity]:
    entities = [
        Entity(
            message=message,
            position=i,
            kind=e.kind,
            label=e.label,
            data=e.data,
            category=e.category,
            purpose=e.purpose,
            legal_basis=e.legal_basis,
            review_date=e.review_date,
            retention_end=e.retention_end,
            special_categories=e.special_categories,
            special_justification=e.special_justification,
            facts=e.facts,
            assessment=e.assessment,
        )
        for i, e in enumerate(draft.entities)
    ]
    return rows.insert(entities)


def store_receipts(draft: Draft, message: Message, now: dt.datetime) -> None:
    """Delivered now; for requests the deadline runs from this delivery."""
    due = deadlines.due_at(now, draft.urgency) if draft.urgency else None
    rows.insert(
        [
            Receipt(message_id=message.pk, organisation_id=org.pk, delivered_at=now, due_at=due)
            for org in draft.recipients
        ]
    )
    if draft.parent is not None:
        Receipt.objects.filter(
            message=draft.parent, organisation=draft.sender, replied_at__isnull=True
        ).update(replied_at=now)


def audit_send(
    draft: Draft,
    message: Message,
    stored: list[Entity],
    actor: Any,
    request: HttpRequest | None,
    now: dt.datetime,
) -> None:
    persons = [e for e in stored if e.is_person]
    entries = [
        Entry(
            Operation.DISCLOSE,
            "exchange.message",
            object_ids=[message.uuid],
            subjects=persons,
            recipients=[o.key for o in draft.recipients],
            justification=f"{draft.message_type} in {message.thread.reference}",
        )
    ]
    if stored:
        entries.append(
            Entry(
                Operation.COLLECT,
                "exchange.entity",
                object_ids=[e.pk for e in stored],
                subjects=persons,
                justification=f"entities of message {message.uuid}",
            )
        )
    record_many(entries, actor=actor, request=request, now=now)


def send_message(
    actor: Any, *, request: HttpRequest | None = None, now: dt.datetime | None = None, **fields: Any
) -> Message:
    """Validate, then sign, encrypt, store and log a message in one transaction.

    ``fields`` are those of ``validate_draft`` (recipients, body, message_type, tlp, handling,
    classification, subject, evaluation, entities, in_reply_to, urgency, named_users...).
    """
    at = now or clock.now()
    draft = validate_draft(actor, now=at, **fields)
    with transaction.atomic():
        thread = open_thread(draft, at)
        sealed = seal(draft, thread, actor, at)
        message = store_message(draft, thread, actor, sealed, at)
        bind_attachments(draft, message)
        stored = store_entities(draft, message)
        store_receipts(draft, message, at)
        # the subject is searchable in the thread's first message only (search.indexed_subject)
        index_message(message, thread.subject if draft.thread is None else "", stored, created=True)
        audit_send(draft, message, stored, actor, request, at)
    return message


def consult_messages(
    actor: Any,
    messages: Sequence[Message],
    *,
    request: HttpRequest | None = None,
    justification: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Record that ``actor`` was shown ``messages`` (already restricted by the policy).

    A receipt's "read" is the first read by one of the recipient organisation's users: a user
    sets it, an API key does not (the organisation's system fetching a message says nobody has
    read it). That first read is a CONSULT entry naming the message, personal data or not.
    Every showing of personal data is a CONSULT naming the message and its data subjects, by a
    user or a key (LED Art. 25). No message is named twice for one read: a first read of
    personal data is in the personal-data entry already, so the first-read entry names only
    the others. The receipts and the entries (one append) are in one transaction, so neither
    stands without the other.
    """
    at = now or clock.now()
    with transaction.atomic():
        first = _set_read_receipts(actor, [m.pk for m in messages], at)
        personal = [m for m in messages if m.has_personal_data]
        entries = []
        if personal:
            subjects = Entity.objects.filter(message__in=personal, kind="person").values_list(
                "pk", flat=True
            )
            entries.append(
                Entry(
                    Operation.CONSULT,
                    "exchange.message",
                    object_ids=[m.uuid for m in personal],
                    subjects=[f"entity:{pk}" for pk in subjects],
                    justification=justification or "read in the exchange",
                )
            )
        first_only = [m for m in messages if m.pk in first and not m.has_personal_data]
        if first_only:
            entries.append(
                Entry(
                    Operation.CONSULT,
                    "exchange.message",
                    object_ids=[m.uuid for m in first_only],
                    justification=justification or "first read in the exchange (read receipt)",
                )
            )
        record_many(entries, actor=actor, request=request, now=at)


def _set_read_receipts(actor: Any, message_ids: list[int], at: dt.datetime) -> set[int]:
    """Set the read receipts of the actor's organisation that are still unread, if the actor is
    a user; return the ids of the messages this was the first read of."""
    org_id = getattr(actor, "organisation_id", None)
    if not isinstance(actor, User) or not org_id or not message_ids:
        return set()
    # locked, so that of two colleagues opening a message at once exactly one is its first
    # reader: PostgreSQL re-checks ``read_at IS NULL`` once the other's transaction commits,
    # SQLite's IMMEDIATE transactions let one writer in at a time
    unread = dict(
        Receipt.objects.select_for_update()
        .filter(message_id__in=message_ids, organisation_id=org_id, read_at__isnull=True)
        .values_list("pk", "message_id")
    )
    if unread:
        Receipt.objects.filter(pk__in=list(unread)).update(read_at=at, read_by=actor_label(actor))
    return set(unread.values())
