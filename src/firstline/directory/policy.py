"""The directory is readable by every signed-in actor and writable by administrators.

A node administrator changes anything; an organisation administrator changes their own
organisation, its units and its people, and the memberships of those.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from firstline import policy
from firstline.accounts.models import Role
from firstline.directory.models import (
    Country,
    FocalPoint,
    Membership,
    Network,
    Organisation,
    Person,
    Unit,
)


def _owning_org_id(obj: Model) -> int | None:
    if isinstance(obj, Organisation):
        return obj.pk
    if isinstance(obj, Unit | Person):
        return obj.organisation_id
    if isinstance(obj, Membership):
        if obj.organisation_id:
            return obj.organisation_id
        return obj.person.organisation_id if obj.person is not None else None
    if isinstance(obj, FocalPoint):
        return obj.person.organisation_id
    return None


def _can_directory(actor: Any, action: str, obj: Any) -> bool:
    if action == policy.VIEW:
        return True
    if actor.role == Role.NODE_ADMIN:
        return True
    if actor.role != Role.ORG_ADMIN or isinstance(obj, type):
        # organisation administrators add units, people and memberships through their
        # organisation; the add-check with an unsaved instance carries the organisation
        return False
    if isinstance(obj, Country | Network | Organisation) and action in (policy.ADD, policy.DELETE):
        return False
    if isinstance(obj, Country | Network):
        return False
    org_id = _owning_org_id(obj)
    return org_id is not None and org_id == actor.organisation_id


def _visible_directory(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if action == policy.VIEW or actor.role == Role.NODE_ADMIN:
        return qs
    if actor.role != Role.ORG_ADMIN:
        return qs.none()
    model = qs.model
    org = actor.organisation_id
    if model is Organisation:
        return qs.filter(pk=org)
    if model in (Unit, Person):
        return qs.filter(organisation_id=org)
    if model is Membership:
        return qs.filter(organisation_id=org) | qs.filter(person__organisation_id=org)
    if model is FocalPoint:
        return qs.filter(person__organisation_id=org)
    return qs.none()


for _model in (Country, Organisation, Unit, Person, Network, Membership, FocalPoint):
    policy.register(_model, can=_can_directory, visible=_visible_directory)
