"""The one door for permission decisions: ``can(actor, action, obj)`` and ``visible_to``.

Every page, API endpoint and admin screen asks this module. Each domain registers the rules for
its models in its own ``policy.py`` (imported from ``AppConfig.ready``); a model with no rule is
denied and shows nothing, so a forgotten rule fails closed.

An *actor* is a signed-in user or an organisation's API key (see ``accounts``); both expose
``organisation_id``, ``role``, ``clearance`` and ``has_scope(scope)``, where a scope is
``"<app_label>.<action>"`` (``"directory.view"``, ``"audit.view"``). A user has every scope
their role allows; an API key only those it was issued with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

VIEW = "view"
ADD = "add"
CHANGE = "change"
DELETE = "delete"
# The actions an API key can be scoped to: these four for every app, plus the actions a domain
# adds for itself with ``add_action`` (knowledge's ``"export"``).
ACTIONS: list[str] = [VIEW, ADD, CHANGE, DELETE]
_DOMAIN_ACTIONS: dict[str, list[str]] = {}


def add_action(app_label: str, action: str) -> None:
    """Declare an action of one domain's own, so that API keys can be scoped to it."""
    actions = _DOMAIN_ACTIONS.setdefault(app_label, [])
    if action not in actions:
        actions.append(action)


def actions_for(app_label: str) -> list[str]:
    """The actions an API key may be scoped to in ``app_label``."""
    return [*ACTIONS, *_DOMAIN_ACTIONS.get(app_label, [])]


class Actor(Protocol):
    is_authenticated: bool
    organisation_id: int | None
    role: str
    clearance: str

    def has_scope(self, scope: str) -> bool: ...


M = TypeVar("M", bound=Model)
CanRule = Callable[[Any, str, Any], bool]
VisibleRule = Callable[[Any, QuerySet[Any], str], QuerySet[Any]]


@dataclass(frozen=True)
class Rule:
    can: CanRule
    visible: VisibleRule


_RULES: dict[type[Model], Rule] = {}


def register(model: type[Model], *, can: CanRule, visible: VisibleRule) -> None:
    """Declare who may do what with ``model``. Called once per model from a domain policy."""
    _RULES[model] = Rule(can=can, visible=visible)


def _rule_for(model: type[Model]) -> Rule | None:
    for klass in model.__mro__:
        if klass in _RULES:
            return _RULES[klass]
    return None


def _active(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False))


def scope_for(model: type[Model], action: str) -> str:
    """The API-key scope that ``action`` on ``model`` needs: ``"<app_label>.<action>"``."""
    return f"{model._meta.app_label}.{action}"


def can(actor: Any, action: str, obj: Model | type[Model]) -> bool:
    """May ``actor`` perform ``action`` on ``obj`` (an instance, or a model class for ``add``)?"""
    if not _active(actor):
        return False
    model = obj if isinstance(obj, type) else type(obj)
    if not actor.has_scope(scope_for(model, action)):
        return False
    rule = _rule_for(model)
    if rule is None:
        return False
    return bool(rule.can(actor, action, obj))


def require(actor: Any, action: str, obj: Model | type[Model]) -> None:
    """Raise PermissionDenied unless ``can``; for objects the actor may already see."""
    if not can(actor, action, obj):
        raise PermissionDenied(
            f"not allowed to {action} this {getattr(obj, '_meta', None) and obj._meta.verbose_name}"
        )


def can_see_rows(actor: Any, model: type[Model], action: str = VIEW) -> bool:
    """The door's checks before a rule restricts a queryset: an active actor with the scope."""
    return _active(actor) and bool(actor.has_scope(scope_for(model, action)))


def visible_to(actor: Any, queryset: QuerySet[M] | type[M], action: str = VIEW) -> QuerySet[M]:
    """Restrict a queryset to what ``actor`` may ``action``; nothing if no rule exists."""
    qs = queryset if isinstance(queryset, QuerySet) else queryset._default_manager.all()
    if not can_see_rows(actor, qs.model, action):
        return qs.none()
    rule = _rule_for(qs.model)
    if rule is None:
        return qs.none()
    return rule.visible(actor, qs, action)


def get_visible_or_404(
    actor: Any, queryset: QuerySet[M] | type[M], action: str = VIEW, **lookup: Any
) -> M:
    """The object if ``actor`` may ``action`` it, else 404 (never reveal that it exists)."""
    found = visible_to(actor, queryset, action).filter(**lookup).first()
    if found is None:
        raise Http404
    return found


def clearance_rank(level: str) -> int:
    """Position of a classification level in the node's ordered list; unknown ranks lowest-1."""
    try:
        return settings.CLASSIFICATION_LEVELS.index(level)
    except ValueError:
        return -1


def cleared_for(actor: Any, level: str) -> bool:
    """True when the actor's clearance is at or above ``level``."""
    return clearance_rank(getattr(actor, "clearance", "")) >= clearance_rank(level) >= 0
