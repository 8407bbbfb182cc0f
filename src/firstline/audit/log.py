"""``record``: the one call that writes an audit entry, inside the caller's transaction.

Conventions for the ids an entry names (strings; never names of people):
- ``actor_user`` ``"user:<pk>"`` (or an API key's label), ``actor_organisation`` ``"org:<pk>"``;
- ``subjects`` and ``recipients``: pass model instances and they become ``"person:<pk>"``,
  ``"org:<pk>"``, ``"user:<pk>"`` or ``"<model>:<pk>"`` (:func:`ref`); strings pass unchanged.
  The page "my access history" finds a user's own entries by ``"user:<pk>"`` (their account)
  and ``"person:<pk>"`` (their directory Person), so pass the User or the Person.
- ``justification`` is the reader's reason for the access; what the access was part of (the
  message a file came with) is an object id, typed (``"message:<uuid>"``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest

from firstline.audit import merkle, store
from firstline.audit.canonical import canonical_entry, format_time
from firstline.audit.models import AuditEntry, RefKind
from firstline.core import clock

_REF_PREFIX = {"organisation": "org"}


def ref(value: Any) -> str:
    """The id an entry stores for a subject, recipient or object: ``"person:12"``."""
    if isinstance(value, models.Model):
        name = value._meta.model_name or "object"
        return f"{_REF_PREFIX.get(name, name)}:{value.pk}"
    return str(value)


_TYPED_REF = re.compile(r"^[a-z_]+:\S+$")


def subject_ref(value: Any) -> str:
    """A data subject's id, always typed (``"person:12"``, ``"user:3"``, ``"entity:40"``).

    A bare number would be ambiguous (user 3 or person 3?), and a data protection officer
    searching the log by data subject would miss entries; so it is refused here, where every
    caller passes, rather than left to each domain's discipline.
    """
    typed = ref(value)
    if not _TYPED_REF.match(typed):
        raise ValueError(
            f"audit subjects are model instances or typed ids like 'person:12', not {value!r}"
        )
    return typed


def _actor_fields(actor: Any) -> tuple[str, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "", ""
    user = getattr(actor, "actor_label", "") or ""
    org = getattr(actor, "organisation_id", None)
    return user, (f"org:{org}" if org else "")


def _head_due(last: dt.datetime | None, seq: int, at: dt.datetime) -> bool:
    """A tree head is due every N entries, or when T seconds passed since one was asked for."""
    if (seq + 1) % max(1, settings.AUDIT_STH_EVERY_ENTRIES) == 0:
        return True
    return last is None or (at - last).total_seconds() >= settings.AUDIT_STH_EVERY_SECONDS


def _request_head() -> None:
    from firstline.audit.tasks import issue_tree_head

    issue_tree_head.enqueue()


@dataclass(frozen=True)
class Entry:
    """What one entry says beyond who acted, when, and in which request (:func:`record_many`)."""

    operation: str
    object_type: str = ""
    object_ids: Iterable[Any] = ()
    subjects: Iterable[Any] = ()
    recipients: Iterable[Any] = ()
    justification: str = ""
    outcome: str = "success"


def record(
    *,
    actor: Any,
    operation: str,
    object_type: str = "",
    object_ids: Iterable[Any] = (),
    subjects: Iterable[Any] = (),
    recipients: Iterable[Any] = (),
    justification: str = "",
    request: HttpRequest | None = None,
    outcome: str = "success",
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the transaction of the access it records.

    ``subjects`` are the data subjects (model instances or internal ids, never names);
    ``recipients`` the organisations a disclosure went to. If the entry cannot be written the
    exception propagates and the caller's transaction (the access) rolls back with it.

    Concurrency: the single ``LogState`` row is locked (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite's IMMEDIATE transactions already serialise writers) before the sequence number is
    taken, so writers queue and the log can neither fork nor reorder. The lock is held until
    the caller's transaction ends: keep audited transactions short.
    """
    entry = Entry(operation, object_type, object_ids, subjects, recipients, justification, outcome)
    return record_many([entry], actor=actor, request=request, now=now)[0]


def record_many(
    entries: Sequence[Entry],
    *,
    actor: Any,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> list[AuditEntry]:
    """Append several entries of one access (a message disclosed and the people in it
    collected), in order, with consecutive sequence numbers: as :func:`record` for each, but
    the log's state is locked, read and saved once."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the access")
    if not entries:
        return []
    at = now or clock.now()
    actor_user, actor_org = _actor_fields(actor)
    request_id: str = getattr(request, "request_id", "") if request is not None else ""
    at_text = format_time(at)
    alias = transaction.get_connection().alias

    state = store.lock_state()
    frontier = merkle.Frontier.from_bytes(state.size, state.frontier)
    written: list[AuditEntry] = []
    refs: list[tuple[int, str, str]] = []
    nodes: list[tuple[int, bytes]] = []
    head_due = False
    for spec in entries:
        seq = frontier.size
        subject_ids = [subject_ref(s) for s in spec.subjects]
        recipient_ids = [ref(r) for r in spec.recipients]
        fields: dict[str, Any] = {
            "seq": seq,
            "actor_user": actor_user,
            "actor_organisation": actor_org,
            "actor_node": settings.NODE_NAME,
            "operation": str(spec.operation),
            "object_type": spec.object_type,
            "object_ids": [ref(i) for i in spec.object_ids],
            "subjects": subject_ids,
            "recipients": recipient_ids,
            "justification": spec.justification,
            "request_id": request_id,
            "outcome": spec.outcome,
        }
        canonical = canonical_entry(at=at_text, **fields)
        leaf = hashlib.sha256(merkle.LEAF_PREFIX + canonical).digest()
        entry = AuditEntry(at=at, canonical=canonical.decode("utf-8"), leaf_hash=leaf, **fields)
        entry.pk = store.insert_entry({"seq": seq, "canonical": entry.canonical, "leaf_hash": leaf})
        entry._state.adding = False
        entry._state.db = alias
        refs += [(entry.pk, RefKind.SUBJECT, s) for s in dict.fromkeys(subject_ids)]
        refs += [(entry.pk, RefKind.RECIPIENT, r) for r in dict.fromkeys(recipient_ids)]
        nodes += frontier.append(leaf)
        head_due = head_due or _head_due(state.head_requested_at, seq, at)
        written.append(entry)
    store.insert_refs(refs)
    store.insert_nodes(nodes)
    state.size = frontier.size
    state.frontier = frontier.to_bytes()
    if head_due:
        state.head_requested_at = at
        transaction.on_commit(_request_head, robust=True)
    store.save_state(state)
    return written
