"""The daily digest of overdue requests: once per organisation and day, no personal data, and
each user told only of the requests they may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core import mail
from django.core.management import call_command

from firstline.accounts.models import User
from firstline.directory.models import Organisation
from firstline.exchange.models import DigestSent, Message
from firstline.exchange.tasks import send_overdue_digest

from .conftest import add_user

LATE = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)  # an urgent request sent then is overdue now


def with_address(user: User) -> User:
    user.email = f"{user.username}@example.org"
    user.save()
    return user


def digest_to(user: User) -> str | None:
    """The body of the digest e-mailed to ``user``, or None if they got none."""
    bodies = [m.body for m in mail.outbox if m.to == [user.email]]
    assert len(bodies) <= 1
    return bodies[0] if bodies else None


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


def test_a_red_request_is_in_the_digest_only_of_the_users_named_on_it(
    send: Callable[..., Message], serbian_ministry: Organisation, serbian_analyst: User
) -> None:
    named = with_address(serbian_analyst)
    colleague = with_address(add_user(serbian_ministry, "rs-colleague"))
    red = send(urgency="urgent_direct", tlp="RED", named_users=["rs-analyst"], now=LATE)
    amber = send(urgency="urgent_direct", tlp="AMBER", now=LATE)
    call_command("exchange_digest")
    to_named, to_colleague = digest_to(named), digest_to(colleague)
    assert to_named is not None and to_colleague is not None
    assert red.thread.reference in to_named and amber.thread.reference in to_named
    assert amber.thread.reference in to_colleague
    assert red.thread.reference not in to_colleague
    assert "1 request " in to_colleague  # the count is of what they may see, too
    call_command("exchange_digest")  # idempotent with one e-mail per user
    assert len(mail.outbox) == 2


def test_a_classified_request_is_in_the_digest_only_of_those_cleared_for_it(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
) -> None:
    sender = add_user(albanian_police, "al-confidential", clearance="CONFIDENTIAL")
    cleared = with_address(add_user(serbian_ministry, "rs-confidential", clearance="CONFIDENTIAL"))
    restricted = with_address(add_user(serbian_ministry, "rs-restricted", clearance="RESTRICTED"))
    confidential = send(sender, urgency="urgent_direct", classification="CONFIDENTIAL", now=LATE)
    call_command("exchange_digest")
    to_cleared = digest_to(cleared)
    assert to_cleared is not None and confidential.thread.reference in to_cleared
    assert digest_to(restricted) is None  # nothing they may see: no e-mail at all
    assert DigestSent.objects.get().overdue == 1


def test_the_organisations_own_address_is_told_the_count_and_no_reference(
    send: Callable[..., Message], serbian_ministry: Organisation, serbian_analyst: User
) -> None:
    """The functional mailbox is no user: it has no clearance and is named on nothing."""
    serbian_ministry.email = "registry@mup.example"
    serbian_ministry.save()
    red = send(urgency="urgent_direct", tlp="RED", named_users=["rs-analyst"], now=LATE)
    call_command("exchange_digest")
    (email,) = mail.outbox
    assert email.to == ["registry@mup.example"]
    assert "1 request received by Ministry of Interior of Serbia is past the deadline" in email.body
    assert red.thread.reference not in email.body and red.thread.reference not in email.subject


def test_the_digest_is_written_in_the_users_language(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    with_address(serbian_analyst)
    serbian_analyst.language = "sr-latn"
    serbian_analyst.save()
    late = send(urgency="urgent_direct", now=LATE)
    call_command("exchange_digest")
    (email,) = mail.outbox
    assert late.thread.reference in email.body
    assert "Direktive (EU) 2023/977" in email.body
