"""Lockout with back-off after repeated failures, per username and per address."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts import lockout, services
from firstline.accounts.models import LoginThrottle, ThrottleKind, User


@pytest.fixture(autouse=True)
def _lockout_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOCKOUT_THRESHOLD = 3
    settings.LOCKOUT_BASE_SECONDS = 60
    settings.LOCKOUT_MAX_SECONDS = 600


def fail(username: str, address: str, now: dt.datetime) -> lockout.Lock | None:
    return services.record_login_failure(
        username=username, address=address, user=None, step="password", now=now
    )


def test_it_locks_a_username_at_the_threshold_and_doubles_the_wait(db: None, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now
    assert fail("ana", "10.0.0.1", clock.now) is None
    assert fail("ana", "10.0.0.2", clock.now) is None
    third = fail("ana", "10.0.0.3", clock.now)
    assert third is not None and third.until == start + dt.timedelta(seconds=60)

    clock.advance(59)
    assert lockout.current_lock("ana", "10.0.0.9", clock.now) is not None
    clock.advance(1)
    assert lockout.current_lock("ana", "10.0.0.9", clock.now) is None

    waits = []
    for _ in range(4):
        lock = fail("ana", "10.0.0.4", clock.now)
        assert lock is not None
        waits.append((lock.until - clock.now).total_seconds())
        clock.now = lock.until
    assert waits == [120, 240, 480, 600]  # doubling, capped at LOCKOUT_MAX_SECONDS


def test_usernames_are_counted_whether_or_not_they_exist(albanian_officer: User, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        fail("al-officer", "10.0.0.1", clock.now)
        fail("no-such-user", "10.0.0.2", clock.now)
    assert lockout.current_lock("al-officer", "192.0.2.1", clock.now) is not None
    assert lockout.current_lock("no-such-user", "192.0.2.1", clock.now) is not None
    assert lockout.current_lock("AL-Officer ", "192.0.2.1", clock.now) is not None


def test_an_address_is_locked_after_spraying_many_usernames(db: None, clock) -> None:  # type: ignore[no-untyped-def]
    allowed = lockout.threshold(ThrottleKind.ADDRESS)
    for n in range(allowed - 1):
        assert fail(f"user{n}", "203.0.113.7", clock.now) is None
    assert fail("one-more", "203.0.113.7", clock.now) is not None
    assert lockout.current_lock("a-fresh-name", "203.0.113.7", clock.now) is not None
    assert lockout.current_lock("a-fresh-name", "203.0.113.8", clock.now) is None


def test_a_full_sign_in_clears_the_username_but_not_the_address(
    albanian_officer: User, clock
) -> None:  # type: ignore[no-untyped-def]
    fail("al-officer", "10.0.0.1", clock.now)
    fail("al-officer", "10.0.0.1", clock.now)
    services.record_login(user=albanian_officer, now=clock.now)
    assert not LoginThrottle.objects.filter(kind=ThrottleKind.USERNAME).exists()
    assert LoginThrottle.objects.get(kind=ThrottleKind.ADDRESS).failures == 2


def test_failures_are_forgotten_after_a_quiet_day(db: None, clock) -> None:  # type: ignore[no-untyped-def]
    fail("ana", "10.0.0.1", clock.now)
    fail("ana", "10.0.0.1", clock.now)
    clock.advance(lockout.FORGET_AFTER.total_seconds() + 1)
    assert fail("ana", "10.0.0.1", clock.now) is None
    assert LoginThrottle.objects.get(kind=ThrottleKind.USERNAME).failures == 1


def test_the_refusal_says_when_to_try_again(db: None, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        lock = fail("ana", "10.0.0.1", clock.now)
    assert lock is not None
    local = timezone.localtime(lock.until).strftime("%H:%M:%S")
    message = lock.message(clock.now)
    assert message == f"Too many failed sign-in attempts. Try again after {local} (in 60 seconds)."
    assert "in 10 minutes" in lockout.Lock(until=clock.now + dt.timedelta(seconds=600)).message(
        clock.now
    )


def test_a_locked_username_is_refused_even_with_the_right_password(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        assert password_step(client, "al-officer", "wrong").status_code in (200, 429)
    response = password_step(client, "al-officer")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed sign-in attempts. Try again after" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_page_answers_the_same_for_a_locked_unknown_username(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    for name in ("al-officer", "nobody"):
        for _ in range(3):
            password_step(Client(REMOTE_ADDR=f"10.1.0.{len(name)}"), name, "wrong")
    known = password_step(Client(REMOTE_ADDR="10.2.0.1"), "al-officer", "wrong")
    unknown = password_step(Client(REMOTE_ADDR="10.2.0.2"), "nobody", "wrong")
    assert known.status_code == unknown.status_code == 429

    def message(response) -> str:  # type: ignore[no-untyped-def]
        # the two locks began a moment apart: compare the words, not the clock times
        return re.sub(r"\d+", "N", " ".join(response.context["form"].non_field_errors()))

    assert message(known) == message(unknown)
    assert message(known).startswith("Too many failed sign-in attempts. Try again after N:N:N")


def test_wrong_codes_at_the_second_step_count_too(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.get(user=albanian_officer)
    assert password_step(client, "al-officer").status_code == 302
    good = totp_code(device)
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    statuses = []
    for _ in range(3):
        # django-otp's own per-device back-off would refuse a quick retry; this test is
        # about our counter, so lift the device's before each try
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        statuses.append(client.post("/accounts/verify/", {"otp_token": wrong}).status_code)
    assert statuses == [200, 200, 429]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post("/accounts/verify/", {"otp_token": good})
    assert response.status_code == 429  # even the right code waits for the lock
    assert client.get("/").status_code == 302
    # and a fresh password attempt from elsewhere is refused as well
    assert password_step(Client(REMOTE_ADDR="10.9.9.9"), "al-officer").status_code == 429


def test_the_client_address_comes_from_the_proxy_header_when_configured(rf, settings) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5", REMOTE_ADDR="127.0.0.1")
    assert lockout.client_address(request) == "127.0.0.1"
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    # the right-most entry is the one our proxy appended; the left ones the client can forge
    assert lockout.client_address(request) == "203.0.113.5"
