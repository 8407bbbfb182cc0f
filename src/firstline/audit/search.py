"""Reading the log for people: filters, keyset pages, names for the ids an entry stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, AuditRef, RefKind
from firstline.directory.models import Organisation

PAGE_SIZE = 50


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC: entries are stamped in UTC and the pages show UTC, so a day is a UTC day
    (not the node's ``TIME_ZONE``, which would move an entry at 23:30 UTC to the next day)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def apply_filters(qs: QuerySet[AuditEntry], data: dict[str, Any]) -> QuerySet[AuditEntry]:
    """Narrow ``qs`` by the search form's cleaned data (subject, user, organisation, ...)."""
    if data.get("subject"):
        about = AuditRef.objects.filter(kind=RefKind.SUBJECT, ref=data["subject"].strip())
        qs = qs.filter(pk__in=about.values("entry_id"))
    user = (data.get("user") or "").strip()
    if user:
        if ":" not in user:
            pk = User.objects.filter(username=user).values_list("pk", flat=True).first()
            user = f"user:{pk}" if pk is not None else "user:none"
        qs = qs.filter(actor_user=user)
    if data.get("organisation"):
        qs = qs.filter(actor_organisation=f"org:{data['organisation'].pk}")
    if data.get("operation"):
        qs = qs.filter(operation=data["operation"])
    if data.get("date_from"):
        qs = qs.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    return qs


@dataclass
class Page:
    entries: list[AuditEntry]
    older: int | None  # pass as ?before= for the next page


def keyset_page(qs: QuerySet[AuditEntry], before: str | None) -> Page:
    """Newest first, PAGE_SIZE at a time, without counting the whole log."""
    qs = qs.order_by("-seq")
    if before and before.isdigit():
        qs = qs.filter(seq__lt=int(before))
    rows = list(qs[: PAGE_SIZE + 1])
    older = rows[PAGE_SIZE - 1].seq if len(rows) > PAGE_SIZE else None
    return Page(rows[:PAGE_SIZE], older)


def _ids(labels: Iterable[str], prefix: str) -> set[int]:
    found = set()
    for label in labels:
        head, _, tail = label.partition(":")
        if head == prefix and tail.isdigit():
            found.add(int(tail))
    return found


def names_for(entries: list[AuditEntry]) -> dict[str, str]:
    """Readable names for the user and organisation ids the entries name (for the pages)."""
    users = _ids((e.actor_user for e in entries), "user")
    orgs = _ids((e.actor_organisation for e in entries), "org") | _ids(
        (r for e in entries for r in e.recipients), "org"
    )
    names = {
        f"user:{pk}": username
        for pk, username in User.objects.filter(pk__in=users).values_list("pk", "username")
    }
    for org in Organisation.objects.filter(pk__in=orgs):
        names[f"org:{org.pk}"] = str(org)
    return names


def rows_for(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """What the pages show of each entry, ids replaced by names where we know them."""
    names = names_for(entries)
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": names.get(e.actor_user, e.actor_user),
            "actor_label": e.actor_user,
            "organisation": names.get(e.actor_organisation, e.actor_organisation),
            "operation": e.get_operation_display(),
            "object_type": e.object_type,
            "object_ids": ", ".join(e.object_ids),
            "subjects": ", ".join(e.subjects),
            "recipients": ", ".join(names.get(r, r) for r in e.recipients),
            "justification": e.justification,
            "outcome": e.outcome,
        }
        for e in entries
    ]
