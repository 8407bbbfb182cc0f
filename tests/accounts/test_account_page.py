"""The account page: profile, devices, recovery codes and password."""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from firstline.accounts.models import User
from firstline.accounts.services import recovery_code_digest
from firstline.audit.models import AuditEntry, Operation


def test_it_shows_the_profile_and_the_devices(signed_in, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    html = signed_in(albanian_officer).get("/accounts/me/").content.decode()
    assert "al-officer" in html
    assert "Albanian State Police, Counter-Terrorism Unit" in html
    assert "Analyst (law-enforcement officer)" in html
    assert "<caption>Your authenticator apps</caption>" in html
    assert "You have 0 recovery codes left." in html


def test_new_recovery_codes_replace_the_old_ones(
    signed_in, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_officer)
    first = client.post("/accounts/me/recovery-codes/").context["codes"]
    second = client.post("/accounts/me/recovery-codes/").context["codes"]
    assert len(second) == 10 and not set(first) & set(second)
    stored = set(
        StaticToken.objects.filter(device__user=albanian_officer).values_list("token", flat=True)
    )
    assert stored == {recovery_code_digest(c) for c in second}

    other = Client()
    password_step(other, "al-officer")
    assert other.post("/accounts/verify/", {"otp_token": first[0]}).status_code == 200
    # django-otp makes a device wait a second after a miss; that back-off is not tested here
    StaticDevice.objects.filter(user=albanian_officer).update(throttling_failure_count=0)
    assert other.post("/accounts/verify/", {"otp_token": second[0]}).status_code == 302
    assert [e.outcome for e in AuditEntry.objects.filter(operation=Operation.KEY_CHANGE)] == [
        "recovery_codes_regenerated",
        "recovery_codes_regenerated",
    ]


def test_recovery_codes_are_made_by_post_only(signed_in, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    assert signed_in(albanian_officer).get("/accounts/me/recovery-codes/").status_code == 405


def test_the_password_changes_and_the_session_stays_verified(
    signed_in, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_officer)
    response = client.post(
        "/accounts/me/password/",
        {
            "old_password": "correct horse battery staple",
            "new_password1": "an entirely new passphrase",
            "new_password2": "an entirely new passphrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=albanian_officer.pk).check_password("an entirely new passphrase")
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.get().outcome == "password_changed"


def test_a_wrong_old_password_changes_nothing(signed_in, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(albanian_officer).post(
        "/accounts/me/password/",
        {
            "old_password": "wrong",
            "new_password1": "an entirely new passphrase",
            "new_password2": "an entirely new passphrase",
        },
    )
    assert response.status_code == 400
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert User.objects.get(pk=albanian_officer.pk).check_password("correct horse battery staple")
    assert not AuditEntry.objects.exists()


def test_the_profile_is_saved_and_audited(signed_in, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_officer)
    response = client.post(
        "/accounts/me/profile/",
        {"first_name": "Ana", "last_name": "Example", "email": "ana@example.org"},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=albanian_officer.pk)
    assert (user.first_name, user.email) == ("Ana", "ana@example.org")
    assert AuditEntry.objects.get().operation == Operation.ALTER
    bad = client.post(
        "/accounts/me/profile/", {"first_name": "Ana", "last_name": "", "email": "nope"}
    )
    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.content.decode()


def test_administrators_find_their_pages_from_the_account_page(
    signed_in, albanian_org_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    assert "/accounts/keys/" in signed_in(albanian_org_admin).get("/accounts/me/").content.decode()
    assert (
        "/accounts/keys/" not in signed_in(albanian_officer).get("/accounts/me/").content.decode()
    )
