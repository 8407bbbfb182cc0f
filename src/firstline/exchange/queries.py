"""Read helpers over the policy door: folders (inbox, sent, overdue) and per-reader deadlines."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import OuterRef, Q, QuerySet, Subquery

from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange.models import Entity, EntityStatus, Message, Receipt
from firstline.exchange.policy import shown_subject, visibility_key, visible_received

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
        return visible_received(actor, overdue_receipts(now)).order_by("sent_at", "id")
    raise Problem.field("folder", f"must be one of {', '.join(FOLDERS)}")


def overdue_receipts(now: dt.datetime) -> QuerySet[Receipt]:
    """Receipts of requests past their deadline and unanswered: the overdue folder, the API's
    and the daily digest's. A recalled request is no longer awaited (LED Art. 7(3)), so it is
    never overdue; ``deadlines.is_overdue`` says the same of one receipt."""
    return Receipt.objects.filter(
        due_at__lt=now, replied_at__isnull=True, message__recalled_at__isnull=True
    )


def annotate_for(actor: Any, qs: QuerySet[Message]) -> QuerySet[Message]:
    """Add the reader organisation's ``my_due_at``, ``my_read_at`` and ``my_replied_at``, and
    ``shown_subject``: the thread's subject, or "" where the reader may not see the message
    that opened the thread (``policy.shown_subject``). Show that, never ``thread.subject``."""
    own = Receipt.objects.filter(
        message_id=OuterRef("pk"), organisation_id=getattr(actor, "organisation_id", None) or 0
    )
    return qs.annotate(
        my_due_at=Subquery(own.values("due_at")[:1]),
        my_read_at=Subquery(own.values("read_at")[:1]),
        my_replied_at=Subquery(own.values("replied_at")[:1]),
        shown_subject=shown_subject(actor),
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
    "shown_subject",  # annotate_for: "" where the reader may not see the thread's first message
    "sender__name",
    "sender__names",
    "recalled_at",  # a recalled request is never flagged overdue
    # the annotations last: _compile_first_page names the columns fields first, then these
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
    if query.selected:  # Django 5.2: values() keeps the order it was given, annotations too
        names: tuple[str, ...] = tuple(query.selected)
    else:
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


def _lineage(message: Message) -> Iterator[Message]:
    """``message``, then the message it was forwarded from, and so on to the first one."""
    seen: set[int] = set()
    current: Message | None = message
    while current is not None and current.pk not in seen:
        yield current
        seen.add(current.pk)
        current = current.forwarded_from if current.forwarded_from_id else None


def content_hidden(message: Message, actor: Any) -> bool:
    """A recalled message's content is restricted for everyone but the organisation that
    recalled it (LED Art. 7(3)); the sender keeps its own record of what it sent and why.

    A forwarded copy carries the content of every message it came from, so a recall anywhere
    up its line hides it too, from the forwarding organisation as well: it is a recipient of
    the recalled message, and its own copy must not give the content back.
    """
    org = getattr(actor, "organisation_id", None)
    return any(m.recalled_at is not None and m.sender_id != org for m in _lineage(message))


def shown_entities(message: Message, actor: Any) -> list[Entity]:
    """The entities a reader may still use: restricted ones (and a recalled message's) hidden."""
    if content_hidden(message, actor):
        return []
    return [e for e in message.entities.all() if e.status != EntityStatus.RESTRICTED]


def recalled_problem() -> Problem:
    """What a recipient gets for the content of a recalled message: 410, naming the recall.

    410, not 404: the recipient knows the message (it is listed, its recall notice read) and
    is told why its content is gone, as the message itself says in ``recalled_at``.
    """
    return Problem(
        "Recalled",
        status=410,
        detail="message: was recalled by its sender; its content is restricted (LED Art. 7(3))",
        errors=[{"field": "message", "reason": "was recalled by its sender"}],
    )


def envelope_problem(message: Message, actor: Any) -> Problem | None:
    """Why ``actor`` may not have the sealed envelope of ``message``, or None.

    The envelope is the signed document as sent, all or nothing: it still holds a recalled
    message's text and every entity, restricted ones included. So a recipient gets it only
    while nothing in it is restricted. The sender keeps it: the envelope is its evidence of
    what it sent (signature and digest), and it is sealed to the recipients' keys, not the
    sender's, so it gives the sender nothing it does not already hold.
    """
    if content_hidden(message, actor):
        return recalled_problem()
    if message.sender_id == getattr(actor, "organisation_id", None):
        return None
    restricted = [e for e in message.entities.all() if e.status == EntityStatus.RESTRICTED]
    if not restricted:
        return None
    return Problem(
        "Withheld",
        status=410,
        detail="envelope: it carries entities the sender restricted (LED Art. 7(3))",
        errors=[
            {
                "field": f"entities[{e.position}]",
                "reason": "was restricted by the sender; the envelope carries it",
            }
            for e in restricted
        ],
    )


def carries_special_categories(message: Message, actor: Any = None) -> bool:
    """Whether a message holds special categories of personal data (LED Art. 10: health,
    beliefs, ethnic origin...). Showing it is a sensitive read: the reader gives a
    justification first (``audit.justification``), and the consultation entry carries it.

    With ``actor``, as that reader is shown the message (a recall hides its content from the
    recipients); without, as stored (the sealed envelope holds it all)."""
    if actor is not None and content_hidden(message, actor):
        return False
    return any(e.special_categories for e in message.entities.all())
