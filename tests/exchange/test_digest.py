"""The daily digest of overdue requests: one e-mail per organisation and day, no personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core import mail
from django.core.management import call_command

from firstline.accounts.models import User
from firstline.exchange.models import DigestSent, Message
from firstline.exchange.tasks import send_overdue_digest


def test_the_digest_lists_overdue_requests_once_a_day(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    serbian_analyst.email = "analyst@mup.example"
    serbian_analyst.save()
    late = send(urgency="urgent_direct", now=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    send(urgency="other")  # not yet due
    call_command("exchange_digest")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["analyst@mup.example"]
    assert late.thread.reference in email.body
    assert "Arben" not in email.body and "Travel" not in email.body
    call_command("exchange_digest")  # a second run the same day sends nothing more
    assert len(mail.outbox) == 1
    assert DigestSent.objects.get().overdue == 1


def test_nothing_overdue_sends_nothing(send: Callable[..., Message], serbian_analyst: User) -> None:
    send(urgency="other")
    assert send_overdue_digest.call(serbian_analyst.organisation_id, "2026-03-20") == 0
    assert mail.outbox == []


def test_the_worker_sends_the_digest_by_itself_once_a_day(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    """No cron: the worker's daily duty enqueues the digests (core.periodic)."""
    from firstline.core import periodic

    serbian_analyst.email = "analyst@mup.example"
    serbian_analyst.save()
    send(urgency="urgent_direct", now=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    afternoon = dt.datetime.now(dt.UTC).replace(hour=15, minute=0)
    assert "exchange.daily" in periodic.run_due(afternoon)
    assert len(mail.outbox) == 1
    assert "exchange.daily" not in periodic.run_due(afternoon + dt.timedelta(minutes=1))
    assert len(mail.outbox) == 1
