"""The audit of personal data in the directory: who was collected, altered, consulted, erased.

People (``Person``) are personal data, and so are a person's memberships and focal-point
designations. Writes gather the people they touch in an ``AuditBatch`` and write one entry per
(operation, object type); reads call ``record_consultation`` once per request.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from firstline.audit.log import record
from firstline.audit.models import Operation

PERSON_TYPE = "directory.person"
MEMBERSHIP_TYPE = "directory.membership"
FOCAL_POINT_TYPE = "directory.focal_point"


@dataclass
class AuditBatch:
    """People touched by writes, grouped by (operation, object type): one audit entry per group.

    A single API call flushes its own batch; an import shares one batch across every row, so
    one import writes one entry naming all the people it collected (and one for those altered).
    """

    groups: dict[tuple[str, str], tuple[set[int], set[int]]] = field(
        default_factory=lambda: defaultdict(lambda: (set(), set()))
    )

    def add(self, operation: str, object_type: str, object_id: int, person_id: int) -> None:
        ids, subjects = self.groups[(operation, object_type)]
        ids.add(object_id)
        subjects.add(person_id)

    def people(self, operation: str) -> set[int]:
        found: set[int] = set()
        for (op, _type), (_ids, subjects) in self.groups.items():
            if op == operation:
                found |= subjects
        return found

    def flush(
        self, actor: Any, *, request: HttpRequest | None = None, now: dt.datetime | None = None
    ) -> None:
        for (operation, object_type), (ids, subjects) in sorted(self.groups.items()):
            record(
                actor=actor,
                operation=operation,
                object_type=object_type,
                object_ids=sorted(ids),
                subjects=[f"person:{pk}" for pk in sorted(subjects)],
                request=request,
                now=now,
            )
        self.groups.clear()


def record_consultation(
    actor: Any,
    person_ids: Iterable[int],
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """One CONSULT entry naming every person a page or API response showed (none if empty).

    Call it inside the transaction that read the people.
    """
    ids = sorted(set(person_ids))
    if not ids:
        return
    record(
        actor=actor,
        operation=Operation.CONSULT,
        object_type=PERSON_TYPE,
        object_ids=ids,
        subjects=[f"person:{pk}" for pk in ids],
        request=request,
        now=now,
    )
