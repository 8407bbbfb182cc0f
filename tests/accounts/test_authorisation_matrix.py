"""The authorisation matrix: every actor x every endpoint x own versus another organisation's object.

The endpoints are discovered, not listed by hand: API operations from the OpenAPI schema, pages
from the URL resolver, admin screens from the admin site's registry. Every discovered endpoint
must have a row in the tables below, and every row must match an endpoint, so a new endpoint
fails ``test_every_*_is_declared`` until its author declares who may use it.

Reading a row::

    ("GET", "/api/v1/accounts/keys/{prefix}"): expect(401, default=404, org_admin=(200, 404), node_admin=200)

- the first number is the anonymous caller's status;
- ``default`` is every other actor's, unless the actor is named;
- a pair ``(own, other)`` gives the status with the path's object taken from the actor's own
  organisation and from another organisation; a single number applies to both;
- ``shows_other={...}, marker="..."`` (list endpoints) names the actors whose 200 response
  contains the other organisation's object; for everyone else it must not appear.

Actors: one signed-in user (both factors) per role in the home organisation (Albanian State
Police), the node administrator (staff, no organisation), and two API keys of the home
organisation acting as its administrator, one with every ``*.view`` scope and one with every
scope. API keys do not apply to pages. The other organisation is the Serbian ministry.

Adding an endpoint: add its row; if its path has a parameter the tables have not met, say in
``OBJECTS`` how to find the own and the other organisation's object for it; for a body, pass
``body=``. Each request runs in a savepoint that is rolled back, so writes do not leak between
cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts import apikeys, services
from firstline.accounts.models import ApiKey, Role, User
from firstline.api import api
from firstline.core.models import WorkerHeartbeat
from firstline.directory.models import Organisation

ROLES = ("practitioner", "coordinator", "analyst", "dpo", "org_admin", "node_admin")
KEYS = ("apikey_read", "apikey_write")
ACTORS = ("anonymous", *ROLES, *KEYS)
SIDES = ("own", "other")

Status = int | tuple[int, int]


@dataclass(frozen=True)
class Expect:
    anonymous: int
    default: Status
    by_actor: dict[str, Status] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    shows_other: frozenset[str] = frozenset()
    marker: str = ""

    def status(self, actor: str, side: str) -> int:
        if actor == "anonymous":
            return self.anonymous
        value = self.by_actor.get(actor, self.default)
        if isinstance(value, tuple):
            return value[SIDES.index(side)]
        return value


def expect(
    anonymous: int,
    *,
    default: Status,
    body: dict[str, Any] | None = None,
    shows_other: set[str] | frozenset[str] = frozenset(),
    marker: str = "",
    **by_actor: Status,
) -> Expect:
    unknown = set(by_actor) - set(ACTORS)
    assert not unknown, f"unknown actors in the table: {unknown}"
    return Expect(anonymous, default, by_actor, body, frozenset(shows_other), marker)


EVERYONE_SIGNED_IN = frozenset({*ROLES, *KEYS})
NEW_KEY = {
    "name": "matrix",
    "role": "analyst",
    "clearance": "RESTRICTED",
    "scopes": ["directory.view"],
}

# --- the API, one row per operation of the OpenAPI schema ------------------------------------------

API: dict[tuple[str, str], Expect] = {
    ("GET", "/api/v1/directory/organisations"): expect(
        401, default=200, shows_other=EVERYONE_SIGNED_IN, marker="key"
    ),
    ("GET", "/api/v1/accounts/me"): expect(401, default=200),
    ("GET", "/api/v1/accounts/keys"): expect(
        401, default=403, org_admin=200, node_admin=200, shows_other={"node_admin"}, marker="prefix"
    ),
    ("POST", "/api/v1/accounts/keys"): expect(401, default=403, org_admin=201, body=NEW_KEY),
    ("GET", "/api/v1/accounts/keys/{prefix}"): expect(
        401, default=404, org_admin=(200, 404), node_admin=200
    ),
    ("POST", "/api/v1/accounts/keys/{prefix}/revoke"): expect(
        401, default=404, org_admin=(200, 404), node_admin=200
    ),
    ("PATCH", "/api/v1/accounts/users/{user_id}/access"): expect(
        401, default=404, org_admin=(200, 404), node_admin=200, body={"role": "coordinator"}
    ),
}

# --- pages, one row per (method, URL name); GET of a POST-only page is 405 once signed in --------

PAGES: dict[tuple[str, str], Expect] = {
    ("GET", "core:dashboard"): expect(302, default=200),
    ("GET", "core:healthz"): expect(200, default=200),
    ("GET", "core:readyz"): expect(200, default=200),
    ("GET", "accounts:login"): expect(200, default=302),  # signed in: sent on
    ("GET", "accounts:logout"): expect(405, default=405),  # POST only
    ("GET", "accounts:verify"): expect(302, default=302),  # verified already: sent on
    ("GET", "accounts:enrol"): expect(302, default=302),  # has a device: sent to the account
    ("GET", "accounts:account"): expect(302, default=200),
    ("GET", "accounts:profile"): expect(302, default=405),
    ("GET", "accounts:password"): expect(302, default=405),
    ("GET", "accounts:recovery_codes"): expect(302, default=405),
    ("GET", "accounts:api_keys"): expect(
        302, default=403, org_admin=200, node_admin=200, shows_other={"node_admin"}, marker="prefix"
    ),
    ("POST", "accounts:api_keys"): expect(302, default=403, org_admin=200, body=NEW_KEY),
    ("GET", "accounts:revoke_api_key"): expect(302, default=405),
    ("POST", "accounts:revoke_api_key"): expect(
        302, default=404, org_admin=(302, 404), node_admin=302
    ),
    ("GET", "accounts:users"): expect(
        302,
        default=403,
        org_admin=200,
        node_admin=200,
        shows_other={"node_admin"},
        marker="username",
    ),
    ("GET", "accounts:change_user_access"): expect(302, default=405),
    ("POST", "accounts:change_user_access"): expect(
        302, default=404, org_admin=(302, 404), node_admin=302
    ),
    ("GET", "directory:organisations"): expect(
        302, default=200, shows_other=set(ROLES), marker="key"
    ),
    ("GET", "directory:organisation"): expect(302, default=200),
    ("GET", "directory:networks"): expect(302, default=200),
    ("POST", "set_language"): expect(302, default=302, body={"language": "sq", "next": "/"}),
    ("GET", "api:openapi-json"): expect(200, default=200),
    ("GET", "api:openapi-view"): expect(200, default=200),
    ("GET", "api:api-root"): expect(404, default=404),
    ("GET", "admin:index"): expect(302, default=403, node_admin=200),
}

# --- the admin site: the node administrator's status on each registered model's list -------------
# (everyone else: 403 signed in, 302 to sign-in when anonymous). A model without a policy rule
# shows nothing, so its list is refused even to the node administrator.

ADMIN_MODELS: dict[str, int] = {
    "accounts.user": 200,
    "accounts.apikey": 200,
    "accounts.loginthrottle": 200,
    "otp_totp.totpdevice": 200,
    "otp_static.staticdevice": 200,
    "auth.group": 403,
    "django_tasks_database.dbtaskresult": 403,
}

# Admin URL names other than the model screens, reached only through the rows above.
ADMIN_OTHER_NAMES = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
    "auth_user_password_change",
}

# --- how to find the own and the other organisation's object for each path parameter -------------


@dataclass
class World:
    home: Organisation
    abroad: Organisation
    users: dict[str, User]
    sessions: dict[str, str]
    secrets: dict[str, str]
    keys: dict[str, ApiKey]
    targets: dict[str, User]


OBJECTS: dict[str, Callable[[World, str], Any]] = {
    "key": lambda w, side: (w.home if side == "own" else w.abroad).key,
    "prefix": lambda w, side: w.keys[side].prefix,
    "user_id": lambda w, side: w.targets[side].pk,
    "username": lambda w, side: w.targets[side].username,
}


def _user(org: Organisation | None, role: str, name: str, **extra: Any) -> User:
    user = User.objects.create_user(
        username=name, password="x", organisation=org, role=role, clearance="RESTRICTED", **extra
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def world(albanian_police: Organisation, serbian_ministry: Organisation) -> World:
    home, abroad = albanian_police, serbian_ministry
    users = {role: _user(home, role, f"home-{role}") for role in ROLES if role != Role.NODE_ADMIN}
    users["node_admin"] = _user(None, Role.NODE_ADMIN, "node-admin", is_staff=True)
    abroad_admin = _user(abroad, Role.ORG_ADMIN, "abroad-admin")
    targets = {
        "own": _user(home, Role.PRACTITIONER, "home-target"),
        "other": _user(abroad, Role.PRACTITIONER, "abroad-target"),
    }

    sessions = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        sessions[name] = session.session_key

    def key(creator: User, scopes: list[str], name: str) -> tuple[ApiKey, str]:
        return services.create_api_key(
            actor=creator, name=name, role=Role.ORG_ADMIN, clearance="RESTRICTED", scopes=scopes
        )

    every = apikeys.available_scopes()
    secrets = {
        "apikey_read": key(users["org_admin"], [s for s in every if s.endswith(".view")], "read")[
            1
        ],
        "apikey_write": key(users["org_admin"], every, "write")[1],
    }
    keys = {
        "own": key(users["org_admin"], ["directory.view"], "own object")[0],
        "other": key(abroad_admin, ["directory.view"], "other object")[0],
    }
    WorkerHeartbeat.objects.create(worker_id="matrix", seen_at=timezone.now())
    return World(home, abroad, users, sessions, secrets, keys, targets)


# --- discovery ---------------------------------------------------------------------------------


def api_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(p for p in (namespace, pattern.namespace or "") if p)
            found += _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            found.append((name, prefix + str(pattern.pattern)))
    return found


def page_names() -> set[str]:
    """URL names of pages: everything but API operations (covered by ``API``) and admin screens
    (covered by ``ADMIN_MODELS``)."""
    operations = {re.sub(r"\{(\w+)\}", r"<\1>", path) for _, path in api_operations()}
    names = set()
    for name, route in _walk(get_resolver().url_patterns):
        if name.startswith("api:") and "/" + route in operations:
            continue
        if name.startswith("admin:"):
            continue
        names.add(name)
    return names


def admin_models() -> set[str]:
    return {model._meta.label_lower for model in admin.site._registry}


# --- the declarations match what exists ---------------------------------------------------------


def test_every_api_operation_is_declared() -> None:
    undeclared = sorted(api_operations() - set(API))
    stale = sorted(set(API) - api_operations())
    assert undeclared == [], f"declare who may call these in API: {undeclared}"
    assert stale == [], f"these rows match no operation any more: {stale}"


def test_every_page_is_declared() -> None:
    declared = {name for _, name in PAGES}
    undeclared = sorted(page_names() - declared)
    stale = sorted(declared - page_names() - {"admin:index"})
    assert undeclared == [], f"declare who may open these in PAGES: {undeclared}"
    assert stale == [], f"these rows match no page any more: {stale}"


def test_every_admin_screen_is_declared() -> None:
    undeclared = sorted(admin_models() - set(ADMIN_MODELS))
    assert undeclared == [], (
        f"declare the node administrator's access in ADMIN_MODELS: {undeclared}"
    )
    assert sorted(set(ADMIN_MODELS) - admin_models()) == []
    model_screen = re.compile(
        r"^admin:[a-z0-9_]+_[a-z0-9_]+_(changelist|add|history|delete|change|config|qrcode)$"
    )
    other = {
        name.removeprefix("admin:")
        for name, _ in _walk(get_resolver().url_patterns)
        if name.startswith("admin:") and name != "admin:None" and not model_screen.match(name)
    }
    assert other <= ADMIN_OTHER_NAMES, (
        f"new admin screens to declare: {sorted(other - ADMIN_OTHER_NAMES)}"
    )


# --- the matrix ---------------------------------------------------------------------------------


def _client(world: World, actor: str) -> tuple[Client, dict[str, str]]:
    client = Client()
    headers: dict[str, str] = {}
    if actor in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[actor]
    elif actor in world.secrets:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.secrets[actor]}"
    return client, headers


def _request(
    world: World, actor: str, method: str, url: str, row: Expect, json: bool
) -> tuple[int, str]:
    client, headers = _client(world, actor)
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, **headers)
        elif json:
            response = client.generic(
                method, url, _json(row.body or {}), content_type="application/json", **headers
            )
        else:
            response = client.generic(
                method,
                url,
                _form(row.body or {}),
                content_type="application/x-www-form-urlencoded",
                **headers,
            )
        transaction.set_rollback(True)
    return response.status_code, response.content.decode(errors="replace")


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body)


def _form(body: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(body, doseq=True)


def _check(
    world: World,
    row: Expect,
    actors: tuple[str, ...],
    url_for: Callable[[str], str],
    params: list[str],
    method: str,
    json: bool,
) -> list[str]:
    failures = []
    for actor in actors:
        for side in SIDES if params else ("own",):
            url = url_for(side)
            wanted = row.status(actor, side)
            got, body = _request(world, actor, method, url, row, json)
            if got != wanted:
                failures.append(
                    f"{actor:>13} {side:<5} {method} {url}: expected {wanted}, got {got}"
                )
            elif got == 200 and row.marker:
                other = str(OBJECTS[row.marker](world, "other"))
                shown = other in body
                if shown != (actor in row.shows_other):
                    verb = "shows" if shown else "hides"
                    failures.append(
                        f"{actor:>13} {method} {url}: {verb} the other organisation's {row.marker} {other}"
                    )
    return failures


def _path_url(path: str, world: World, side: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in OBJECTS, (
            f"say in OBJECTS how to find the own and other object for {{{name}}}"
        )
        return str(OBJECTS[name](world, side))

    return re.sub(r"\{(\w+)\}", value, path)


@pytest.mark.parametrize(("method", "path"), sorted(API), ids=[f"{m} {p}" for m, p in sorted(API)])
def test_api_matrix(world: World, method: str, path: str) -> None:
    row = API[(method, path)]
    params = re.findall(r"\{(\w+)\}", path)
    failures = _check(
        world, row, ACTORS, lambda side: _path_url(path, world, side), params, method, json=True
    )
    assert failures == [], "\n" + "\n".join(failures)


def _page_url(name: str, world: World, side: str) -> tuple[str, list[str]]:
    route = next(r for n, r in _walk(get_resolver().url_patterns) if n == name)
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    for param in params:
        assert param in OBJECTS, (
            f"say in OBJECTS how to find the own and other object for <{param}>"
        )
    kwargs = {param: OBJECTS[param](world, side) for param in params}
    return reverse(name, kwargs=kwargs or None), params


@pytest.mark.parametrize(
    ("method", "name"), sorted(PAGES), ids=[f"{m} {n}" for m, n in sorted(PAGES)]
)
def test_page_matrix(world: World, method: str, name: str) -> None:
    row = PAGES[(method, name)]
    _, params = _page_url(name, world, "own")
    actors = ("anonymous", *ROLES)  # API keys do not open pages
    failures = _check(
        world, row, actors, lambda side: _page_url(name, world, side)[0], params, method, json=False
    )
    assert failures == [], "\n" + "\n".join(failures)


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_admin_matrix(world: World, label: str) -> None:
    app_label, model_name = label.split(".")
    row = expect(302, default=403, node_admin=ADMIN_MODELS[label])
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    failures = _check(world, row, ("anonymous", *ROLES), lambda side: url, [], "GET", json=False)
    assert failures == [], "\n" + "\n".join(failures)
