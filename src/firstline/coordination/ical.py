"""iCalendar (RFC 5545) for events: one event as an attachment, many as a feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

from firstline.coordination.models import Event
from firstline.core import clock

if TYPE_CHECKING:  # imported where used: icalendar costs every web worker ~3 MB otherwise
    from icalendar import Event as VEvent

PRODID = "-//First Line//Coordination//EN"


def _vevent(event: Event, stamp: dt.datetime) -> VEvent:
    from icalendar import Event as VEvent

    zone = event.zone
    vevent = VEvent()
    vevent.add("uid", f"{event.uid}@firstline")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.start.astimezone(zone))
    vevent.add("dtend", event.end.astimezone(zone))
    vevent.add("summary", event.display_title)
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CONFIRMED")
    vevent.add("class", "PUBLIC" if event.tlp == "CLEAR" else "PRIVATE")
    vevent.add("categories", [str(event.get_kind_display())])
    if event.display_description:
        vevent.add("description", event.display_description)
    location = ", ".join(part for part in (event.venue, event.online_url) if part)
    if location:
        vevent.add("location", location)
    vevent.add("url", f"{settings.SITE_URL.rstrip('/')}/coordination/events/{event.pk}/")
    if event.updated_at:
        vevent.add("last-modified", event.updated_at.astimezone(dt.UTC))
    return vevent


def calendar_bytes(
    events: Iterable[Event], *, name: str, now: dt.datetime | None = None, method: str = ""
) -> bytes:
    """A VCALENDAR holding a VEVENT per event and a VTIMEZONE per zone used."""
    from icalendar import Calendar

    stamp = (now or clock.now()).astimezone(dt.UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(_vevent(event, stamp))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
