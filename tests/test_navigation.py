"""Links between domains that a person follows: the audit log, their own history, public keys."""

from collections.abc import Callable

from django.test import Client

from firstline.accounts.models import Role, User
from firstline.directory.models import Organisation


def test_only_data_protection_officers_and_node_admins_see_the_audit_log_link(
    signed_in: Callable[[User], Client], albanian_officer: User, node_admin: User
) -> None:
    assert 'href="/audit/"' not in signed_in(albanian_officer).get("/").content.decode()
    assert 'href="/audit/"' in signed_in(node_admin).get("/").content.decode()
    albanian_officer.role = Role.DPO
    albanian_officer.save()
    assert 'href="/audit/"' in signed_in(albanian_officer).get("/").content.decode()


def test_the_account_page_links_to_the_users_own_access_history(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    client = signed_in(albanian_officer)
    assert 'href="/audit/me/"' in client.get("/accounts/me/").content.decode()
    assert client.get("/audit/me/").status_code == 200


def test_an_organisation_page_links_to_its_published_keys(
    signed_in: Callable[[User], Client], serbian_analyst: User, albanian_police: Organisation
) -> None:
    client = signed_in(serbian_analyst)
    page = client.get(f"/directory/organisations/{albanian_police.key}/").content.decode()
    assert f'href="/api/v1/exchange/keys/{albanian_police.key}"' in page
    keys = client.get(f"/api/v1/exchange/keys/{albanian_police.key}")
    assert keys.status_code == 200
