"""Look-ups the coordination endpoints share: natural keys to objects, or a Problem."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest

from firstline import policy
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network, Organisation, Person


def organisations(actor: Any, keys: Sequence[str], field: str) -> list[Organisation]:
    found = {o.key: o for o in policy.visible_to(actor, Organisation).filter(key__in=keys)}
    for key in keys:
        if key not in found:
            raise Problem.field(field, f"no organisation with the key {key!r}")
    return [found[k] for k in keys]


def organisation(actor: Any, key: str, field: str) -> Organisation:
    return organisations(actor, [key], field)[0]


def networks(actor: Any, keys: Sequence[str], field: str = "networks") -> list[Network]:
    found = {n.key: n for n in policy.visible_to(actor, Network).filter(key__in=keys)}
    for key in keys:
        if key not in found:
            raise Problem.field(field, f"no network with the key {key!r}")
    return [found[k] for k in keys]


def people(actor: Any, keys: Sequence[str], field: str = "people") -> list[Person]:
    found = {p.key: p for p in policy.visible_to(actor, Person).filter(key__in=keys)}
    for key in keys:
        if key not in found:
            raise Problem.field(field, f"no person with the key {key!r}")
    return [found[k] for k in keys]


def country(code: str | None, field: str = "country") -> Country | None:
    if not code:
        return None
    found = Country.objects.filter(code=code.upper()).first()
    if found is None:
        raise Problem.field(field, f"no country with the code {code!r}")
    return found


def actor_of(request: HttpRequest) -> Any:
    """The authenticated actor (a user or an API key) that django-ninja put on the request."""
    return request.auth  # type: ignore[attr-defined]
