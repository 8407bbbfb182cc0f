"""Time limits for requests (Directive (EU) 2023/977, Art. 5), counted from receipt.

Hours are elapsed hours; days are calendar days on the node's wall clock, so a request received
at 10:00 the day before a daylight-saving change is due at 10:00 seven calendar days later,
whatever the UTC offset became in between.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings

from firstline.exchange.markings import TIME_LIMITS


def due_at(received: dt.datetime, urgency: str, tz_name: str | None = None) -> dt.datetime | None:
    """The deadline of a request of ``urgency`` received at ``received`` (aware), in UTC."""
    limit = TIME_LIMITS.get(urgency)
    if limit is None:
        return None
    if limit.days == 0:
        return (received.astimezone(dt.UTC) + limit).astimezone(dt.UTC)
    tz = zoneinfo.ZoneInfo(tz_name or settings.TIME_ZONE)
    # aware + timedelta on a zoneinfo datetime is wall-clock arithmetic: the offset is
    # recomputed for the new local time, which is what "calendar days" means
    local = received.astimezone(tz)
    return (local + dt.timedelta(days=limit.days)).astimezone(dt.UTC)


def is_overdue(
    due: dt.datetime | None,
    replied: dt.datetime | None,
    now: dt.datetime,
    *,
    recalled_at: dt.datetime | None,
) -> bool:
    """Past ``due`` and unanswered. A recalled request is no longer awaited, so never overdue
    (``recalled_at`` has no default: the overdue folder and digest drop recalled requests,
    and every flag must agree with them; see ``queries.overdue_receipts``)."""
    return due is not None and replied is None and recalled_at is None and now > due
