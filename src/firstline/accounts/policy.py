"""Who may see and change user accounts, API keys, second-factor devices and lockouts.

Roles and what they may grant: a node administrator grants any role; an organisation
administrator grants the roles of their own organisation (never node administrator); nobody
grants a clearance above their own, and nobody changes their own role or clearance.
API keys act for systems, never for people: a key cannot manage keys or accounts.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline import policy
from firstline.accounts.models import ApiKey, LoginThrottle, Role, User

ORGANISATION_ROLES = (
    Role.PRACTITIONER,
    Role.COORDINATOR,
    Role.ANALYST,
    Role.DPO,
    Role.ORG_ADMIN,
)


def is_person(actor: Any) -> bool:
    """A signed-in user, as opposed to an API key."""
    return isinstance(actor, User)


def grantable_roles(actor: Any) -> tuple[str, ...]:
    """The roles ``actor`` may give a user or an API key (a key is never node administrator)."""
    if not is_person(actor):
        return ()
    if actor.role == Role.NODE_ADMIN:
        return (*ORGANISATION_ROLES, Role.NODE_ADMIN)
    if actor.role == Role.ORG_ADMIN:
        return ORGANISATION_ROLES
    return ()


def _can_user(actor: Any, action: str, obj: Any) -> bool:
    if not is_person(actor):
        return False
    if actor.role == Role.NODE_ADMIN:
        return True
    if isinstance(obj, type):  # creating a user, or a list of users
        return actor.role == Role.ORG_ADMIN
    if action == policy.VIEW and (obj.pk == actor.pk):
        return True
    return actor.role == Role.ORG_ADMIN and obj.organisation_id == actor.organisation_id


def _visible_users(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if not is_person(actor):
        return qs.none()
    if actor.role == Role.NODE_ADMIN:
        return qs
    if actor.role == Role.ORG_ADMIN:
        return qs.filter(organisation_id=actor.organisation_id)
    return qs.filter(pk=actor.pk) if action == policy.VIEW else qs.none()


def _can_api_key(actor: Any, action: str, obj: Any) -> bool:
    """Organisation administrators manage their organisation's keys; node administrators see
    and revoke any (incident response) but create none, having no organisation."""
    if not is_person(actor) or action == policy.DELETE:  # keys are revoked, never deleted
        return False
    if actor.role == Role.NODE_ADMIN:
        return action != policy.ADD
    if actor.role != Role.ORG_ADMIN or actor.organisation_id is None:
        return False
    if isinstance(obj, type):
        return action in (policy.VIEW, policy.ADD)
    return bool(obj.organisation_id == actor.organisation_id)


def _visible_api_keys(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if not is_person(actor) or action in (policy.ADD, policy.DELETE):
        return qs.none()
    if actor.role == Role.NODE_ADMIN:
        return qs
    if actor.role == Role.ORG_ADMIN and actor.organisation_id is not None:
        return qs.filter(organisation_id=actor.organisation_id)
    return qs.none()


def _can_device(actor: Any, action: str, obj: Any) -> bool:
    """Everyone sees their own devices; a node administrator may remove a device (a lost
    phone) so that its owner enrols again. Devices are never created or edited by hand."""
    if not is_person(actor):
        return False
    if action == policy.VIEW:
        return actor.role == Role.NODE_ADMIN or isinstance(obj, type) or obj.user_id == actor.pk
    return action == policy.DELETE and actor.role == Role.NODE_ADMIN


def _visible_devices(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if not is_person(actor):
        return qs.none()
    if actor.role == Role.NODE_ADMIN and action in (policy.VIEW, policy.DELETE):
        return qs
    return qs.filter(user_id=actor.pk) if action == policy.VIEW else qs.none()


def _can_throttle(actor: Any, action: str, obj: Any) -> bool:
    """Node administrators see lockouts and lift one by deleting it."""
    return (
        is_person(actor)
        and actor.role == Role.NODE_ADMIN
        and action in (policy.VIEW, policy.DELETE)
    )


def _visible_throttles(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    return qs if _can_throttle(actor, action, LoginThrottle) else qs.none()


policy.register(User, can=_can_user, visible=_visible_users)
policy.register(ApiKey, can=_can_api_key, visible=_visible_api_keys)
policy.register(TOTPDevice, can=_can_device, visible=_visible_devices)
policy.register(StaticDevice, can=_can_device, visible=_visible_devices)
policy.register(LoginThrottle, can=_can_throttle, visible=_visible_throttles)
