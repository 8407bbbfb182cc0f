"""Enrolment of the authenticator app, and recovery codes shown once."""

from __future__ import annotations

import base64
import re

from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import User
from firstline.accounts.services import recovery_code_digest
from firstline.audit.models import AuditEntry, Operation


def _without_device(user: User) -> User:
    TOTPDevice.objects.filter(user=user).delete()
    return user


def test_an_account_without_a_device_is_sent_to_enrolment(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    _without_device(albanian_officer)
    response = password_step(client, "al-officer")
    assert response["Location"] == "/accounts/enrol/"
    for path in ("/", "/accounts/verify/", "/accounts/me/"):
        assert client.get(path)["Location"].startswith("/accounts/enrol/"), path


def test_the_enrolment_page_shows_a_qr_code_and_the_secret(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    _without_device(albanian_officer)
    password_step(client, "al-officer")
    response = client.get("/accounts/enrol/")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        r'<img class="qr" src="data:image/svg\+xml;charset=utf-8,[^"]+" alt="[^"]+"', html
    )
    device = TOTPDevice.objects.get(user=albanian_officer, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', html)
    assert shown is not None and shown.group(1).replace(" ", "") == secret
    # reloading keeps the same secret, so a half-done scan is not lost
    client.get("/accounts/enrol/")
    assert TOTPDevice.objects.filter(user=albanian_officer).count() == 1


def test_it_confirms_the_device_and_shows_ten_recovery_codes_once(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    _without_device(albanian_officer)
    password_step(client, "al-officer")
    client.get("/accounts/enrol/")
    device = TOTPDevice.objects.get(user=albanian_officer)

    response = client.post("/accounts/enrol/", {"otp_token": totp_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    html = response.content.decode()
    assert all(code in html for code in codes)
    stored = StaticToken.objects.filter(device__user=albanian_officer).values_list(
        "token", flat=True
    )
    assert sorted(recovery_code_digest(c) for c in codes) == sorted(stored)
    assert not set(codes) & set(stored)  # only digests are kept, never the codes
    device.refresh_from_db()
    assert device.confirmed
    # enrolling completes the sign-in
    assert client.get("/").status_code == 200
    assert [e.operation for e in AuditEntry.objects.order_by("seq")] == [
        Operation.KEY_CHANGE,
        Operation.LOGIN,
    ]
    # the codes are not shown again anywhere
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/me/"
    account = client.get("/accounts/me/").content.decode()
    assert not any(code in account for code in codes)
    assert "You have 10 recovery codes left." in account


def test_a_wrong_code_does_not_confirm_the_device(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    _without_device(albanian_officer)
    password_step(client, "al-officer")
    client.get("/accounts/enrol/")
    device = TOTPDevice.objects.get(user=albanian_officer)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/enrol/", {"otp_token": wrong})
    assert response.status_code == 200
    assert "the code does not match" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert not StaticDevice.objects.filter(user=albanian_officer).exists()
    assert client.get("/")["Location"].startswith("/accounts/enrol/")


def test_recovery_codes_from_enrolment_work_at_the_second_step(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    _without_device(albanian_officer)
    password_step(client, "al-officer")
    client.get("/accounts/enrol/")
    codes = client.post(
        "/accounts/enrol/", {"otp_token": totp_code(TOTPDevice.objects.get(user=albanian_officer))}
    ).context["codes"]

    later = Client()
    password_step(later, "al-officer")
    assert later.post("/accounts/verify/", {"otp_token": codes[3]}).status_code == 302
    assert later.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=albanian_officer).count() == 9


def test_a_password_alone_cannot_enrol_a_new_device_over_recovery_codes(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    _without_device(albanian_officer)
    static = StaticDevice.objects.create(
        user=albanian_officer, name="Recovery codes", confirmed=True
    )
    StaticToken.objects.create(device=static, token=recovery_code_digest("abcd2345"))
    password_step(client, "al-officer")
    response = client.get("/accounts/enrol/")
    assert response["Location"] == "/accounts/verify/"
    assert not TOTPDevice.objects.filter(user=albanian_officer).exists()


def test_an_account_with_a_device_cannot_enrol_another_before_verifying(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer")
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/verify/"
    assert (
        client.post("/accounts/enrol/", {"otp_token": "123456"})["Location"] == "/accounts/verify/"
    )
    assert TOTPDevice.objects.filter(user=albanian_officer).count() == 1


def test_codes_stored_as_written_before_are_hashed_by_the_migration(
    albanian_officer: User,
) -> None:
    from importlib import import_module

    from django.apps import apps

    from firstline.accounts.services import check_second_factor

    migration = import_module("firstline.accounts.migrations.0004_hash_recovery_codes")
    _without_device(albanian_officer)
    device = StaticDevice.objects.create(
        user=albanian_officer, name="Recovery codes", confirmed=True
    )
    StaticToken.objects.create(device=device, token="abcd2345")
    migration.hash_codes(apps, None)
    migration.hash_codes(apps, None)  # twice is harmless: digests are left alone
    assert list(device.token_set.values_list("token", flat=True)) == [
        recovery_code_digest("abcd2345")
    ]
    assert check_second_factor(albanian_officer, "ABCD 2345").device == device
    assert not device.token_set.exists()  # used up
