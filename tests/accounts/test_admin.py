"""The admin site: node administrators only, and every screen through the policy."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation


def _staff(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


def test_a_verified_staff_node_admin_reaches_the_admin(signed_in, node_admin: User) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(_staff(node_admin))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_everyone_else_is_refused(
    signed_in, node_admin: User, albanian_org_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    # a node admin without staff, an org admin even with staff and superuser flags
    User.objects.filter(pk=albanian_org_admin.pk).update(is_staff=True, is_superuser=True)
    for user in (node_admin, albanian_org_admin, albanian_officer):
        user.refresh_from_db()
        assert signed_in(user).get("/admin/").status_code == 403, user.username
        assert signed_in(user).get("/admin/accounts/user/").status_code == 403, user.username


def test_the_admin_has_no_sign_in_of_its_own(client: Client, db: None) -> None:
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/accounts/user/"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_a_node_admin_with_only_a_password_is_sent_to_the_second_step(
    client: Client, node_admin: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    _staff(node_admin)
    password_step(client, "node-admin")
    assert client.get("/admin/")["Location"].startswith("/accounts/verify/")


def test_models_without_a_policy_rule_show_nothing_even_to_the_node_admin(
    signed_in, node_admin: User
) -> None:  # type: ignore[no-untyped-def]
    Group.objects.create(name="legacy")
    client: Client = signed_in(_staff(node_admin))
    assert "/admin/auth/group/" not in client.get("/admin/").content.decode()
    assert client.get("/admin/auth/group/").status_code == 403


def test_devices_may_be_removed_but_not_added_by_hand(
    signed_in, node_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(_staff(node_admin))
    device = TOTPDevice.objects.get(user=albanian_officer)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_changing_a_role_in_the_admin_is_audited(
    signed_in, node_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(_staff(node_admin))
    form = {
        "username": "al-officer",
        "first_name": "Test",
        "last_name": "Al-Officer",
        "email": "",
        "language": "",
        "organisation": albanian_officer.organisation_id,
        "role": Role.DPO,
        "clearance": "RESTRICTED",
        "is_active": "on",
    }
    response = client.post(f"/admin/accounts/user/{albanian_officer.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=albanian_officer.pk).role == Role.DPO
    entry = AuditEntry.objects.get(operation=Operation.PERMISSION_CHANGE)
    assert entry.outcome == "changed:role"
    assert entry.object_ids == [str(albanian_officer.pk)]


def test_the_admin_never_shows_a_devices_secret(
    signed_in, node_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(_staff(node_admin))
    device = TOTPDevice.objects.get(user=albanian_officer)
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()


def test_the_admins_password_change_is_the_account_pages(signed_in, node_admin: User) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(_staff(node_admin)).get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"


def test_every_admin_screen_that_shows_records_logs_them(
    signed_in, node_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    """The admin is a way to read personal data too: lists, records, histories and delete
    confirmations each write one CONSULT entry naming what they showed."""
    client: Client = signed_in(_staff(node_admin))
    screens = {
        "/admin/accounts/user/": None,
        f"/admin/accounts/user/{albanian_officer.pk}/change/": [albanian_officer.pk],
        f"/admin/accounts/user/{albanian_officer.pk}/history/": [albanian_officer.pk],
        f"/admin/accounts/user/{albanian_officer.pk}/delete/": [albanian_officer.pk],
    }
    for path, expected_ids in screens.items():
        before = AuditEntry.objects.count()
        assert client.get(path).status_code == 200, path
        entries = list(AuditEntry.objects.filter(seq__gte=before, operation=Operation.CONSULT))
        assert len(entries) == 1, path
        entry = entries[0]
        assert entry.object_type == "accounts.user"
        assert entry.actor_user == f"user:{node_admin.pk}"
        if expected_ids is None:  # the list names every user it showed
            shown = set(User.objects.values_list("pk", flat=True))
            assert {int(i) for i in entry.object_ids} == shown
            assert f"user:{albanian_officer.pk}" in entry.subjects
        else:
            assert entry.object_ids == [str(i) for i in expected_ids]
            assert entry.subjects == [f"user:{albanian_officer.pk}"]


def test_an_admin_screen_that_shows_nothing_writes_nothing_and_posts_are_not_reads(
    signed_in, node_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(_staff(node_admin))
    before = AuditEntry.objects.count()
    assert client.get("/admin/accounts/user/?q=nobody-by-this-name").status_code == 200
    assert AuditEntry.objects.count() == before
