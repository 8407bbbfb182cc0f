"""``record``: the one call that writes an audit entry, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

import rfc8785
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from firstline.audit.models import AuditEntry, LogState
from firstline.core import clock


def _actor_fields(actor: Any) -> tuple[str, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "", ""
    user = getattr(actor, "actor_label", "") or ""
    org = getattr(actor, "organisation_id", None)
    return user, (f"org:{org}" if org else "")


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

    ``subjects`` are internal ids of the data subjects (never names); ``recipients`` name the
    organisations a disclosure went to. If the entry cannot be written the exception propagates
    and the caller's transaction (the access) rolls back with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the transaction of the access")
    at = now or clock.now()
    actor_user, actor_org = _actor_fields(actor)
    # Lock the single state row: writers queue here, so sequence numbers never fork.
    state, _ = LogState.objects.select_for_update().get_or_create(id=1)
    seq = state.size
    ids = [str(i) for i in object_ids]
    subject_ids = [str(s) for s in subjects]
    recipient_ids = [str(r) for r in recipients]
    request_id: str = getattr(request, "request_id", "") if request is not None else ""
    body: dict[str, Any] = {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "actor": {"user": actor_user, "organisation": actor_org, "node": settings.NODE_NAME},
        "operation": operation,
        "object": {"type": object_type, "ids": ids},
        "subjects": subject_ids,
        "recipients": recipient_ids,
        "justification": justification,
        "request_id": request_id,
        "outcome": outcome,
    }
    canonical = rfc8785.dumps(body)
    entry = AuditEntry.objects.create(
        seq=seq,
        at=at,
        actor_user=actor_user,
        actor_organisation=actor_org,
        actor_node=settings.NODE_NAME,
        operation=operation,
        object_type=object_type,
        object_ids=ids,
        subjects=subject_ids,
        recipients=recipient_ids,
        justification=justification,
        request_id=request_id,
        outcome=outcome,
        canonical=canonical.decode(),
        leaf_hash=hashlib.sha256(b"\x00" + canonical).digest(),
    )
    state.size = seq + 1
    state.save(update_fields=["size"])
    return entry
