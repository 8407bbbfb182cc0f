"""Organisation API keys: shown once, stored hashed, scoped, revocable, with last-used time."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.utils import timezone

from firstline import policy
from firstline.accounts import apikeys, services
from firstline.accounts.models import ApiKey, Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory.models import Organisation


def test_an_org_admin_creates_a_key_on_the_page_and_sees_its_secret_once(
    signed_in, albanian_org_admin: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_org_admin)
    response = client.post(
        "/accounts/keys/",
        {
            "name": "case system",
            "role": "analyst",
            "clearance": "RESTRICTED",
            "scopes": ["directory.view"],
        },
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert re.fullmatch(r"fl_[0-9a-f]{10}_[A-Za-z0-9_-]{43}", secret)
    assert secret in response.content.decode()

    key = ApiKey.objects.get()
    assert key.organisation_id == albanian_org_admin.organisation_id
    assert key.created_by == albanian_org_admin
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values().get())  # only the digest is stored

    listing = client.get("/accounts/keys/").content.decode()
    assert key.prefix in listing and secret not in listing


def test_the_api_creates_a_key_and_returns_the_secret_only_then(
    signed_in, albanian_org_admin: User
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_org_admin)
    response = client.post(
        "/api/v1/accounts/keys",
        {
            "name": "sync",
            "role": "practitioner",
            "clearance": "UNCLASSIFIED",
            "scopes": ["directory.view"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith(f"fl_{body['prefix']}_")
    assert body["organisation"] == "al-asp-ctu"
    again = client.get(f"/api/v1/accounts/keys/{body['prefix']}").json()
    assert "key" not in again and body["key"] not in str(again)


def test_a_key_authenticates_as_its_organisation_with_its_role_and_clearance(
    client: Client, albanian_org_admin: User, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(albanian_org_admin, role="coordinator", clearance="UNCLASSIFIED")
    response = client.get("/api/v1/accounts/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json() == {
        "kind": "apikey",
        "label": f"apikey:{secret[3:13]}",
        "organisation": "al-asp-ctu",
        "role": "coordinator",
        "clearance": "UNCLASSIFIED",
        "scopes": ["accounts.view", "directory.view"],
    }


def test_a_key_reads_what_its_scopes_allow_and_nothing_else(
    client: Client, albanian_org_admin: User, serbian_ministry: Organisation, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    _, reader = make_key(albanian_org_admin, scopes=["directory.view"])
    _, outsider = make_key(albanian_org_admin, scopes=["audit.view"])
    listed = client.get("/api/v1/directory/organisations", **bearer(reader)).json()
    assert [o["key"] for o in listed["items"]] == ["al-asp-ctu", "rs-moi"]
    # without directory.view the policy shows nothing, as for a forgotten rule
    assert client.get("/api/v1/directory/organisations", **bearer(outsider)).json()["items"] == []


def test_a_key_without_directory_change_may_not_change_the_directory(
    albanian_org_admin: User, albanian_police: Organisation, make_key
) -> None:  # type: ignore[no-untyped-def]
    read_only, _ = make_key(albanian_org_admin, role="org_admin", scopes=["directory.view"])
    writer, _ = make_key(
        albanian_org_admin, role="org_admin", scopes=["directory.view", "directory.change"]
    )
    assert policy.can(albanian_org_admin, policy.CHANGE, albanian_police)
    assert not policy.can(apikeys.actor_for(read_only), policy.CHANGE, albanian_police)
    assert policy.can(apikeys.actor_for(writer), policy.CHANGE, albanian_police)
    assert not policy.visible_to(apikeys.actor_for(read_only), Organisation, policy.CHANGE).exists()


def test_no_directory_write_endpoint_accepts_a_key_without_directory_change(
    client: Client, albanian_org_admin: User, albanian_police: Organisation, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    """Walks the API for directory writes, so the endpoints being added are covered too."""
    from firstline.api import api

    _, secret = make_key(albanian_org_admin, role="org_admin", scopes=["directory.view"])
    writes = [
        (method.upper(), path)
        for path, operations in api.get_openapi_schema()["paths"].items()
        if path.startswith("/api/v1/directory/")
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]
    if not writes:
        pytest.skip("no directory write endpoint in this branch yet")
    before = list(Organisation.objects.values())
    for method, path in writes:
        url = re.sub(r"\{[^}]+\}", albanian_police.key, path)
        response = client.generic(
            method, url, "{}", content_type="application/json", **bearer(secret)
        )
        # an empty body may be refused as invalid before the scope is looked at; the
        # authorisation matrix sends real bodies. Either way nothing may be written.
        assert response.status_code in (403, 404, 422), (method, url, response.status_code)
    assert list(Organisation.objects.values()) == before


def test_a_revoked_key_gets_401_problem_json(
    client: Client, signed_in, albanian_org_admin: User, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    key, secret = make_key(albanian_org_admin)
    assert client.get("/api/v1/accounts/me", **bearer(secret)).status_code == 200
    admin = signed_in(albanian_org_admin)
    assert admin.post(f"/accounts/keys/{key.prefix}/revoke/").status_code == 302
    response = client.post(
        "/api/v1/accounts/keys", "{}", content_type="application/json", **bearer(secret)
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/accounts/me", **bearer(secret)).status_code == 401


def test_a_wrong_or_malformed_key_gets_401(
    client: Client, albanian_org_admin: User, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(albanian_org_admin)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    for token in (forged, "fl_nothing", "", secret + "x"):
        assert client.get("/api/v1/accounts/me", **bearer(token)).status_code == 401, token


def test_a_key_header_is_judged_alone_even_with_a_session(
    signed_in, albanian_org_admin: User, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    client: Client = signed_in(albanian_org_admin)
    assert client.get("/api/v1/accounts/me").status_code == 200
    assert (
        client.get("/api/v1/accounts/me", **bearer("fl_0000000000_" + "x" * 43)).status_code == 401
    )


def test_last_used_is_recorded_at_most_once_a_minute(
    albanian_org_admin: User, make_key, clock
) -> None:  # type: ignore[no-untyped-def]
    key, secret = make_key(albanian_org_admin)
    assert key.last_used_at is None
    assert apikeys.authenticate(secret, now=clock.now) is not None
    first = clock.now
    clock.advance(30)
    apikeys.authenticate(secret, now=clock.now)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    clock.advance(31)
    apikeys.authenticate(secret, now=clock.now)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == clock.now


def test_a_request_with_a_key_sets_last_used(
    client: Client, albanian_org_admin: User, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    key, secret = make_key(albanian_org_admin)
    before = timezone.now()
    client.get("/api/v1/accounts/me", **bearer(secret))
    used = ApiKey.objects.get(pk=key.pk).last_used_at
    assert used is not None and used >= before


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("role", Role.NODE_ADMIN, "a key can never act as node administrator"),
        ("clearance", "CONFIDENTIAL", "above your own clearance"),
        ("clearance", "TOP SECRET", "one of UNCLASSIFIED, RESTRICTED, CONFIDENTIAL"),
        ("scopes", ["directory.view", "nowhere.view"], "unknown scopes: nowhere.view"),
        ("scopes", [], "choose at least one scope"),
        ("name", "  ", "give the key a name saying which system uses it"),
    ],
)
def test_it_refuses_a_key_beyond_the_creator(
    albanian_org_admin: User, field: str, value: object, reason: str
) -> None:
    arguments: dict[str, object] = {
        "name": "x",
        "role": "analyst",
        "clearance": "RESTRICTED",
        "scopes": ["directory.view"],
        field: value,
    }
    with pytest.raises(Problem) as raised:
        services.create_api_key(actor=albanian_org_admin, **arguments)  # type: ignore[arg-type]
    assert {"field": field, "reason": reason} in raised.value.errors
    assert not ApiKey.objects.exists()


def test_the_api_names_the_field_of_a_refused_key(signed_in, albanian_org_admin: User) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(albanian_org_admin).post(
        "/api/v1/accounts/keys",
        {
            "name": "x",
            "role": "node_admin",
            "clearance": "RESTRICTED",
            "scopes": ["directory.view"],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "role", "reason": "a key can never act as node administrator"}
    ]


def test_people_who_are_not_administrators_manage_no_keys(
    signed_in, albanian_officer: User, albanian_org_admin: User, make_key
) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(albanian_org_admin)
    client: Client = signed_in(albanian_officer)
    assert client.get("/accounts/keys/").status_code == 403
    assert client.post(f"/accounts/keys/{key.prefix}/revoke/").status_code == 404
    assert client.get("/api/v1/accounts/keys").status_code == 403
    response = client.post(
        "/api/v1/accounts/keys",
        {"name": "x", "role": "analyst", "clearance": "RESTRICTED", "scopes": ["directory.view"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert ApiKey.objects.get().revoked_at is None


def test_an_org_admin_cannot_see_or_revoke_another_organisations_key(
    signed_in, albanian_org_admin: User, serbian_ministry: Organisation, make_key
) -> None:  # type: ignore[no-untyped-def]
    serbian_admin = User.objects.create_user(
        "rs-admin",
        password="x",
        organisation=serbian_ministry,
        role=Role.ORG_ADMIN,
        clearance="RESTRICTED",
    )
    key, _ = make_key(serbian_admin)
    client: Client = signed_in(albanian_org_admin)
    assert key.prefix not in client.get("/accounts/keys/").content.decode()
    assert client.get("/api/v1/accounts/keys").json()["items"] == []
    assert client.get(f"/api/v1/accounts/keys/{key.prefix}").status_code == 404
    assert client.post(f"/api/v1/accounts/keys/{key.prefix}/revoke").status_code == 404
    assert client.post(f"/accounts/keys/{key.prefix}/revoke/").status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_a_key_cannot_manage_keys(
    client: Client, albanian_org_admin: User, make_key, bearer
) -> None:  # type: ignore[no-untyped-def]
    key, secret = make_key(
        albanian_org_admin,
        role="org_admin",
        scopes=["accounts.view", "accounts.add", "accounts.change"],
    )
    assert client.get("/api/v1/accounts/keys", **bearer(secret)).status_code == 403
    response = client.post(
        "/api/v1/accounts/keys",
        {"name": "x", "role": "analyst", "clearance": "RESTRICTED", "scopes": ["directory.view"]},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 403
    assert (
        client.post(f"/api/v1/accounts/keys/{key.prefix}/revoke", **bearer(secret)).status_code
        == 404
    )
    assert ApiKey.objects.count() == 1


def test_creating_and_revoking_a_key_are_audited(albanian_org_admin: User, make_key, clock) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(albanian_org_admin)
    services.revoke_api_key(actor=albanian_org_admin, key=key, now=clock.now)
    services.revoke_api_key(
        actor=albanian_org_admin, key=key, now=clock.now + dt.timedelta(hours=1)
    )
    entries = list(
        AuditEntry.objects.order_by("seq").values_list(
            "operation", "outcome", "object_ids", "actor_user"
        )
    )
    assert entries == [
        (Operation.KEY_CHANGE, "created", [key.prefix], f"user:{albanian_org_admin.pk}"),
        (Operation.KEY_CHANGE, "revoked", [key.prefix], f"user:{albanian_org_admin.pk}"),
    ]
    assert ApiKey.objects.get().revoked_at == clock.now  # revoking twice keeps the first time


def test_a_node_admin_revokes_any_key_but_creates_none(
    signed_in, node_admin: User, albanian_org_admin: User, make_key
) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(albanian_org_admin)
    client: Client = signed_in(node_admin)
    assert key.prefix in client.get("/accounts/keys/").content.decode()
    assert (
        client.post(f"/api/v1/accounts/keys/{key.prefix}/revoke").json()["revoked_at"] is not None
    )
    assert not policy.can(node_admin, policy.ADD, ApiKey)
