"""Sign-in lockout with back-off, per username and per network address.

Every failed attempt (a wrong password, or a wrong code at the two-factor step) counts against
the username as typed and against the address it came from. Once a counter reaches the
threshold, further attempts are refused without checking the password until ``locked_until``;
each failure after that doubles the wait, from ``LOCKOUT_BASE_SECONDS`` up to
``LOCKOUT_MAX_SECONDS``. A full sign-in (both factors) clears the username's counter; a counter
with no failure for ``FORGET_AFTER`` starts again from zero.

The address counter allows ``ADDRESS_THRESHOLD_FACTOR`` times as many failures as the username
counter: the people of one office often share an address behind NAT, and each account is already
protected by its own counter. The address counter is there to slow down password spraying (one
password tried against many usernames), which the username counters never see.

The refusal says when to try again and is the same whether the username exists or not, and
whether the username or the address is locked, so it reveals nothing about accounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from firstline.accounts.models import LoginThrottle, ThrottleKind
from firstline.core import clock

FORGET_AFTER = dt.timedelta(hours=24)
ADDRESS_THRESHOLD_FACTOR = 4


def username_key(username: str) -> str:
    """The counter key of a typed username: case-folded and bounded, never looked up."""
    return username.strip().casefold()[:190]


def client_address(request: HttpRequest) -> str:
    """The address the request came from.

    Behind the TLS reverse proxy every request arrives from the proxy, so the node reads the
    client address from the header the proxy sets (``FIRSTLINE_CLIENT_IP_HEADER``, for example
    ``X-Forwarded-For``), taking the right-most entry: the one our own proxy appended, which a
    client cannot forge.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        value = request.headers.get(header, "")
        entries = [part.strip() for part in value.split(",") if part.strip()]
        if entries:
            return entries[-1][:190]
    return str(request.META.get("REMOTE_ADDR", ""))[:190]


def threshold(kind: str) -> int:
    base = max(1, int(settings.LOCKOUT_THRESHOLD))
    return base * ADDRESS_THRESHOLD_FACTOR if kind == ThrottleKind.ADDRESS else base


def lock_seconds(kind: str, failures: int) -> int:
    """How long the ``failures``-th failure locks the counter: 0, then base, 2 x base, 4 x base..."""
    over = failures - threshold(kind)
    if over < 0:
        return 0
    # cap the exponent before computing, so a counter in the thousands cannot overflow anything
    seconds = settings.LOCKOUT_BASE_SECONDS * (2 ** min(over, 32))
    return int(min(seconds, settings.LOCKOUT_MAX_SECONDS))


@dataclass(frozen=True)
class Lock:
    """A refusal: no attempt is checked before ``until``."""

    until: dt.datetime

    def message(self, now: dt.datetime | None = None) -> str:
        at = now or clock.now()
        wait = max(1, int((self.until - at).total_seconds() + 0.999))
        if wait < 120:
            in_words = ngettext("in %(n)d second", "in %(n)d seconds", wait) % {"n": wait}
        else:
            minutes = (wait + 59) // 60
            in_words = ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
        local = timezone.localtime(self.until)
        return _("Too many failed sign-in attempts. Try again after %(time)s (%(in_words)s).") % {
            "time": formats.time_format(local, "H:i:s"),
            "in_words": in_words,
        }


def current_lock(username: str, address: str, now: dt.datetime | None = None) -> Lock | None:
    """The lock that refuses an attempt for this username from this address, if any."""
    at = now or clock.now()
    locks = LoginThrottle.objects.filter(
        Q(kind=ThrottleKind.USERNAME, key=username_key(username))
        | Q(kind=ThrottleKind.ADDRESS, key=address[:190]),
        locked_until__gt=at,
    ).values_list("locked_until", flat=True)
    latest = max((until for until in locks if until is not None), default=None)
    return Lock(until=latest) if latest is not None else None
