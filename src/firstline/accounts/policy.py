"""Who may see and change user accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from firstline import policy
from firstline.accounts.models import Role, User


def _can_user(actor: Any, action: str, obj: Any) -> bool:
    if actor.role == Role.NODE_ADMIN:
        return True
    if isinstance(obj, type):  # creating a user
        return actor.role == Role.ORG_ADMIN
    if action == policy.VIEW and (obj.pk == getattr(actor, "pk", None)):
        return True
    return actor.role == Role.ORG_ADMIN and obj.organisation_id == actor.organisation_id


def _visible_users(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if actor.role == Role.NODE_ADMIN:
        return qs
    if actor.role == Role.ORG_ADMIN:
        return qs.filter(organisation_id=actor.organisation_id)
    return qs.filter(pk=getattr(actor, "pk", None)) if action == policy.VIEW else qs.none()


policy.register(User, can=_can_user, visible=_visible_users)
