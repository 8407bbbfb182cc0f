"""Calendars per user and per network, and the secret tokens of their iCalendar feeds.

A feed is fetched by calendar programs that cannot sign in, so its URL carries a secret. Only
the secret's SHA-256 is stored; issuing a new one revokes the old, and a revoked token stops
working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from firstline import policy
from firstline.accounts.models import User
from firstline.coordination import policy as coordination_policy
from firstline.coordination.models import CalendarFeedToken, Event, RegistrationStatus
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Network

# Calendars show this far back, so that recent meetings stay in view.
PAST_WINDOW = dt.timedelta(days=90)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(actor: Any, *, now: dt.datetime | None = None) -> str:
    """A new feed secret for the signed-in user; earlier ones are revoked. Shown once."""
    if not coordination_policy.user_id(actor):
        raise Problem.field("user", "calendar feeds belong to signed-in people")
    at = now or clock.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeedToken.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=at)
        CalendarFeedToken.objects.create(user=actor, token_hash=_hash(token), created_at=at)
    return token


def revoke_feed_tokens(actor: Any, *, now: dt.datetime | None = None) -> int:
    """Revoke every feed secret of the signed-in user; returns how many were active."""
    return CalendarFeedToken.objects.filter(
        user_id=coordination_policy.user_id(actor) or 0, revoked_at__isnull=True
    ).update(revoked_at=now or clock.now())


def has_feed_token(user: User) -> bool:
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).exists()


def user_for_feed_token(token: str, *, now: dt.datetime | None = None) -> User | None:
    """The active user whose live token this is, or None."""
    found = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    at = now or clock.now()
    if found.last_used_at is None or at - found.last_used_at > dt.timedelta(hours=1):
        CalendarFeedToken.objects.filter(pk=found.pk).update(last_used_at=at)
    return found.user


def my_events(user: Any, *, now: dt.datetime | None = None) -> QuerySet[Event]:
    """Events the user takes part in: registered, invited (in person or through their
    organisation) or organised by their organisation; from three months back."""
    at = now or clock.now()
    uid = coordination_policy.user_id(user)
    mine = Q(pk__in=[])
    if uid is not None:
        mine |= Q(
            registrations__user_id=uid,
            registrations__status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED],
        ) | Q(invitations__person__user_id=uid)
    if user.organisation_id:
        mine |= Q(organisers=user.organisation_id) | Q(
            invitations__organisation=user.organisation_id
        )
    ids = Event.objects.filter(mine).values("pk")
    return (
        policy.visible_to(user, Event)
        .filter(pk__in=ids, end__gte=at - PAST_WINDOW)
        .order_by("start", "pk")
    )


def network_events(
    user: Any, network: Network, *, now: dt.datetime | None = None
) -> QuerySet[Event]:
    """The events of a network that the user may see; from three months back."""
    at = now or clock.now()
    return (
        policy.visible_to(user, Event)
        .filter(networks=network, end__gte=at - PAST_WINDOW)
        .order_by("start", "pk")
    )
