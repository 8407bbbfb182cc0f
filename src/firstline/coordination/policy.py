"""Who may see and change events, recommendations and plans.

Reading follows the item's marking. The classification must be at or below the reader's
clearance (``policy.cleared_for``); then the TLP 2.0 label decides who among the cleared:

| label | who sees it |
|---|---|
| TLP:CLEAR | every signed-in actor |
| TLP:GREEN | the community: members of the item's networks plus everyone below; every signed-in actor when the item names no network |
| TLP:AMBER, TLP:AMBER+STRICT | users of the organisations involved (organisers and invited organisations of an event; addressees and the recording organisation of a recommendation; coordinator, owners and contributors of a plan) plus the named people below |
| TLP:RED | named people only: the creator; for an event, the people invited by name and those registered |

Node administrators see everything they are cleared for.

Changing: an event's organisers (coordinators and organisation administrators of an organiser
organisation) and its creator; a plan's coordinating organisation (same roles) and its creator;
a recommendation's recording organisation and the organisers of its source event. Progress on
an action is reported only by users of the action's owner organisation (action ``"progress"``).
Registrations are seen by the registrant and by the event's organisers; the latter's reads are
personal data and logged by the services.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model, Q, QuerySet

from firstline import policy
from firstline.accounts.models import Role, User
from firstline.coordination.models import (
    TLP,
    Action,
    AgendaItem,
    CalendarFeedToken,
    Event,
    EventDocument,
    Invitation,
    Minutes,
    MinutesVersion,
    Objective,
    Plan,
    ProgressUpdate,
    Recommendation,
    RecommendationChange,
    Registration,
    Session,
    Speaker,
)
from firstline.directory.models import Membership

PROGRESS = "progress"  # report progress on an action
CHECK_IN = "check_in"  # record attendance at an event
EXPORT = "export"  # export a plan

ORGANISER_ROLES = frozenset({Role.COORDINATOR, Role.ORG_ADMIN, Role.NODE_ADMIN})


@dataclass(frozen=True)
class Audience:
    """Where a marked model keeps its involved organisations, networks and named users."""

    org_paths: tuple[str, ...]
    network_path: str
    user_paths: tuple[str, ...]


AUDIENCES: dict[type[Model], Audience] = {
    Event: Audience(
        org_paths=("organisers", "invitations__organisation", "invitations__person__organisation"),
        network_path="networks",
        user_paths=("created_by", "invitations__person__user", "registrations__user"),
    ),
    Recommendation: Audience(
        org_paths=("organisation", "addressee_organisations", "event__organisers"),
        network_path="addressee_networks",
        user_paths=("created_by",),
    ),
    Plan: Audience(
        org_paths=("coordinator", "actions__owner", "actions__contributors"),
        network_path="network",
        user_paths=("created_by",),
    ),
}


def user_id(actor: Any) -> int | None:
    """The user's id when the actor is a signed-in person (API keys have none)."""
    return actor.pk if isinstance(actor, User) else None


def _is_node_admin(actor: Any) -> bool:
    return getattr(actor, "role", "") == Role.NODE_ADMIN


def cleared_levels(actor: Any) -> list[str]:
    return [lvl for lvl in settings.CLASSIFICATION_LEVELS if policy.cleared_for(actor, lvl)]


def _ids_where(model: type[Model], paths: tuple[str, ...], value: Any) -> QuerySet[Any]:
    condition = functools.reduce(operator.or_, (Q(**{path: value}) for path in paths))
    return model._default_manager.filter(condition).values("pk")


def _marked_visible(actor: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    model = qs.model
    audience = AUDIENCES[model]
    qs = qs.filter(classification__in=cleared_levels(actor))
    if _is_node_admin(actor):
        return qs
    nothing = Q(pk__in=[])
    uid = user_id(actor)
    named = Q(pk__in=_ids_where(model, audience.user_paths, uid)) if uid else nothing
    org_id = actor.organisation_id
    involved = Q(pk__in=_ids_where(model, audience.org_paths, org_id)) if org_id else nothing
    my_networks = Membership.objects.filter(
        Q(organisation_id=org_id) | Q(person__organisation_id=org_id) if org_id else Q(pk__in=[])
    ).values("network_id")
    net = audience.network_path
    in_network = Q(pk__in=model._default_manager.filter(**{f"{net}__in": my_networks}).values("pk"))
    no_network = ~Q(pk__in=model._default_manager.filter(**{f"{net}__isnull": False}).values("pk"))
    return qs.filter(
        Q(tlp=TLP.CLEAR)
        | (Q(tlp=TLP.GREEN) & (no_network | in_network | involved | named))
        | (Q(tlp__in=[TLP.AMBER, TLP.AMBER_STRICT]) & (involved | named))
        | (Q(tlp=TLP.RED) & named)
    )


def _mine(actor: Any) -> Q:
    uid = user_id(actor)
    return Q(created_by_id=uid) if uid else Q(pk__in=[])


def _changeable_events(actor: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if _is_node_admin(actor):
        return qs
    mine = _mine(actor)
    if actor.role in ORGANISER_ROLES and actor.organisation_id:
        mine |= Q(pk__in=Event.objects.filter(organisers=actor.organisation_id).values("pk"))
    return qs.filter(mine)


def _changeable_plans(actor: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if _is_node_admin(actor):
        return qs
    mine = _mine(actor)
    if actor.role in ORGANISER_ROLES and actor.organisation_id:
        mine |= Q(coordinator_id=actor.organisation_id)
    return qs.filter(mine)


def _changeable_recommendations(actor: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if _is_node_admin(actor):
        return qs
    mine = _mine(actor)
    if actor.role in ORGANISER_ROLES and actor.organisation_id:
        mine |= Q(organisation_id=actor.organisation_id) | Q(
            event__in=Event.objects.filter(organisers=actor.organisation_id).values("pk")
        )
    return qs.filter(mine)


CHANGEABLE: dict[type[Model], Callable[[Any, QuerySet[Any]], QuerySet[Any]]] = {
    Event: _changeable_events,
    Plan: _changeable_plans,
    Recommendation: _changeable_recommendations,
}


def _marked_rules(model: type[Model]) -> None:
    def visible(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
        seen = _marked_visible(actor, qs)
        if action == policy.VIEW:
            return seen
        return CHANGEABLE[model](actor, seen)

    def can(actor: Any, action: str, obj: Any) -> bool:
        if isinstance(obj, type):
            # adding: organisers' roles, within an organisation (or a node administrator)
            return (
                action == policy.ADD
                and actor.role in ORGANISER_ROLES
                and (bool(actor.organisation_id) or _is_node_admin(actor))
            )
        wanted = policy.VIEW if action == policy.VIEW else policy.CHANGE
        return visible(actor, model._default_manager.filter(pk=obj.pk), wanted).exists()

    policy.register(model, can=can, visible=visible)


for _model in (Event, Plan, Recommendation):
    _marked_rules(_model)


def _child_rules(model: type[Model], parent: type[Model], path: str) -> None:
    """Children follow their parent: seen with it, changed by whoever may change it."""

    def visible(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
        wanted = policy.VIEW if action == policy.VIEW else policy.CHANGE
        parents = policy.visible_to(actor, parent, wanted).values("pk")
        return qs.filter(**{f"{path}__in": parents})

    def can(actor: Any, action: str, obj: Any) -> bool:
        if isinstance(obj, type):
            return False  # adding a child is changing its parent: ask about the parent
        wanted = policy.VIEW if action == policy.VIEW else policy.CHANGE
        return visible(actor, model._default_manager.filter(pk=obj.pk), wanted).exists()

    policy.register(model, can=can, visible=visible)


_CHILDREN: tuple[tuple[type[Model], str], ...] = (
    (Session, "event"),
    (AgendaItem, "session__event"),
    (Speaker, "item__session__event"),
    (Invitation, "event"),
    (EventDocument, "event"),
    (Minutes, "event"),
    (MinutesVersion, "minutes__event"),
    (Objective, "plan"),
    (ProgressUpdate, "action__plan"),
)
for _child, _path in _CHILDREN:
    _child_rules(_child, Event if "event" in _path else Plan, _path)
_child_rules(RecommendationChange, Recommendation, "recommendation")


def _can_action(actor: Any, action: str, obj: Any) -> bool:
    if isinstance(obj, type):
        return False
    if action == PROGRESS:
        # only the owner organisation answers for its action (and must be able to see it)
        return (
            actor.organisation_id is not None
            and obj.owner_id == actor.organisation_id
            and policy.visible_to(actor, Plan).filter(pk=obj.plan_id).exists()
        )
    wanted = policy.VIEW if action == policy.VIEW else policy.CHANGE
    return policy.visible_to(actor, Plan, wanted).filter(pk=obj.plan_id).exists()


def _visible_actions(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if action == PROGRESS:
        seen = qs.filter(plan__in=policy.visible_to(actor, Plan).values("pk"))
        return seen.filter(owner_id=actor.organisation_id) if actor.organisation_id else qs.none()
    wanted = policy.VIEW if action == policy.VIEW else policy.CHANGE
    return qs.filter(plan__in=policy.visible_to(actor, Plan, wanted).values("pk"))


policy.register(Action, can=_can_action, visible=_visible_actions)


def _can_registration(actor: Any, action: str, obj: Any) -> bool:
    if isinstance(obj, type):
        return False  # registering is asked of the event (``view``)
    if action in (policy.VIEW, policy.CHANGE) and obj.user_id and obj.user_id == user_id(actor):
        return True
    return policy.can(actor, policy.CHANGE, obj.event)


def _visible_registrations(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    organised = policy.visible_to(actor, Event, policy.CHANGE).values("pk")
    uid = user_id(actor)
    own = Q(user_id=uid) if uid else Q(pk__in=[])
    if action in (policy.VIEW, policy.CHANGE):
        return qs.filter(own | Q(event__in=organised))
    return qs.filter(event__in=organised)


policy.register(Registration, can=_can_registration, visible=_visible_registrations)


def _can_token(actor: Any, action: str, obj: Any) -> bool:
    uid = user_id(actor)
    if isinstance(obj, type):
        return uid is not None
    return uid is not None and obj.user_id == uid


def _visible_tokens(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    uid = user_id(actor)
    return qs.filter(user_id=uid) if uid else qs.none()


policy.register(CalendarFeedToken, can=_can_token, visible=_visible_tokens)


def is_organiser(actor: Any, event: Event) -> bool:
    """May ``actor`` organise ``event`` (change it, see registrations, check people in)?"""
    return policy.can(actor, policy.CHANGE, event)
