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
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.accounts.matrix.api_rows import API
from tests.accounts.matrix.expectations import ACTORS, ROLES, SIDES, Expect, expect
from tests.accounts.matrix.page_rows import ADMIN_MODELS, ADMIN_OTHER_NAMES, PAGES
from tests.accounts.matrix.world import OBJECTS, World

from firstline.api import api

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
        # a file or a CSV export streams: read it inside the savepoint, like a browser would
        content = b"".join(response.streaming_content) if response.streaming else response.content
        transaction.set_rollback(True)
    return response.status_code, content.decode(errors="replace")


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
                other = str(_object(world, row.marker, "other"))
                shown = other in body
                if shown != (actor in row.shows_other):
                    verb = "shows" if shown else "hides"
                    failures.append(
                        f"{actor:>13} {method} {url}: {verb} the other organisation's {row.marker} {other}"
                    )
    return failures


def _object(world: World, name: str, side: str) -> Any:
    if name in OBJECTS:
        return OBJECTS[name](world, side)
    assert name in world.objects, f"say in OBJECTS how to find the own and other object for {name}"
    return world.objects[name][side]


def _path_url(path: str, world: World, side: str, row: Expect) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(_object(world, row.params.get(name, name), side))

    url = re.sub(r"\{(\w+)\}", value, path)
    return f"{url}?{row.query}" if row.query else url


@pytest.mark.parametrize(("method", "path"), sorted(API), ids=[f"{m} {p}" for m, p in sorted(API)])
def test_api_matrix(world: World, method: str, path: str) -> None:
    row = API[(method, path)]
    params = re.findall(r"\{(\w+)\}", path)
    failures = _check(
        world,
        row,
        ACTORS,
        lambda side: _path_url(path, world, side, row),
        params,
        method,
        json=True,
    )
    assert failures == [], "\n" + "\n".join(failures)


def _page_url(name: str, world: World, side: str, row: Expect) -> tuple[str, list[str]]:
    route = next(r for n, r in _walk(get_resolver().url_patterns) if n == name)
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    kwargs = {param: _object(world, row.params.get(param, param), side) for param in params}
    url = reverse(name, kwargs=kwargs or None)
    return (f"{url}?{row.query}" if row.query else url), params


@pytest.mark.parametrize(
    ("method", "name"), sorted(PAGES), ids=[f"{m} {n}" for m, n in sorted(PAGES)]
)
def test_page_matrix(world: World, method: str, name: str) -> None:
    row = PAGES[(method, name)]
    _, params = _page_url(name, world, "own", row)
    actors = ("anonymous", *ROLES)  # API keys do not open pages
    failures = _check(
        world,
        row,
        actors,
        lambda side: _page_url(name, world, side, row)[0],
        params,
        method,
        json=False,
    )
    assert failures == [], "\n" + "\n".join(failures)


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_admin_matrix(world: World, label: str) -> None:
    app_label, model_name = label.split(".")
    row = expect(302, default=403, node_admin=ADMIN_MODELS[label])
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    failures = _check(world, row, ("anonymous", *ROLES), lambda side: url, [], "GET", json=False)
    assert failures == [], "\n" + "\n".join(failures)
