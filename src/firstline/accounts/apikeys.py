"""Organisation API keys: the key format, its digest and the actor a key acts as.

A key reads ``fl_<prefix>_<secret>``: the prefix (10 hex digits) finds the row and is safe to show
and log; the secret is 32 random bytes (256 bits), shown once and never stored.

Why SHA-256 and not argon2: slow password hashes exist because people choose guessable
passwords, so an attacker holding the digests could try the likely ones. A 256-bit random
secret has no likely values; no hash speed makes 2**256 guesses feasible, so a fast hash
protects it as well as a slow one would. A slow hash would only cost every API call tens of
milliseconds of CPU (and hand an attacker a cheap way to load the server).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Q

from firstline import policy
from firstline.accounts.models import ApiKey, Role
from firstline.core import clock

KEY_PATTERN = re.compile(r"^fl_(?P<prefix>[0-9a-f]{10})_(?P<secret>[A-Za-z0-9_-]{43})$")
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def new_key() -> tuple[str, str]:
    """A fresh ``(prefix, full key)``."""
    prefix = secrets.token_hex(5)
    return prefix, f"fl_{prefix}_{secrets.token_urlsafe(32)}"


def digest(full_key: str) -> str:
    """The stored form of a key: hex SHA-256 of the whole key (prefix included)."""
    return hashlib.sha256(full_key.encode()).hexdigest()


def scope_apps() -> list[str]:
    """App labels a key may be scoped to: First Line's own domains."""
    return sorted(
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith("firstline.") and config.label != "core"
    )


def available_scopes() -> list[str]:
    """Every ``<app_label>.<action>`` scope an organisation administrator may grant."""
    return [f"{label}.{action}" for label in scope_apps() for action in policy.actions_for(label)]


@dataclass
class ApiKeyActor:
    """Who a request authenticated with an API key acts as: the key's organisation, role,
    clearance and scopes, never more. Has the same attributes the policy reads from a user."""

    key: ApiKey
    organisation_id: int
    role: str
    clearance: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    is_authenticated: bool = True
    is_active: bool = True
    is_demo: bool = False
    pk: None = None  # not a user: rules that compare ``actor.pk`` with a user's never match

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_node_admin(self) -> bool:
        return False  # a key can never hold the node administrator role

    @property
    def actor_label(self) -> str:
        return f"apikey:{self.key.prefix}"

    @property
    def organisation(self) -> Any:
        return self.key.organisation

    def __str__(self) -> str:
        return self.actor_label


def actor_for(key: ApiKey) -> ApiKeyActor:
    return ApiKeyActor(
        key=key,
        organisation_id=key.organisation_id,
        role=key.role if key.role != Role.NODE_ADMIN else Role.PRACTITIONER,
        clearance=key.clearance,
        scopes=frozenset(key.scopes),
    )


def authenticate(token: str, now: dt.datetime | None = None) -> ApiKeyActor | None:
    """The actor of a presented key, or None if it is malformed, unknown or revoked."""
    match = KEY_PATTERN.match(token.strip())
    if match is None:
        return None
    key = (
        ApiKey.objects.select_related("organisation")
        .filter(prefix=match["prefix"], revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, digest(token.strip())):
        return None
    touch(key, now)
    return actor_for(key)


def touch(key: ApiKey, now: dt.datetime | None = None) -> None:
    """Record the key's use, at most once a minute: a busy integration would otherwise write
    the same row on every call. The conditional UPDATE is a no-op within the minute."""
    at = now or clock.now()
    if key.last_used_at is not None and at - key.last_used_at < TOUCH_INTERVAL:
        return
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - TOUCH_INTERVAL)
    ).update(last_used_at=at)
    key.last_used_at = at
