"""Logging reads: one CONSULT entry per request, naming the records shown.

Every page or endpoint that shows records holding personal data calls :func:`consulted` in the
same transaction as the read, after the queryset was evaluated (so the entry names exactly what
is shown — lists and searches included)::

    with transaction.atomic():
        people = list(policy.visible_to(request.user, Person)[:50])
        consulted(request, people)
    return render(...)

The data subjects of each record come from the model's ``audit_subjects()`` method when it has
one (a message returns the people it is about), else a directory Person or a user account is
its own subject.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from firstline.audit.log import record, ref
from firstline.audit.models import AuditEntry, Operation


def subjects_of(obj: Any) -> list[Any]:
    """The data subjects a record is about (internal ids or model instances)."""
    method = getattr(obj, "audit_subjects", None)
    if callable(method):
        return list(method())
    meta = getattr(obj, "_meta", None)
    if meta is not None and meta.label_lower in {"directory.person", "accounts.user"}:
        return [obj]
    return []


def consulted(
    request: HttpRequest,
    objects: Sequence[Model] | Iterable[Model],
    *,
    object_type: str = "",
    justification: str = "",
    actor: Any = None,
) -> AuditEntry | None:
    """Write the CONSULT entry for the records a request showed (none when it showed none)."""
    shown = list(objects)
    if not shown:
        return None
    subjects = list(dict.fromkeys(ref(s) for obj in shown for s in subjects_of(obj)))
    return record(
        actor=actor if actor is not None else getattr(request, "auth", None) or request.user,
        operation=Operation.CONSULT,
        object_type=object_type or shown[0]._meta.label_lower,
        object_ids=[o.seq if isinstance(o, AuditEntry) else o.pk for o in shown],
        subjects=subjects,
        justification=justification,
        request=request,
    )
