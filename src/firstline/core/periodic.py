"""What the background worker does on its own clock, so that a node needs no cron.

On every heartbeat (``settings.WORKER_HEARTBEAT_SECONDS``) the worker runs its duties:

- ``audit.tree_head``: sign a tree head when entries were added and the latest head is older
  than ``AUDIT_STH_EVERY_SECONDS`` (so the last entries of a burst do not wait for the next one);
- ``exchange.daily`` and ``coordination.daily``, once a day on the first beat after
  ``DAILY_JOBS_AT`` (node time): enqueue the overdue digests and the purge of unsent uploads.

A daily duty takes a lease first (``DailyRun``: one row per duty, moved to today by a single
conditional UPDATE), in the same transaction as its work, so of several workers exactly one runs
it, and a duty that fails leaves the lease where it was and runs again on the next beat. The
digests themselves are idempotent too (one e-mail per organisation and day), so running the old
commands from a timer as well does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from firstline.core.models import DailyRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Duty:
    name: str
    run: Callable[[dt.datetime], object]
    daily: bool = False


def _tree_head(now: dt.datetime) -> object:
    from firstline.audit.heads import sign_if_stale

    return sign_if_stale(now=now)


def _exchange_daily(now: dt.datetime) -> object:
    from firstline.exchange.tasks import enqueue_overdue_digests, purge_unsent_uploads

    purge_unsent_uploads.enqueue()
    return enqueue_overdue_digests(now)


def _coordination_daily(now: dt.datetime) -> object:
    from firstline.coordination.tasks import send_overdue_digests

    return send_overdue_digests.enqueue(timezone.localdate(now).isoformat())


DUTIES = (
    Duty("audit.tree_head", _tree_head),
    Duty("exchange.daily", _exchange_daily, daily=True),
    Duty("coordination.daily", _coordination_daily, daily=True),
)


def daily_time() -> dt.time:
    """``DAILY_JOBS_AT`` as a time of day; the settings module has checked its form."""
    return dt.time.fromisoformat(settings.DAILY_JOBS_AT)


def _take_lease(name: str, day: dt.date) -> bool:
    """True for exactly one caller a day (call inside a transaction)."""
    if DailyRun.objects.filter(name=name, day__lt=day).update(day=day):
        return True
    if DailyRun.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            DailyRun.objects.create(name=name, day=day)
    except IntegrityError:  # another worker created it first
        return False
    return True


def run_duty(duty: Duty, now: dt.datetime) -> bool:
    """Run one duty if it is due at ``now``; True when it ran."""
    if not duty.daily:
        duty.run(now)
        return True
    local = timezone.localtime(now)
    if local.time() < daily_time():
        return False
    with transaction.atomic():
        if not _take_lease(duty.name, local.date()):
            return False
        duty.run(now)
    logger.info("daily duty %s ran for %s", duty.name, local.date())
    return True


def run_due(now: dt.datetime, duties: tuple[Duty, ...] = DUTIES) -> list[str]:
    """Every duty due at ``now``; one that fails is logged and does not stop the others."""
    ran = []
    for duty in duties:
        try:
            if run_duty(duty, now):
                ran.append(duty.name)
        except Exception:
            logger.exception("worker duty %s failed; it runs again on the next beat", duty.name)
    return ran
