"""The clock, injectable: services take ``now`` so tests can control time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """Aware UTC now. Services accept ``now=`` and fall back to this."""
    return timezone.now()
