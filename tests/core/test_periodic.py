"""The worker's periodic duties: tree heads on time, daily jobs once a day, no cron needed."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.test import override_settings

from firstline.audit.log import record
from firstline.audit.models import Operation, TreeHead
from firstline.core import periodic
from firstline.core.heartbeat import Heartbeat
from firstline.core.models import DailyRun

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _entry(now: dt.datetime) -> None:
    record(actor=None, operation=Operation.LOGIN_FAILED, object_type="accounts.user", now=now)


@override_settings(AUDIT_STH_EVERY_SECONDS=300, AUDIT_STH_EVERY_ENTRIES=10_000)
def test_a_tree_head_follows_the_last_entries_of_a_burst() -> None:
    from firstline.audit.heads import sign_if_stale, sign_tree_head

    start = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert sign_if_stale(now=start) is None  # an empty log: nothing to sign
    _entry(start)
    first = sign_tree_head(now=start)
    for second in range(1, 4):  # a burst right after the head: no new head is due yet
        _entry(start + dt.timedelta(seconds=second))
    assert sign_if_stale(now=start + dt.timedelta(seconds=60)) is None
    head = sign_if_stale(now=start + dt.timedelta(seconds=301))
    assert head is not None and head.tree_size == first.tree_size + 3
    # nothing added since: no new head, however long the wait
    assert sign_if_stale(now=start + dt.timedelta(hours=5)) is None
    assert TreeHead.objects.latest("id") == head


def _counting(name: str, calls: list[dt.datetime], fail: list[bool] | None = None) -> periodic.Duty:
    def run(now: dt.datetime) -> None:
        if fail and fail.pop():
            raise RuntimeError("mail server down")
        calls.append(now)

    return periodic.Duty(name, run, daily=True)


@override_settings(DAILY_JOBS_AT="07:00", TIME_ZONE="Europe/Belgrade")
def test_a_daily_duty_runs_once_a_day_after_its_hour() -> None:
    calls: list[dt.datetime] = []
    duty = _counting("test.daily", calls)
    early = dt.datetime(2026, 3, 2, 5, 30, tzinfo=UTC)  # 06:30 in Belgrade
    assert periodic.run_due(early, (duty,)) == []
    later = dt.datetime(2026, 3, 2, 6, 5, tzinfo=UTC)  # 07:05 in Belgrade
    assert periodic.run_due(later, (duty,)) == ["test.daily"]
    assert periodic.run_due(later + dt.timedelta(hours=3), (duty,)) == []
    next_day = later + dt.timedelta(days=1)
    assert periodic.run_due(next_day, (duty,)) == ["test.daily"]
    assert calls == [later, next_day]
    assert DailyRun.objects.get(name="test.daily").day == dt.date(2026, 3, 3)


@override_settings(DAILY_JOBS_AT="07:00")
def test_a_failing_daily_duty_keeps_its_lease_and_runs_again(caplog) -> None:  # type: ignore[no-untyped-def]
    calls: list[dt.datetime] = []
    duty = _counting("test.flaky", calls, fail=[False, True])  # fails once, then works
    other_calls: list[dt.datetime] = []
    other = _counting("test.other", other_calls)
    now = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert periodic.run_due(now, (duty, other)) == ["test.other"]  # one failure stops nothing
    assert "test.flaky failed" in caplog.text
    assert not DailyRun.objects.filter(name="test.flaky").exists()
    assert periodic.run_due(now + dt.timedelta(seconds=30), (duty, other)) == ["test.flaky"]
    assert len(calls) == 1 and len(other_calls) == 1


def test_of_two_workers_one_takes_the_days_lease() -> None:
    day = dt.date(2026, 3, 2)
    assert periodic._take_lease("test.lease", day) is True
    assert periodic._take_lease("test.lease", day) is False
    assert periodic._take_lease("test.lease", day + dt.timedelta(days=1)) is True


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_runs_the_duties() -> None:
    ran = threading.Event()
    heartbeat = Heartbeat("test:duties", interval=0.05, duties=lambda now: ran.set())
    heartbeat.start()
    try:
        assert ran.wait(5)
    finally:
        heartbeat.stop()


def test_the_daily_time_is_checked_at_startup(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from firstline.core.env import MissingSetting, env_time

    monkeypatch.setenv("FIRSTLINE_DAILY_JOBS_AT", "7 o'clock")
    with pytest.raises(MissingSetting, match="FIRSTLINE_DAILY_JOBS_AT must be a time of day"):
        env_time("DAILY_JOBS_AT", "07:00")
    monkeypatch.setenv("FIRSTLINE_DAILY_JOBS_AT", "06:30")
    assert env_time("DAILY_JOBS_AT", "07:00") == "06:30"
