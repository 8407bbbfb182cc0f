"""How a row of the authorisation matrix reads: actors, sides, ``expect(...)`` and shared bodies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

ROLES = ("practitioner", "coordinator", "analyst", "dpo", "org_admin", "node_admin")
KEYS = ("apikey_read", "apikey_write")
ACTORS = ("anonymous", *ROLES, *KEYS)
SIDES = ("own", "other")

Status = int | tuple[int, int]


@dataclass(frozen=True)
class Expect:
    anonymous: int
    default: Status
    by_actor: dict[str, Status] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    shows_other: frozenset[str] = frozenset()
    marker: str = ""
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""

    def status(self, actor: str, side: str) -> int:
        if actor == "anonymous":
            return self.anonymous
        value = self.by_actor.get(actor, self.default)
        if isinstance(value, tuple):
            return value[SIDES.index(side)]
        return value


def expect(
    anonymous: int,
    *,
    default: Status,
    body: dict[str, Any] | None = None,
    shows_other: set[str] | frozenset[str] = frozenset(),
    marker: str = "",
    params: dict[str, str] | None = None,
    query: str = "",
    **by_actor: Status,
) -> Expect:
    unknown = set(by_actor) - set(ACTORS)
    assert not unknown, f"unknown actors in the table: {unknown}"
    return Expect(
        anonymous,
        default,
        by_actor,
        body,
        frozenset(shows_other),
        marker,
        dict(params or {}),
        query,
    )


EVERYONE_SIGNED_IN = frozenset({*ROLES, *KEYS})
# the events of the matrix start a month from today, 08:00 in Tirana (naive = the event's zone)
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(
    hour=8, minute=0, second=0, microsecond=0, tzinfo=None
)
HOME = "al-asp-ctu"
MESSAGE = {
    "recipients": ["mk-kumanovo"],
    "subject": "Matrix",
    "body": "Please confirm.",
    "message_type": "request",
    "urgency": "other",
    "tlp": "AMBER",
    "handling": "H0",
    "classification": "RESTRICTED",
    "evaluation": {"source": "B", "information": "2"},
}
SESSION = {
    "title": "Second session",
    "start": (START + dt.timedelta(hours=2)).isoformat(),
    "end": (START + dt.timedelta(hours=3)).isoformat(),
}
EVENT = {
    "kind": "national_workshop",
    "title": "Matrix workshop",
    "start": START.isoformat(),
    "end": (START + dt.timedelta(hours=8)).isoformat(),
    "timezone": "Europe/Tirane",
    "organisers": [HOME],
    "venue": "Tirana",
}
KNOWLEDGE_ITEM: dict[str, Any] = {
    "kind": "practice",
    "language": "en",
    "title": "Matrix practice",
    "fields": {
        "summary": "Teachers learn to notice and talk.",
        "description": "A training programme for teachers.",
        "aims": "Confident first-line practitioners.",
    },
    "tlp": "AMBER",
    "classification": "UNCLASSIFIED",
    "scope": "national",
}
ITEM = {
    "title": "Welcome",
    "start": START.isoformat(),
    "end": (START + dt.timedelta(minutes=30)).isoformat(),
}
ACTION = {
    "objective": "1",
    "code": "1.2",
    "title": "Matrix action",
    "owner": HOME,
    "level": "operational",
}
NEW_KEY = {
    "name": "matrix",
    "role": "analyst",
    "clearance": "RESTRICTED",
    "scopes": ["directory.view"],
}
