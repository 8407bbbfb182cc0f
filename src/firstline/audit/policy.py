"""Who may read the audit log.

- Oversight (``view``, ``export``): a node administrator sees every entry; a data protection
  officer sees the entries that concern their organisation — made by its users, disclosed to
  it, about the people it registered in the directory or about its users' accounts — and not
  the rest of the node's (other organisations' justifications are their business and their
  DPO's).
- ``view_own``: every user sees the entries they made and the entries about them: their
  directory Person (``person:<pk>``) and their account (``user:<pk>``, as the accounts code
  names it: failed sign-ins, changes of their access, administrators reading it).
- Tree heads, the log key and proofs hold no personal data: any signed-in actor (see api.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from firstline import policy
from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, AuditRef, RefKind, TreeHead
from firstline.directory.models import Person

EXPORT = "export"
VIEW_OWN = "view_own"
OVERSIGHT = (policy.VIEW, EXPORT)


def _is_overseer(actor: Any) -> bool:
    return actor.role == Role.NODE_ADMIN or (
        actor.role == Role.DPO and actor.organisation_id is not None
    )


def _refs(qs: QuerySet[Any], prefix: str) -> QuerySet[Any]:
    """The subject ids (``"<prefix>:<pk>"``) of a queryset's rows, as a subquery."""
    return qs.annotate(ref=Concat(Value(f"{prefix}:"), Cast("pk", CharField()))).values("ref")


def _organisation_filter(org_id: int) -> Q:
    org = f"org:{org_id}"
    people = _refs(Person.objects.filter(organisation_id=org_id), "person")
    accounts = _refs(User.objects.filter(organisation_id=org_id), "user")
    concerning = AuditRef.objects.filter(
        Q(kind=RefKind.RECIPIENT, ref=org)
        | Q(kind=RefKind.SUBJECT, ref__in=people)
        | Q(kind=RefKind.SUBJECT, ref__in=accounts)
    ).values("entry_id")
    return Q(actor_organisation=org) | Q(pk__in=concerning)


def own_filter(actor: Any) -> Q:
    """Entries an actor made, or that name them as a subject: their account or their
    directory Person."""
    label = getattr(actor, "actor_label", "")
    q = Q(actor_user=label) if label else Q(pk__in=[])
    mine = [f"user:{actor.pk}"]
    person = Person.objects.filter(user_id=actor.pk).values_list("pk", flat=True).first()
    if person is not None:
        mine.append(f"person:{person}")
    about_me = AuditRef.objects.filter(kind=RefKind.SUBJECT, ref__in=mine)
    return q | Q(pk__in=about_me.values("entry_id"))


def _visible_audit(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if action == VIEW_OWN:  # a person's own history; an API key has none
        return qs.filter(own_filter(actor)) if isinstance(actor, User) else qs.none()
    if action not in OVERSIGHT or not _is_overseer(actor):
        return qs.none()
    if actor.role == Role.NODE_ADMIN:
        return qs
    return qs.filter(_organisation_filter(actor.organisation_id))


def _can_audit(actor: Any, action: str, obj: Any) -> bool:
    if isinstance(obj, type):
        return action in OVERSIGHT and _is_overseer(actor)
    return _visible_audit(actor, AuditEntry.objects.filter(pk=obj.pk), action).exists()


def _can_head(actor: Any, action: str, obj: Any) -> bool:
    return action == policy.VIEW


def _visible_heads(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    return qs if action == policy.VIEW else qs.none()


policy.register(AuditEntry, can=_can_audit, visible=_visible_audit)
policy.register(TreeHead, can=_can_head, visible=_visible_heads)
