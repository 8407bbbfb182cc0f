"""The rows of the folder pages (inbox, sent, overdue), written in Python.

The inbox is the page every user opens first and reloads most; a Django template spends
microseconds on every variable, filter and tag, and across 50 rows of seven cells that was
most of the page's cost (about 70 % of 32 ms per request at 100,000 messages). Here each row
is written once: labels translated once per page, dates formatted with a format compiled once
per page (the same text as the ``date`` filter; ``tests/exchange/test_folders.py`` compares
them), names picked in the reader's language, every value escaped. The table around the rows
stays in ``exchange/folder.html``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from firstline.directory.models import localised_name
from firstline.exchange import deadlines
from firstline.exchange.markings import TLP, MessageType

Formatter = Callable[[dt.datetime], str]

# what reverse() leaves unquoted in a path segment (RFC 3986 pchar)
_URL_SAFE = RFC3986_SUBDELIMS + "~:@"


def _two(n: int) -> str:
    return f"{n:02d}"


def _hour12(v: dt.datetime) -> str:
    return str(v.hour % 12 or 12)


def _hour12_minutes(v: dt.datetime) -> str:
    return _hour12(v) if v.minute == 0 else f"{_hour12(v)}:{v.minute:02d}"


# Django's date-format characters for numbers, as django.utils.dateformat writes them (a test
# checks each against it); the words of "a" and "P" are translated once per page, below.
_NUMBERS: dict[str, Formatter] = {
    "d": lambda v: _two(v.day),
    "j": lambda v: str(v.day),
    "m": lambda v: _two(v.month),
    "n": lambda v: str(v.month),
    "Y": lambda v: f"{v.year:04d}",
    "y": lambda v: _two(v.year % 100),
    "H": lambda v: _two(v.hour),
    "G": lambda v: str(v.hour),
    "h": lambda v: _two(v.hour % 12 or 12),
    "g": _hour12,
    "i": lambda v: _two(v.minute),
    "s": lambda v: _two(v.second),
    "f": _hour12_minutes,
}


def _times() -> dict[str, Formatter]:
    """``a`` and ``P`` in the current language, with Django's own words for them."""
    am, pm = dateformat.time_format(dt.time(1), "a"), dateformat.time_format(dt.time(13), "a")
    noon, midnight = (
        dateformat.time_format(dt.time(12), "P"),
        dateformat.time_format(dt.time(0), "P"),
    )

    def ampm(v: dt.datetime) -> str:
        return pm if v.hour > 11 else am

    def pretty(v: dt.datetime) -> str:
        if v.minute == 0 and v.hour in (0, 12):
            return midnight if v.hour == 0 else noon
        return f"{_hour12_minutes(v)} {ampm(v)}"

    return {"a": ampm, "P": pretty}


def _fallback(char: str, value: dt.datetime) -> str:
    return dateformat.format(value, char)


@functools.lru_cache(maxsize=64)
def _compile(fmt: str) -> tuple[str, ...]:
    """``fmt`` split into format characters and literals ("\\x" for an escaped ``x``), as
    django.utils.dateformat reads it."""
    parts: list[str] = []
    escaped = False
    for char in fmt:
        if escaped:
            parts.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(char)
    return tuple(parts)


def date_formatter(name: str = "SHORT_DATETIME_FORMAT") -> Formatter:
    """A function writing an aware datetime as ``{{ value|date:name }}`` would, in the current
    language and time zone; build it once per page."""
    chars = _NUMBERS | _times()
    parts: list[tuple[str, Formatter | None]] = []
    for part in _compile(str(formats.get_format(name))):
        if part.startswith("\\"):
            parts.append((part[1:], None))
        elif part.isalpha():
            parts.append((part, chars.get(part) or functools.partial(_fallback, part)))
        else:
            parts.append((part, None))
    tz = timezone.get_current_timezone()

    def write(value: dt.datetime) -> str:
        local = value.astimezone(tz)
        return "".join(text if fn is None else fn(local) for text, fn in parts)

    return write


def rows(
    found: list[dict[str, Any]],
    folder: str,
    now: dt.datetime,
    recipients: dict[int, list[dict[str, Any]]],
) -> SafeString:
    """The ``<tr>`` elements of ``found`` (``queries.ROW_FIELDS`` dicts) for the folder page.

    Every value from the database goes through ``escape`` (``html.escape``, what Django's
    autoescaping does); the markup is fixed here, so ``tests/exchange/test_folders.py`` checks
    the page's cells and that a subject with markup is shown as text.
    """
    language = get_language()
    tz = timezone.get_current_timezone()
    short = date_formatter()
    types = {value: escape(str(label)) for value, label in MessageType.choices}
    tlps = {value: escape(str(label)) for value, label in TLP.choices}
    unread = escape(_("(unread)"))
    withheld = escape(_("(subject withheld)"))
    late, answered = escape(_("OVERDUE")), escape(_("answered"))
    overdue_note = f' <strong class="error">{late}</strong>'
    answered_note = f" {answered}"
    # one reverse() for the page; the references are quoted as reverse() would quote them
    thread_url = escape(reverse("exchange:thread", args=["-"])[:-2])
    sent_folder = folder == "sent"
    out = []
    for r in found:
        if sent_folder:
            party = ", ".join(
                localised_name(o["name"], o["names"], language) for o in recipients.get(r["id"], [])
            )
        else:
            party = localised_name(r["sender__name"], r["sender__names"], language)
        reference = r["thread__reference"]
        url = f"{thread_url}{escape(quote(reference, safe=_URL_SAFE))}/"
        subject = escape(r["shown_subject"]) or withheld
        if not sent_folder and r["my_read_at"] is None:
            subject = f'<strong>{subject}</strong> <span class="visually-hidden">{unread}</span>'
        sent_at = r["sent_at"]
        sent = (
            f'<time datetime="{sent_at.astimezone(tz).isoformat()}">{escape(short(sent_at))}</time>'
        )
        due, replied = r["my_due_at"], r["my_replied_at"]
        overdue = deadlines.is_overdue(due, replied, now, recalled_at=r["recalled_at"])
        if due is None:
            due_cell = "—"
        else:
            due_cell = (
                f'<time datetime="{due.astimezone(tz).isoformat()}">{escape(short(due))}</time>'
            )
            if overdue:
                due_cell += overdue_note
            elif replied is not None:
                due_cell += answered_note
        kind = r["message_type"]
        tlp = r["tlp"]
        out.append(
            ('<tr class="overdue">' if overdue else "<tr>")
            + f'<td><a href="{url}">{escape(reference)}</a></td>'
            f"<td>{subject}</td>"
            f"<td>{types.get(kind) or escape(kind)}</td>"
            f"<td>{escape(party)}</td>"
            f"<td>{tlps.get(tlp) or escape(tlp)} · {escape(r['handling'])} · "
            f"{escape(r['classification'])}</td>"
            f"<td>{sent}</td>"
            f"<td>{due_cell}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every interpolated value is escaped above
