"""Changing a user's role and clearance: within what the administrator may grant, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from firstline.accounts import services
from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem


def test_an_org_admin_changes_a_colleagues_role_and_it_is_audited(
    albanian_org_admin: User, albanian_officer: User
) -> None:
    services.change_access(
        actor=albanian_org_admin,
        user=albanian_officer,
        role=Role.COORDINATOR,
        clearance="UNCLASSIFIED",
    )
    albanian_officer.refresh_from_db()
    assert (albanian_officer.role, albanian_officer.clearance) == (Role.COORDINATOR, "UNCLASSIFIED")
    entry = AuditEntry.objects.get()
    assert entry.operation == Operation.PERMISSION_CHANGE
    assert entry.actor_user == f"user:{albanian_org_admin.pk}"
    assert entry.object_ids == [str(albanian_officer.pk)]
    assert entry.outcome == "changed:role,clearance"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": Role.NODE_ADMIN}, "role"),
        ({"clearance": "CONFIDENTIAL"}, "clearance"),
        ({"clearance": "SECRET"}, "clearance"),
    ],
)
def test_an_org_admin_grants_nothing_above_themselves(
    albanian_org_admin: User, albanian_officer: User, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(Problem) as raised:
        services.change_access(actor=albanian_org_admin, user=albanian_officer, **changes)
    assert raised.value.errors[0]["field"] == field
    assert not AuditEntry.objects.exists()


def test_nobody_changes_their_own_access(albanian_org_admin: User) -> None:
    with pytest.raises(Problem) as raised:
        services.change_access(actor=albanian_org_admin, user=albanian_org_admin, role=Role.ANALYST)
    assert raised.value.status == 403


def test_an_org_admin_cannot_change_another_organisations_user(
    signed_in, albanian_org_admin: User, serbian_analyst: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_org_admin)
    response = client.patch(
        f"/api/v1/accounts/users/{serbian_analyst.pk}/access",
        {"role": "dpo"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert (
        client.post(f"/accounts/users/{serbian_analyst.pk}/access/", {"role": "dpo"}).status_code
        == 404
    )
    serbian_analyst.refresh_from_db()
    assert serbian_analyst.role == Role.ANALYST


def test_the_api_changes_access(
    signed_in, albanian_org_admin: User, albanian_officer: User
) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(albanian_org_admin).patch(
        f"/api/v1/accounts/users/{albanian_officer.pk}/access",
        {"role": "dpo"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": albanian_officer.pk,
        "username": "al-officer",
        "organisation": "al-asp-ctu",
        "role": "dpo",
        "clearance": "RESTRICTED",
    }


def test_the_users_page_lists_the_organisation_and_logs_the_consultation(
    signed_in, albanian_org_admin: User, albanian_officer: User, serbian_analyst: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_org_admin)
    html = client.get("/accounts/users/").content.decode()
    assert "al-officer" in html and "rs-analyst" not in html
    entry = AuditEntry.objects.get()
    assert entry.operation == Operation.CONSULT
    assert sorted(entry.object_ids) == sorted(
        [str(albanian_org_admin.pk), str(albanian_officer.pk)]
    )

    response = client.post(
        f"/accounts/users/{albanian_officer.pk}/access/",
        {
            f"u{albanian_officer.pk}-role": "coordinator",
            f"u{albanian_officer.pk}-clearance": "RESTRICTED",
        },
    )
    assert response.status_code == 302
    albanian_officer.refresh_from_db()
    assert albanian_officer.role == Role.COORDINATOR


def test_a_practitioner_has_no_users_page(signed_in, kumanovo_coordinator: User) -> None:  # type: ignore[no-untyped-def]
    assert signed_in(kumanovo_coordinator).get("/accounts/users/").status_code == 403


def test_making_someone_node_admin_makes_them_staff_and_back(
    node_admin: User, albanian_officer: User
) -> None:
    services.change_access(actor=node_admin, user=albanian_officer, role=Role.NODE_ADMIN)
    assert User.objects.get(pk=albanian_officer.pk).is_staff
    services.change_access(actor=node_admin, user=albanian_officer, role=Role.ANALYST)
    assert not User.objects.get(pk=albanian_officer.pk).is_staff
    assert [e.outcome for e in AuditEntry.objects.order_by("seq")] == [
        "changed:role,is_staff",
        "changed:role,is_staff",
    ]
