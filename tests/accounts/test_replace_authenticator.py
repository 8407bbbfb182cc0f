"""Replacing one's authenticator app (a new phone, or a lost one after a recovery code)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.accounts.conftest import PASSWORD

from firstline.accounts.models import User
from firstline.accounts.services import check_second_factor
from firstline.accounts.views import REPLACE_SESSION_KEY
from firstline.audit.models import AuditEntry, Operation


def test_the_password_again_then_a_new_app_replaces_the_old_one(
    signed_in: Callable[[User], Client], albanian_officer: User, totp_code
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(albanian_officer)
    old = TOTPDevice.objects.get(user=albanian_officer, confirmed=True)
    assert "Replace your authenticator app" in client.get("/accounts/me/").content.decode()

    wrong = client.post("/accounts/me/authenticator/", {"password": "not my password"})
    assert wrong.status_code == 400
    assert "This is not your password." in wrong.content.decode()
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/me/"  # still closed

    response = client.post("/accounts/me/authenticator/", {"password": PASSWORD})
    assert response["Location"] == "/accounts/enrol/"
    page = client.get("/accounts/enrol/")
    assert page.status_code == 200 and page.context["replacing"]
    new = TOTPDevice.objects.get(user=albanian_officer, confirmed=False)
    assert client.post("/accounts/enrol/", {"otp_token": "000000"}).status_code == 200
    assert TOTPDevice.objects.get(pk=old.pk).confirmed  # a wrong code changes nothing

    before = AuditEntry.objects.count()
    done = client.post("/accounts/enrol/", {"otp_token": totp_code(new)})
    codes = done.context["codes"]
    assert len(codes) == 10
    assert list(TOTPDevice.objects.filter(user=albanian_officer).values_list("pk", flat=True)) == [
        new.pk
    ]
    assert StaticToken.objects.filter(device__user=albanian_officer).count() == 10
    entry = AuditEntry.objects.get(seq__gte=before, operation=Operation.KEY_CHANGE)
    assert entry.outcome == "replaced"
    assert entry.object_ids == [str(new.pk), str(old.pk)]
    assert entry.subjects == [f"user:{albanian_officer.pk}"]
    # the old app's codes are worthless now, the new one's work; the window is closed
    assert check_second_factor(albanian_officer, totp_code(new, 1)).device is not None
    assert check_second_factor(albanian_officer, totp_code(old, 2)).device is None
    assert REPLACE_SESSION_KEY not in client.session
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/me/"


def test_the_window_closes_after_ten_minutes(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    client = signed_in(albanian_officer)
    client.post("/accounts/me/authenticator/", {"password": PASSWORD})
    session = client.session
    session[REPLACE_SESSION_KEY] = session[REPLACE_SESSION_KEY] - 601
    session.save()
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/me/"


def test_a_password_alone_cannot_replace_the_app(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    """Before the second factor, the replacement is not open: a stolen password is not enough."""
    password_step(client, "al-officer")
    response = client.post("/accounts/me/authenticator/", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/verify/")
    session = client.session
    assert REPLACE_SESSION_KEY not in session
    assert client.get("/accounts/enrol/")["Location"].startswith("/accounts/verify/")
    assert TOTPDevice.objects.filter(user=albanian_officer, confirmed=True).count() == 1
