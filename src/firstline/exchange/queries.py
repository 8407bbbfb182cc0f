"""Read helpers over the policy door: folders (inbox, sent, overdue) and per-reader deadlines."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import OuterRef, Q, QuerySet, Subquery

from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange.models import Entity, EntityStatus, Message, Receipt
from firstline.exchange.policy import visibility_key, visible_received

FOLDERS = ("inbox", "sent", "overdue")


def box(actor: Any, folder: str, now: dt.datetime) -> QuerySet[Message]:
    """The visible messages of ``folder`` for ``actor``'s organisation, newest first."""
    org = getattr(actor, "organisation_id", None) or 0
    if folder == "sent":
        return Message.objects.visible_to(actor).filter(sender_id=org)
    if folder == "inbox":
        # a correlated EXISTS, not IN (every message ever received): the database walks the
        # messages newest first on their (sent_at, id) index and stops after one page
        return visible_received(actor, Receipt.objects.all())
    if folder == "overdue":
        late = Receipt.objects.filter(due_at__lt=now, replied_at__isnull=True)
        return visible_received(actor, late).order_by("sent_at", "id")
    raise Problem.field("folder", f"must be one of {', '.join(FOLDERS)}")


def annotate_for(actor: Any, qs: QuerySet[Message]) -> QuerySet[Message]:
    """Add the reader organisation's ``my_due_at``, ``my_read_at`` and ``my_replied_at``."""
    own = Receipt.objects.filter(
        message_id=OuterRef("pk"), organisation_id=getattr(actor, "organisation_id", None) or 0
    )
    return qs.annotate(
        my_due_at=Subquery(own.values("due_at")[:1]),
        my_read_at=Subquery(own.values("read_at")[:1]),
        my_replied_at=Subquery(own.values("replied_at")[:1]),
    )


# A folder page's position: the (sent_at, id) of the last row shown, as "<µs since epoch>-<id>".
_CURSOR = re.compile(r"^(\d{1,17})-(\d{1,18})$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# What a folder row shows: the message's markings and thread, never its body or entities.
ROW_FIELDS = (
    "id",
    "sent_at",
    "message_type",
    "tlp",
    "handling",
    "classification",
    "thread__reference",
    "thread__subject",
    "sender__name",
    "sender__names",
    "my_due_at",  # the reader organisation's receipt (annotate_for)
    "my_read_at",
    "my_replied_at",
)


def cursor_of(row: dict[str, Any]) -> str:
    """The position after ``row`` (a :data:`ROW_FIELDS` dict) in its folder."""
    micros = (row["sent_at"] - _EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}-{row['id']}"


def parse_cursor(value: str) -> tuple[dt.datetime, int]:
    """``(sent_at, id)`` from a folder position; a malformed one is a Problem naming ``after``."""
    match = _CURSOR.match(value)
    if match is None:
        raise Problem.field("after", "not a position in this folder")
    micros, pk = int(match.group(1)), int(match.group(2))
    return _EPOCH + dt.timedelta(microseconds=micros), pk


def folder_page(
    actor: Any, folder: str, now: dt.datetime, *, after: str = "", size: int = 50
) -> tuple[list[dict[str, Any]], str]:
    """One page of ``folder`` as :data:`ROW_FIELDS` dicts, and the position of the next page
    ("" on the last one).

    Keyset pagination on the folders' (sent_at, id) order: a page costs the same whether it
    is the first or the thousandth, and a message arriving between two pages neither repeats
    a row nor hides one. No page counts the whole folder (36,000 rows in a busy inbox).
    """
    if not after and folder in _COMPILED_FOLDERS:
        rows = _first_page(actor, folder, size + 1)
    else:
        rows = _page(actor, folder, now, after, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return rows, cursor_of(rows[-1]) if more else ""


def _page(
    actor: Any, folder: str, now: dt.datetime, after: str, limit: int
) -> list[dict[str, Any]]:
    qs = annotate_for(actor, box(actor, folder, now))
    if after:
        sent_at, pk = parse_cursor(after)
        # "sent_at <= x" bounds the index range; the OR settles ties on the same instant
        if folder == "overdue":  # oldest first
            qs = qs.filter(Q(sent_at__gte=sent_at), Q(sent_at__gt=sent_at) | Q(id__gt=pk))
        else:  # newest first
            qs = qs.filter(Q(sent_at__lte=sent_at), Q(sent_at__lt=sent_at) | Q(id__lt=pk))
    return list(qs.values(*ROW_FIELDS)[:limit])


# The first pages of the inbox and the sent folder (what every visit opens) are compiled once
# per process and reader: building the policy's filter and compiling it to SQL cost ten times
# more than SQLite takes to run it. The key is everything the policy reads from the reader
# (``policy.visibility_key``) and the database; the SQL still runs on every request, so a new
# message, a receipt or a TLP:RED naming shows at once. Overdue depends on the time: not kept.
_COMPILED_FOLDERS = ("inbox", "sent")
Compiled = tuple[str, tuple[Any, ...], tuple[tuple[int, Any], ...], tuple[str, ...]]
_COMPILED: OrderedDict[tuple[Any, ...], Compiled] = OrderedDict()
_COMPILED_MAX = 2048
_COMPILED_LOCK = threading.Lock()


def _first_page(actor: Any, folder: str, limit: int) -> list[dict[str, Any]]:
    connection = connections[DEFAULT_DB_ALIAS]
    key: tuple[Any, ...] = (connection.vendor, connection.settings_dict["NAME"], folder, limit)
    key += visibility_key(actor)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _compile_first_page(actor, folder, limit)
        with _COMPILED_LOCK:  # threaded workers share it
            _COMPILED[key] = compiled
            while len(_COMPILED) > _COMPILED_MAX:
                _COMPILED.popitem(last=False)
    sql, params, steps, names = compiled
    if not sql:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = []
    for values in map(list, fetched):
        for position, (functions, expression) in steps:  # as the ORM converts each value
            value = values[position]
            for convert in functions:
                value = convert(value, expression, connection)
            values[position] = value
        rows.append(dict(zip(names, values, strict=True)))
    return rows


def _compile_first_page(actor: Any, folder: str, limit: int) -> Compiled:
    """The SQL, parameters, value converters and column names of a folder's first page."""
    qs = annotate_for(actor, box(actor, folder, clock.now())).values(*ROW_FIELDS)[:limit]
    compiler = qs.query.get_compiler(DEFAULT_DB_ALIAS)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # the policy shows this reader nothing
        return "", (), (), ()
    query = qs.query  # the columns' names in the SELECT's order, as values() reads them
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    columns = [col for col, _, _ in compiler.select[: compiler.col_count]]
    return sql, tuple(params), tuple(compiler.get_converters(columns).items()), names


def recipients_of(message_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The recipient organisations (``name``, ``names``) of each sent message, in one query."""
    found: dict[int, list[dict[str, Any]]] = {pk: [] for pk in message_ids}
    receipts = Receipt.objects.filter(message_id__in=message_ids).values_list(
        "message_id", "organisation__name", "organisation__names"
    )
    for message_id, name, names in receipts:
        found[message_id].append({"name": name, "names": names})
    return found


def content_hidden(message: Message, actor: Any) -> bool:
    """A recalled message's text is restricted for its recipients (LED Art. 7(3))."""
    return message.recalled_at is not None and message.sender_id != getattr(
        actor, "organisation_id", None
    )


def shown_entities(message: Message, actor: Any) -> list[Entity]:
    """The entities a reader may still use: restricted ones (and a recalled message's) hidden."""
    if content_hidden(message, actor):
        return []
    return [e for e in message.entities.all() if e.status != EntityStatus.RESTRICTED]


def carries_special_categories(message: Message, actor: Any = None) -> bool:
    """Whether a message holds special categories of personal data (LED Art. 10: health,
    beliefs, ethnic origin...). Showing it is a sensitive read: the reader gives a
    justification first (``audit.justification``), and the consultation entry carries it.

    With ``actor``, as that reader is shown the message (a recall hides its content from the
    recipients); without, as stored (the sealed envelope holds it all)."""
    if actor is not None and content_hidden(message, actor):
        return False
    return any(e.special_categories for e in message.entities.all())
