"""Sign-in: a password, then a code from the authenticator app (or a recovery code)."""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import User
from firstline.accounts.services import recovery_code_digest
from firstline.audit.models import AuditEntry, Operation


def test_it_signs_in_with_password_then_a_real_totp_code(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    response = password_step(client, "al-officer", next="/directory/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/?next=%2Fdirectory%2F"

    # password alone opens nothing
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/directory/organisations").status_code == 401

    device = TOTPDevice.objects.get(user=albanian_officer)
    response = client.post(
        "/accounts/verify/?next=/directory/",
        {"otp_token": totp_code(device), "next": "/directory/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/directory/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/directory/organisations").status_code == 200


def test_a_successful_sign_in_is_audited_once_as_login(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer")
    client.post(
        "/accounts/verify/", {"otp_token": totp_code(TOTPDevice.objects.get(user=albanian_officer))}
    )
    entries = list(AuditEntry.objects.values_list("operation", "actor_user", "object_ids"))
    assert entries == [(Operation.LOGIN, f"user:{albanian_officer.pk}", [str(albanian_officer.pk)])]


def test_it_gives_the_same_answer_for_a_wrong_password_and_an_unknown_user(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    wrong_password = password_step(client, "al-officer", "not the password")
    unknown_user = password_step(client, "nobody-here", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert "The username or the password is not correct." in wrong_password.content.decode()
    assert (
        wrong_password.context["form"].non_field_errors()
        == unknown_user.context["form"].non_field_errors()
    )


def test_failed_logins_are_audited_without_the_typed_username(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer", "not the password")
    password_step(client, "my password typed in the wrong field", "x")
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.operation for e in entries] == [Operation.LOGIN_FAILED, Operation.LOGIN_FAILED]
    assert entries[0].object_ids == [str(albanian_officer.pk)]
    assert entries[0].outcome == "failed:password"
    assert entries[1].object_ids == []
    assert all("wrong field" not in e.canonical for e in entries)


def test_a_wrong_totp_code_is_refused_and_audited(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer")
    good = totp_code(TOTPDevice.objects.get(user=albanian_officer))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/verify/", {"otp_token": wrong})
    assert response.status_code == 200
    assert "That code is not correct" in response.content.decode()
    assert client.get("/").status_code == 302
    failure = AuditEntry.objects.get()
    assert (failure.operation, failure.outcome) == (Operation.LOGIN_FAILED, "failed:second_factor")


def test_a_totp_code_cannot_be_used_twice(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.get(user=albanian_officer)
    code = totp_code(device)
    password_step(client, "al-officer")
    assert client.post("/accounts/verify/", {"otp_token": code}).status_code == 302

    other = Client()
    password_step(other, "al-officer")
    response = other.post("/accounts/verify/", {"otp_token": code})
    assert response.status_code == 200
    assert other.get("/").status_code == 302


def test_a_recovery_code_works_once_instead_of_a_totp_code(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    device = StaticDevice.objects.create(
        user=albanian_officer, name="Recovery codes", confirmed=True
    )
    StaticToken.objects.create(device=device, token=recovery_code_digest("abcd2345"))
    password_step(client, "al-officer")
    # people copy codes with spaces and capitals
    assert client.post("/accounts/verify/", {"otp_token": "ABCD 2345"}).status_code == 302
    assert client.get("/").status_code == 200
    assert not StaticToken.objects.filter(device=device).exists()

    again = Client()
    password_step(again, "al-officer")
    assert again.post("/accounts/verify/", {"otp_token": "abcd2345"}).status_code == 200
    assert again.get("/").status_code == 302


def test_a_password_only_session_cannot_reach_the_account_page(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer")
    for path in ("/accounts/me/", "/accounts/keys/", "/accounts/users/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/verify/"), path
    response = client.post("/accounts/me/password/", {"old_password": "x"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"


def test_it_refuses_to_redirect_off_site_after_sign_in(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer")
    response = client.post(
        "/accounts/verify/",
        {
            "otp_token": totp_code(TOTPDevice.objects.get(user=albanian_officer)),
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"


def test_the_session_id_changes_when_the_second_factor_passes(
    client: Client, albanian_officer: User, password_step, totp_code
) -> None:  # type: ignore[no-untyped-def]
    password_step(client, "al-officer")
    after_password = client.session.session_key
    client.post(
        "/accounts/verify/", {"otp_token": totp_code(TOTPDevice.objects.get(user=albanian_officer))}
    )
    assert client.session.session_key != after_password


def test_a_demo_account_skips_the_second_factor_in_demo_mode(
    client: Client, albanian_officer: User, password_step, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    User.objects.filter(pk=albanian_officer.pk).update(is_demo=True)
    response = password_step(client, "al-officer")
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.get().operation == Operation.LOGIN


def test_a_demo_account_must_verify_outside_demo_mode(
    client: Client, albanian_officer: User, password_step, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    User.objects.filter(pk=albanian_officer.pk).update(is_demo=True)
    response = password_step(client, "al-officer")
    assert response["Location"].startswith("/accounts/verify/")
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/directory/organisations").status_code == 401


def test_a_demo_account_without_a_device_is_sent_to_enrol_outside_demo_mode(
    client: Client, albanian_officer: User, password_step, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    TOTPDevice.objects.filter(user=albanian_officer).delete()
    User.objects.filter(pk=albanian_officer.pk).update(is_demo=True)
    password_step(client, "al-officer")
    response = client.get("/directory/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/enrol/?next=%2Fdirectory%2F"


def test_an_ordinary_account_may_not_skip_in_demo_mode(
    client: Client, albanian_officer: User, password_step, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    password_step(client, "al-officer")
    assert client.get("/").status_code == 302
