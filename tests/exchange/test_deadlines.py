"""Directive 2023/977 time limits: from receipt, calendar days on the node's clock, DST-safe."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest

from firstline.accounts.models import User
from firstline.core.problems import Problem
from firstline.exchange import deadlines
from firstline.exchange.models import Message, Receipt
from firstline.exchange.queries import box

BELGRADE = zoneinfo.ZoneInfo("Europe/Belgrade")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BELGRADE)


def test_urgent_direct_is_eight_elapsed_hours_even_across_the_spring_change() -> None:
    received = local(2026, 3, 28, 22, 0)  # clocks go forward at 02:00 on 29 March
    due = deadlines.due_at(received, "urgent_direct", "Europe/Belgrade")
    assert due is not None
    assert due - received == dt.timedelta(hours=8)
    assert due.astimezone(BELGRADE) == local(2026, 3, 29, 7, 0)


@pytest.mark.parametrize(
    ("received", "urgency", "expected"),
    [
        (local(2026, 3, 27, 10, 0), "urgent_indirect", local(2026, 3, 30, 10, 0)),
        (local(2026, 3, 25, 10, 0), "other", local(2026, 4, 1, 10, 0)),
        (local(2026, 10, 23, 10, 0), "urgent_indirect", local(2026, 10, 26, 10, 0)),
        (local(2026, 10, 20, 10, 0), "other", local(2026, 10, 27, 10, 0)),
    ],
)
def test_days_are_calendar_days_across_a_dst_change(
    received: dt.datetime, urgency: str, expected: dt.datetime
) -> None:
    due = deadlines.due_at(received.astimezone(dt.UTC), urgency, "Europe/Belgrade")
    assert due == expected
    assert due.tzinfo == dt.UTC
    # the elapsed time is not a whole number of days: the offset changed in between
    assert (due - received) % dt.timedelta(days=1) != dt.timedelta(0)


def test_a_request_received_before_the_change_is_due_at_the_same_wall_time(
    send: Callable[..., Message],
) -> None:
    received = local(2026, 3, 25, 10, 0).astimezone(dt.UTC)
    message = send(urgency="other", now=received)
    receipt = Receipt.objects.get(message=message)
    assert receipt.due_at is not None
    assert receipt.due_at.astimezone(BELGRADE) == local(2026, 4, 1, 10, 0)


def test_overdue_requests_show_in_the_overdue_folder_until_answered(
    send: Callable[..., Message], serbian_analyst: User, albanian_officer: User
) -> None:
    sent = local(2026, 3, 27, 10, 0).astimezone(dt.UTC)
    request = send(urgency="urgent_direct", now=sent)
    before = sent + dt.timedelta(hours=7, minutes=59)
    after = sent + dt.timedelta(hours=8, minutes=1)
    assert list(box(serbian_analyst, "overdue", before)) == []
    assert list(box(serbian_analyst, "overdue", after)) == [request]
    assert list(box(albanian_officer, "overdue", after)) == []  # the sender has nothing to answer


def test_a_late_reply_must_say_why(send: Callable[..., Message], serbian_analyst: User) -> None:
    sent = local(2026, 3, 27, 10, 0).astimezone(dt.UTC)
    request = send(urgency="urgent_direct", now=sent)
    late = sent + dt.timedelta(hours=9)
    reply = {
        "actor": serbian_analyst,
        "recipients": [],
        "subject": "",
        "message_type": "reply",
        "in_reply_to": request.uuid,
        "now": late,
    }
    with pytest.raises(Problem) as exc:
        send(**reply)
    assert [e["field"] for e in exc.value.errors] == ["late_reason"]
    answer = send(late_reason="The register was offline for maintenance.", **reply)
    assert answer.late_reason.startswith("The register")
    assert list(box(serbian_analyst, "overdue", late)) == []


def test_a_reply_in_time_needs_no_reason(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    sent = local(2026, 3, 27, 10, 0).astimezone(dt.UTC)
    request = send(urgency="urgent_direct", now=sent)
    answer = send(
        actor=serbian_analyst,
        recipients=[],
        subject="",
        message_type="reply",
        in_reply_to=request.uuid,
        now=sent + dt.timedelta(hours=7),
    )
    assert answer.late_reason == ""
