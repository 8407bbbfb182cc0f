"""The policy door fails closed and lets the right people through."""

from django.test import Client

from firstline import policy
from firstline.accounts.models import User
from firstline.directory.models import Organisation


def test_anonymous_sees_no_organisations(albanian_police: Organisation) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not policy.visible_to(AnonymousUser(), Organisation).exists()


def test_org_admin_changes_own_organisation_only(
    albanian_org_admin: User, albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    assert policy.can(albanian_org_admin, policy.CHANGE, albanian_police)
    assert not policy.can(albanian_org_admin, policy.CHANGE, serbian_ministry)


def test_signed_in_user_reads_directory_api(
    signed_in, serbian_analyst: User, albanian_police: Organisation
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(serbian_analyst)
    response = client.get("/api/v1/directory/organisations")
    assert response.status_code == 200
    assert [o["key"] for o in response.json()["items"]] == ["al-asp-ctu", "rs-moi"]


def test_api_without_credentials_is_a_problem(client: Client, db: None) -> None:
    response = client.get("/api/v1/directory/organisations")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
