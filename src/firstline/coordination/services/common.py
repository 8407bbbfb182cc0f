"""Checks every coordination service shares: times and zones, markings, translations, topics."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from firstline import policy
from firstline.coordination.models import TLP, Topic
from firstline.core import clock
from firstline.core.problems import Problem

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_TAGS = 20


def zone_or_problem(name: str, field: str = "timezone") -> zoneinfo.ZoneInfo:
    """The IANA zone called ``name``, or a Problem naming ``field``."""
    if not name or name not in zoneinfo.available_timezones():
        raise Problem.field(field, f"{name!r} is not an IANA time zone such as Europe/Tirane")
    return zoneinfo.ZoneInfo(name)


def aware(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``value`` as an aware datetime: naive values are wall-clock times in ``zone``."""
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def local_text(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def check_period(
    start: dt.datetime | dt.date | None,
    end: dt.datetime | dt.date | None,
    *,
    end_field: str = "end",
    allow_equal: bool = False,
    shown: str = "",
) -> None:
    """The end must come after the start (on or after, for dates with ``allow_equal``)."""
    if start is None or end is None:
        return
    if end < start or (end == start and not allow_equal):
        raise Problem.field(
            end_field,
            f"the end ({shown or end}) is before the start ({start})"
            if end < start
            else f"the end ({shown or end}) is the same as the start",
        )


def check_marking(actor: Any, tlp: str, classification: str) -> None:
    """A known TLP label and classification, no higher than the author's own clearance."""
    if tlp not in TLP.values:
        raise Problem.field("tlp", f"{tlp!r} is not a TLP 2.0 label ({', '.join(TLP.values)})")
    levels = settings.CLASSIFICATION_LEVELS
    if classification not in levels:
        raise Problem.field(
            "classification",
            f"{classification!r} is not a classification level of this node ({', '.join(levels)})",
        )
    if not policy.cleared_for(actor, classification):
        raise Problem.field(
            "classification", f"you are not cleared for {classification} and cannot mark with it"
        )


def clean_translations(value: dict[str, Any] | None, field: str) -> dict[str, str]:
    """``{language code: text}`` for the node's languages; empty texts dropped."""
    codes = {code for code, _ in settings.LANGUAGES}
    cleaned: dict[str, str] = {}
    for lang, text in (value or {}).items():
        if lang not in codes:
            raise Problem.field(field, f"{lang!r} is not one of this node's languages")
        if not isinstance(text, str):
            raise Problem.field(field, f"the {lang} text must be a string")
        if text.strip():
            cleaned[lang] = text.strip()
    return cleaned


def clean_topics(topics: Iterable[str], tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """Topics from the fixed list (in a stable order) and free tags (trimmed, deduplicated)."""
    topic_list = list(dict.fromkeys(topics))
    for topic in topic_list:
        if topic not in Topic.values:
            raise Problem.field("topics", f"{topic!r} is not a topic ({', '.join(Topic.values)})")
    tag_list = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    if len(tag_list) > MAX_TAGS:
        raise Problem.field("tags", f"at most {MAX_TAGS} tags")
    for tag in tag_list:
        if len(tag) > 64:
            raise Problem.field("tags", f"{tag[:20]}...: a tag has at most 64 characters")
    return topic_list, tag_list


def required_text(value: str | None, field: str, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise Problem.field(field, "required")
    if max_length and len(text) > max_length:
        raise Problem.field(field, f"at most {max_length} characters")
    return text


def check_upload(upload: UploadedFile | None, field: str) -> None:
    if upload is None:
        return
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise Problem.field(field, f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if not upload.size:
        raise Problem.field(field, "the file is empty")


def check_link(link: str, field: str = "link") -> str:
    link = (link or "").strip()
    if link and not link.lower().startswith(("https://", "http://")):
        raise Problem.field(field, "must be an http:// or https:// address")
    return link


def require(actor: Any, action: str, obj: Model, reason: str = "") -> None:
    """404 when the actor may not even see ``obj``; 403 with ``reason`` when they may not act."""
    if action != policy.VIEW and not policy.can(actor, policy.VIEW, obj):
        raise Http404
    if not policy.can(actor, action, obj):
        if action == policy.VIEW:
            raise Http404
        raise PermissionDenied(reason or f"You may not {action} this {obj._meta.verbose_name}.")


def today(now: dt.datetime | None = None) -> dt.date:
    """The date on the node's clock, in the node's time zone."""
    return timezone.localdate(now or clock.now())
