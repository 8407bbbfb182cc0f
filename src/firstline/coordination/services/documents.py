"""Papers and minutes of events and sessions; minutes keep every version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from firstline import policy
from firstline.coordination import policy as coordination_policy
from firstline.coordination.models import Event, EventDocument, Minutes, MinutesVersion, Session
from firstline.coordination.services.common import check_upload, require, required_text
from firstline.core import clock
from firstline.core.problems import Problem


def _session_of(event: Event, session: Session | None) -> Session | None:
    if session is not None and session.event_id != event.pk:
        raise Problem.field("session", "the session belongs to another event")
    return session


def attach_document(
    actor: Any,
    event: Event,
    *,
    title: str,
    upload: UploadedFile | None,
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> EventDocument:
    """Attach a file to an event or one of its sessions (organisers only)."""
    require(actor, policy.CHANGE, event, "Only the event's organisers may attach documents.")
    if upload is None:
        raise Problem.field("file", "choose a file")
    check_upload(upload, "file")
    _session_of(event, session)
    with transaction.atomic():
        document = EventDocument(
            event=event,
            session=session,
            title=required_text(title, "title", 255),
            filename=(upload.name or "document")[-255:],
            content_type=(upload.content_type or "")[:128],
            size=upload.size or 0,
            uploaded_by=actor if coordination_policy.user_id(actor) else None,
            uploaded_at=now or clock.now(),
        )
        document.file.save(upload.name or "document", upload, save=False)
        document.save()
    return document


def save_minutes(
    actor: Any,
    event: Event,
    *,
    text: str,
    session: Session | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> MinutesVersion:
    """Add a new version of the minutes of an event (or a session); earlier versions stay."""
    require(actor, policy.CHANGE, event, "Only the event's organisers may write minutes.")
    _session_of(event, session)
    body = required_text(text, "text")
    with transaction.atomic():
        minutes, _ = Minutes.objects.get_or_create(event=event, session=session)
        # lock the minutes row so that two editors saving at once get numbers 2 and 3, not 2 twice
        minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
        last = minutes.versions.order_by("-number").first()
        if last is not None and last.text == body:
            raise Problem.field("text", "unchanged from the current version")
        return MinutesVersion.objects.create(
            minutes=minutes,
            number=(last.number + 1) if last else 1,
            text=body,
            note=(note or "").strip()[:255],
            author=actor if coordination_policy.user_id(actor) else None,
            created_at=now or clock.now(),
        )
