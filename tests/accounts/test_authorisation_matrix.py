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

import datetime as dt
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
    params: dict[str, str] = field(default_factory=dict)
    query: str = ""

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
    params: dict[str, str] | None = None,
    query: str = "",
    **by_actor: Status,
) -> Expect:
    unknown = set(by_actor) - set(ACTORS)
    assert not unknown, f"unknown actors in the table: {unknown}"
    return Expect(
        anonymous,
        default,
        by_actor,
        body,
        frozenset(shows_other),
        marker,
        dict(params or {}),
        query,
    )


EVERYONE_SIGNED_IN = frozenset({*ROLES, *KEYS})
# the events of the matrix start a month from today, 08:00 in Tirana (naive = the event's zone)
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(
    hour=8, minute=0, second=0, microsecond=0, tzinfo=None
)
HOME = "al-asp-ctu"
MESSAGE = {
    "recipients": ["mk-kumanovo"],
    "subject": "Matrix",
    "body": "Please confirm.",
    "message_type": "request",
    "urgency": "other",
    "tlp": "AMBER",
    "handling": "H0",
    "classification": "RESTRICTED",
    "evaluation": {"source": "B", "information": "2"},
}
SESSION = {
    "title": "Second session",
    "start": (START + dt.timedelta(hours=2)).isoformat(),
    "end": (START + dt.timedelta(hours=3)).isoformat(),
}
EVENT = {
    "kind": "national_workshop",
    "title": "Matrix workshop",
    "start": START.isoformat(),
    "end": (START + dt.timedelta(hours=8)).isoformat(),
    "timezone": "Europe/Tirane",
    "organisers": [HOME],
    "venue": "Tirana",
}
KNOWLEDGE_ITEM: dict[str, Any] = {
    "kind": "practice",
    "language": "en",
    "title": "Matrix practice",
    "fields": {
        "summary": "Teachers learn to notice and talk.",
        "description": "A training programme for teachers.",
        "aims": "Confident first-line practitioners.",
    },
    "tlp": "AMBER",
    "classification": "UNCLASSIFIED",
    "scope": "national",
}
ITEM = {
    "title": "Welcome",
    "start": START.isoformat(),
    "end": (START + dt.timedelta(minutes=30)).isoformat(),
}
ACTION = {
    "objective": "1",
    "code": "1.2",
    "title": "Matrix action",
    "owner": HOME,
    "level": "operational",
}
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
    # directory: read by every signed-in actor; changed by a node administrator, and by an
    # organisation administrator (or its key) within their organisation; networks: node only
    ("DELETE", "/api/v1/directory/focal-points/{focal_point_id}"): expect(
        401, default=403, org_admin=(204, 403), node_admin=204, apikey_write=(204, 403)
    ),
    ("DELETE", "/api/v1/directory/memberships/{membership_id}"): expect(
        401, default=403, org_admin=(204, 403), node_admin=204, apikey_write=(204, 403)
    ),
    ("DELETE", "/api/v1/directory/networks/{key}"): expect(
        401, default=403, node_admin=204, params={"key": "network"}
    ),
    ("DELETE", "/api/v1/directory/organisations/{key}"): expect(401, default=403, node_admin=409),
    ("DELETE", "/api/v1/directory/people/{key}"): expect(
        401,
        default=403,
        org_admin=(204, 403),
        node_admin=204,
        apikey_write=(204, 403),
        params={"key": "person_key"},
    ),
    ("DELETE", "/api/v1/directory/units/{key}"): expect(
        401,
        default=403,
        org_admin=(204, 403),
        node_admin=204,
        apikey_write=(204, 403),
        params={"key": "unit_key"},
    ),
    # audit: heads and proofs for any signed-in actor; entries answer everyone but show the
    # canonical form only of those the oversight policy allows (the rest as leaf hashes)
    ("GET", "/api/v1/audit/entries"): expect(401, default=200, query="start=0&end=1"),
    ("GET", "/api/v1/audit/key"): expect(200, default=200),
    ("GET", "/api/v1/audit/keys"): expect(200, default=200),
    ("GET", "/api/v1/audit/proof/consistency"): expect(401, default=200, query="first=1"),
    ("GET", "/api/v1/audit/proof/inclusion"): expect(401, default=200, query="leaf_index=0"),
    ("GET", "/api/v1/audit/tree-head"): expect(401, default=200),
    # coordination (TLP:AMBER objects): the organisations involved see them, node administrators
    # all; organisers (coordinator, org_admin) change them; the rest of the organisation 403
    ("GET", "/api/v1/coordination/actions"): expect(
        401, default=200, shows_other={"node_admin"}, marker="action_title"
    ),
    ("GET", "/api/v1/coordination/actions/{action_id}"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/actions/{action_id}/progress"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/dashboards/countries/{code}"): expect(
        401, default=200, marker="action_title"
    ),
    ("GET", "/api/v1/coordination/dashboards/networks/{key}"): expect(
        401, default=200, params={"key": "network"}, marker="action_title"
    ),
    ("GET", "/api/v1/coordination/events"): expect(
        401, default=200, shows_other={"node_admin"}, marker="event_title"
    ),
    ("GET", "/api/v1/coordination/events/{event_id}"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/events/{event_id}/event.ics"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/events/{event_id}/participants"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/events/{event_id}/registrations"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
    ),
    ("GET", "/api/v1/coordination/plans"): expect(
        401, default=200, shows_other={"node_admin"}, marker="plan"
    ),
    ("GET", "/api/v1/coordination/plans/{key}"): expect(
        401, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),
    ("GET", "/api/v1/coordination/plans/{key}/export"): expect(
        401, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),
    ("GET", "/api/v1/coordination/recommendations"): expect(
        401, default=200, shows_other={"node_admin"}, marker="rec_text"
    ),
    ("GET", "/api/v1/coordination/recommendations/{rec_id}"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/coordination/recommendations/{rec_id}/history"): expect(
        401, default=(200, 404), node_admin=200
    ),
    ("GET", "/api/v1/directory/countries"): expect(401, default=200),
    ("GET", "/api/v1/directory/countries/{code}"): expect(401, default=200),
    ("GET", "/api/v1/directory/focal-points"): expect(401, default=200),
    ("GET", "/api/v1/directory/focal-points/{focal_point_id}"): expect(401, default=200),
    ("GET", "/api/v1/directory/memberships"): expect(401, default=200),
    ("GET", "/api/v1/directory/memberships/{membership_id}"): expect(401, default=200),
    ("GET", "/api/v1/directory/networks"): expect(401, default=200),
    ("GET", "/api/v1/directory/networks/{key}"): expect(
        401, default=200, params={"key": "network"}
    ),
    ("GET", "/api/v1/directory/organisations/{key}"): expect(401, default=200),
    ("GET", "/api/v1/directory/people"): expect(
        401, default=200, shows_other=EVERYONE_SIGNED_IN, marker="person_key"
    ),
    ("GET", "/api/v1/directory/people/{key}"): expect(
        401, default=200, params={"key": "person_key"}
    ),
    ("GET", "/api/v1/directory/units"): expect(401, default=200),
    ("GET", "/api/v1/directory/units/{key}"): expect(401, default=200, params={"key": "unit_key"}),
    # exchange: only the sender and recipient organisations see a message (others 404); the node
    # administrator belongs to no organisation, so sees none and sends none
    ("GET", "/api/v1/exchange/keys/{org_key}"): expect(401, default=200),
    ("GET", "/api/v1/exchange/messages"): expect(
        401, default=200, marker="message_id", query="folder=sent"
    ),
    ("GET", "/api/v1/exchange/messages/{message_id}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/exchange/messages/{message_id}/attachments/{attachment_id}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/exchange/messages/{message_id}/envelope"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/exchange/permission-requests"): expect(401, default=200),
    ("GET", "/api/v1/exchange/search"): expect(
        401, default=200, marker="message_id", query="q=message&justification=matrix"
    ),
    ("GET", "/api/v1/exchange/threads/{reference}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("PATCH", "/api/v1/coordination/actions/{action_id}"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"title": "Changed action"},
    ),
    ("PATCH", "/api/v1/coordination/events/{event_id}"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"title": "Changed workshop"},
    ),
    ("PATCH", "/api/v1/coordination/recommendations/{rec_id}"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"text": "Changed recommendation"},
    ),
    ("PATCH", "/api/v1/directory/focal-points/{focal_point_id}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"topic": "CVE"},
    ),
    ("PATCH", "/api/v1/directory/memberships/{membership_id}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"role": "observer"},
    ),
    ("PATCH", "/api/v1/directory/networks/{key}"): expect(
        401,
        default=403,
        node_admin=200,
        body={"name": "Renamed network"},
        params={"key": "network"},
    ),
    ("PATCH", "/api/v1/directory/organisations/{key}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"acronym": "MX"},
    ),
    ("PATCH", "/api/v1/directory/people/{key}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"role": "Analyst"},
        params={"key": "person_key"},
    ),
    ("PATCH", "/api/v1/directory/units/{key}"): expect(
        401,
        default=403,
        org_admin=(200, 403),
        node_admin=200,
        apikey_write=(200, 403),
        body={"name": "Renamed unit"},
        params={"key": "unit_key"},
    ),
    # multipart uploads: the matrix sends JSON, so validation answers first (who may report
    # progress or import is tested in tests/coordination)
    ("POST", "/api/v1/coordination/actions/{action_id}/progress"): expect(401, default=422),
    ("POST", "/api/v1/coordination/events"): expect(
        401,
        default=403,
        coordinator=201,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body=EVENT,
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/attendance"): expect(
        401,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
        body={"attended": {}},
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/invitations"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"organisations": ["mk-kumanovo"]},
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/minutes"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"text": "New minutes."},
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/registrations"): expect(
        401, default=(201, 404), node_admin=201, apikey_read=(400, 404), apikey_write=(400, 404)
    ),
    ("POST", "/api/v1/coordination/events/{event_id}/sessions"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body=SESSION,
    ),
    ("POST", "/api/v1/coordination/plans"): expect(
        401,
        default=403,
        coordinator=201,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={
            "key": "matrix-plan",
            "kind": "national_action_plan",
            "title": "Matrix plan",
            "coordinator": HOME,
            "country": "AL",
        },
    ),
    ("POST", "/api/v1/coordination/plans/{key}/actions"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body=ACTION,
        params={"key": "plan"},
    ),
    ("POST", "/api/v1/coordination/plans/{key}/import"): expect(
        401, default=422, params={"key": "plan"}
    ),
    ("POST", "/api/v1/coordination/plans/{key}/objectives"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"code": "2", "title": "Resilience"},
        params={"key": "plan"},
    ),
    ("POST", "/api/v1/coordination/recommendations"): expect(
        401,
        default=403,
        coordinator=201,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"text": "Matrix recommendation", "level": "operational"},
    ),
    ("POST", "/api/v1/coordination/recommendations/{rec_id}/actions"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body={"plan": "own-plan", "objective": "1", "code": "1.3", "owner": HOME},
    ),
    ("POST", "/api/v1/coordination/registrations/{registration_id}/cancel"): expect(
        401,
        default=404,
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        apikey_write=(200, 404),
    ),
    ("POST", "/api/v1/coordination/sessions/{session_id}/items"): expect(
        401,
        default=(403, 404),
        coordinator=(201, 404),
        org_admin=(201, 404),
        node_admin=201,
        apikey_write=(201, 404),
        body=ITEM,
    ),
    ("POST", "/api/v1/directory/focal-points"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"country": "AL", "topic": "CVE", "person": "own-person"},
    ),
    ("POST", "/api/v1/directory/memberships"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"network": "other-net", "organisation": HOME, "role": "observer"},
    ),
    ("POST", "/api/v1/directory/networks"): expect(
        401,
        default=403,
        node_admin=201,
        body={"key": "matrix-net", "name": "Matrix network", "level": "operational"},
    ),
    ("POST", "/api/v1/directory/organisations"): expect(
        401,
        default=403,
        node_admin=201,
        body={
            "key": "matrix-org",
            "name": "Matrix organisation",
            "sector": "police",
            "level": "national",
            "country": "AL",
        },
    ),
    ("POST", "/api/v1/directory/people"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={
            "key": "matrix-person",
            "organisation": HOME,
            "given_name": "Ana",
            "family_name": "Matrix",
        },
    ),
    ("POST", "/api/v1/directory/units"): expect(
        401,
        default=403,
        org_admin=201,
        node_admin=201,
        apikey_write=201,
        body={"key": "matrix-unit", "name": "Matrix unit", "organisation": HOME},
    ),
    ("POST", "/api/v1/exchange/attachments"): expect(
        401, default=201, node_admin=403, apikey_read=403, query="name=notes.txt"
    ),
    ("POST", "/api/v1/exchange/messages"): expect(
        401, default=201, node_admin=403, apikey_read=403, body=MESSAGE
    ),
    ("POST", "/api/v1/exchange/messages/{message_id}/entities/{position}/correction"): expect(
        401,
        default=(200, 404),
        node_admin=404,
        apikey_read=(403, 404),
        body={"reason": "wrong date of birth"},
    ),
    # the own message was sent by the own organisation: only a recipient forwards (403)
    ("POST", "/api/v1/exchange/messages/{message_id}/forward"): expect(
        401, default=(403, 404), node_admin=404, body={"recipients": ["rs-moi"]}
    ),
    ("POST", "/api/v1/exchange/messages/{message_id}/recall"): expect(
        401,
        default=(200, 404),
        node_admin=404,
        apikey_read=(403, 404),
        body={"reason": "sent in error"},
    ),
    ("POST", "/api/v1/exchange/permission-requests/{request_id}/decision"): expect(
        401, default=(200, 404), node_admin=404, body={"approve": True}
    ),
    # knowledge (a TLP:AMBER practice for its national platform): the owner's country sees it,
    # the node administrator (no organisation, no country) does not; a DPO does not write
    ("GET", "/api/v1/knowledge/attachments/{key}"): expect(
        401, default=(200, 404), node_admin=404, params={"key": "knowledge_attachment"}
    ),
    ("GET", "/api/v1/knowledge/export.pdf"): expect(401, default=422),
    ("GET", "/api/v1/knowledge/items"): expect(401, default=200, marker="item_title"),
    ("GET", "/api/v1/knowledge/items/{item_id}"): expect(401, default=(200, 404), node_admin=404),
    ("GET", "/api/v1/knowledge/items/{item_id}/diff"): expect(401, default=422),
    ("GET", "/api/v1/knowledge/items/{item_id}/export.pdf"): expect(
        401, default=(200, 404), node_admin=404, apikey_read=404, apikey_write=404
    ),
    ("GET", "/api/v1/knowledge/items/{item_id}/versions"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/knowledge/items/{item_id}/versions/{number}"): expect(
        401, default=(200, 404), node_admin=404
    ),
    ("GET", "/api/v1/knowledge/translation-queue/{language}"): expect(401, default=200),
    ("POST", "/api/v1/knowledge/items"): expect(
        401, default=201, dpo=403, node_admin=403, apikey_read=403, body=KNOWLEDGE_ITEM
    ),
    ("POST", "/api/v1/knowledge/items/{item_id}/attachments"): expect(401, default=422),
    ("PUT", "/api/v1/knowledge/items/{item_id}"): expect(
        401,
        default=(200, 404),
        dpo=404,
        node_admin=404,
        apikey_read=404,
        body={**KNOWLEDGE_ITEM, "base_version": 1},
    ),
    ("PUT", "/api/v1/knowledge/items/{item_id}/translations/{language}"): expect(
        401,
        default=(200, 404),
        dpo=404,
        node_admin=404,
        apikey_read=404,
        apikey_write=404,
        body={"base_version": 1, "title": "Praktike", "fields": KNOWLEDGE_ITEM["fields"]},
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
    # page writes whose refusal matters most: removing people, recalling messages, cancelling
    # someone's registration
    ("POST", "directory:person_delete"): expect(
        302, default=403, org_admin=(302, 403), node_admin=302
    ),
    ("POST", "directory:unit_delete"): expect(
        302, default=403, org_admin=(302, 403), node_admin=302
    ),
    ("POST", "exchange:recall"): expect(
        302, default=(302, 404), node_admin=404, body={"reason": "sent in error"}
    ),
    ("POST", "coordination:registration_cancel"): expect(
        302,
        default=404,
        coordinator=(302, 404),
        org_admin=(302, 404),
        node_admin=302,
        params={"pk": "registration_id"},
    ),
    ("POST", "coordination:feed_token"): expect(302, default=302),
    ("GET", "audit:export"): expect(302, default=403, dpo=200, node_admin=200),  # audit/export.csv
    ("GET", "audit:me"): expect(302, default=200),  # audit/me/
    ("GET", "audit:proof"): expect(
        302, default=404, dpo=(200, 404), node_admin=200
    ),  # audit/entries/<int:seq>/proof.json
    ("GET", "audit:search"): expect(302, default=403, dpo=200, node_admin=200),  # audit/
    ("GET", "coordination:action"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "action_id"}
    ),  # coordination/actions/<int:pk>/
    ("GET", "coordination:action_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"key": "plan"},
    ),  # coordination/plans/<slug:key>/actions/new/
    ("GET", "coordination:action_edit"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "action_id"},
    ),  # coordination/actions/<int:pk>/edit/
    ("GET", "coordination:attendance"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/attendance/
    ("GET", "coordination:badge"): expect(
        302,
        default=404,
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "registration_id"},
    ),  # coordination/registrations/<int:pk>/badge/
    ("GET", "coordination:calendar"): expect(
        302, default=200, marker="event_title"
    ),  # coordination/calendar/
    ("GET", "coordination:check_in"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id", "token": "check_in_token"},
    ),  # coordination/events/<int:pk>/check-in/<str:token>/
    ("GET", "coordination:dashboard"): expect(
        302,
        default=200,
        shows_other={"node_admin"},
        params={"ref": "abroad_ref"},
        marker="action_title",
    ),  # coordination/^dashboards/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/$
    ("GET", "coordination:dashboards"): expect(
        302, default=200, marker="plan"
    ),  # coordination/dashboards/
    ("GET", "coordination:document"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "document"}
    ),  # coordination/documents/<int:pk>/
    ("GET", "coordination:document_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/documents/new/
    ("GET", "coordination:event"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/
    ("GET", "coordination:event_create"): expect(
        302, default=403, coordinator=200, org_admin=200, node_admin=200
    ),  # coordination/events/new/
    ("GET", "coordination:event_edit"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/edit/
    ("GET", "coordination:event_ics"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/event.ics
    ("GET", "coordination:events"): expect(
        302, default=200, shows_other={"node_admin"}, marker="event_title"
    ),  # coordination/events/
    ("GET", "coordination:evidence"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "progress"}
    ),  # coordination/progress/<int:pk>/document/
    ("GET", "coordination:feed_mine"): expect(
        200, default=200, params={"token": "feed_token"}
    ),  # coordination/feeds/<str:token>/mine.ics
    ("GET", "coordination:feed_network"): expect(
        200, default=200, params={"token": "feed_token", "key": "network"}
    ),  # coordination/feeds/<str:token>/networks/<slug:key>.ics
    ("GET", "coordination:feed_token"): expect(302, default=405),  # coordination/calendar/token/
    ("GET", "coordination:feed_token_revoke"): expect(
        302, default=405
    ),  # coordination/calendar/token/revoke/
    ("GET", "coordination:home"): expect(302, default=200, marker="event_title"),  # coordination/
    ("GET", "coordination:invitations"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/invitations/
    ("GET", "coordination:item_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "session_id"},
    ),  # coordination/sessions/<int:pk>/items/new/
    ("GET", "coordination:minutes_edit"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/minutes/
    ("GET", "coordination:minutes_history"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "minutes"}
    ),  # coordination/minutes/<int:pk>/
    ("GET", "coordination:network_calendar"): expect(
        302, default=200, params={"key": "network"}, marker="event_title"
    ),  # coordination/calendar/networks/<slug:key>/
    ("GET", "coordination:overdue"): expect(
        302, default=200, shows_other={"node_admin"}, marker="action_title"
    ),  # coordination/overdue/
    ("GET", "coordination:participants"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/participants/
    ("GET", "coordination:plan"): expect(
        302, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),  # coordination/plans/<slug:key>/
    ("GET", "coordination:plan_create"): expect(
        302, default=403, coordinator=200, org_admin=200, node_admin=200
    ),  # coordination/plans/new/
    ("GET", "coordination:plan_export"): expect(
        302, default=(200, 404), node_admin=200, params={"key": "plan"}
    ),  # coordination/^plans/(?P<key>[-a-z0-9]+)/export\.(?P<fmt>csv|xlsx)$
    ("GET", "coordination:plan_import"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"key": "plan"},
    ),  # coordination/plans/<slug:key>/import/
    ("GET", "coordination:plans"): expect(
        302, default=200, shows_other={"node_admin"}, marker="plan"
    ),  # coordination/plans/
    ("GET", "coordination:recommendation"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "rec_id"}
    ),  # coordination/recommendations/<int:pk>/
    ("GET", "coordination:recommendation_action"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "rec_id"}
    ),  # coordination/recommendations/<int:pk>/action/
    ("GET", "coordination:recommendation_create"): expect(
        302, default=403, coordinator=200, org_admin=200, node_admin=200
    ),  # coordination/recommendations/new/
    ("GET", "coordination:recommendations"): expect(
        302, default=200, shows_other={"node_admin"}, marker="rec_text"
    ),  # coordination/recommendations/
    ("GET", "coordination:register"): expect(
        302, default=(200, 404), node_admin=200, params={"pk": "event_id"}
    ),  # coordination/events/<int:pk>/register/
    ("GET", "coordination:registration_cancel"): expect(
        302, default=405, params={"pk": "registration_id"}
    ),  # coordination/registrations/<int:pk>/cancel/
    ("GET", "coordination:registrations"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/registrations/
    ("GET", "coordination:report"): expect(
        302,
        default=200,
        shows_other={"node_admin"},
        params={"ref": "abroad_ref"},
        marker="action_title",
    ),  # coordination/^reports/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/$
    ("GET", "coordination:report_pdf"): expect(
        302, default=200
    ),  # coordination/^reports/(?P<kind>countries|networks)/(?P<ref>[-\w]+)/report\.pdf$
    ("GET", "coordination:session_create"): expect(
        302,
        default=(403, 404),
        coordinator=(200, 404),
        org_admin=(200, 404),
        node_admin=200,
        params={"pk": "event_id"},
    ),  # coordination/events/<int:pk>/sessions/new/
    ("GET", "directory:countries"): expect(302, default=200),  # directory/countries/
    ("GET", "directory:country_map"): expect(
        302, default=200
    ),  # directory/countries/<str:code>/map/
    ("GET", "directory:network"): expect(
        302, default=200, params={"key": "network"}
    ),  # directory/networks/<slug:key>/
    ("GET", "directory:organisation_add"): expect(
        302, default=403, node_admin=200
    ),  # directory/add-organisation/
    ("GET", "directory:organisation_edit"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/edit/
    ("GET", "directory:person_add"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/people/add/
    ("GET", "directory:person_delete"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/people/<slug:person_key>/delete/
    ("GET", "directory:person_edit"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/people/<slug:person_key>/edit/
    ("GET", "directory:unit_add"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/units/add/
    ("GET", "directory:unit_delete"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/units/<slug:unit_key>/delete/
    ("GET", "directory:unit_edit"): expect(
        302, default=403, org_admin=(200, 403), node_admin=200
    ),  # directory/organisations/<slug:key>/units/<slug:unit_key>/edit/
    ("GET", "exchange:compose"): expect(302, default=200, node_admin=403),  # exchange/compose/
    ("GET", "exchange:forward"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/forward/
    ("GET", "exchange:inbox"): expect(302, default=200),  # exchange/
    ("GET", "exchange:overdue"): expect(302, default=200),  # exchange/overdue/
    ("GET", "exchange:permissions"): expect(302, default=200),  # exchange/permissions/
    ("GET", "exchange:recall"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/recall/
    ("GET", "exchange:reply"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/reply/
    ("GET", "exchange:search"): expect(
        302, default=200, marker="message_subject", query="q=message&justification=matrix"
    ),  # exchange/search/
    ("GET", "exchange:sent"): expect(302, default=200, marker="message_subject"),  # exchange/sent/
    ("GET", "exchange:signature"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/messages/<uuid:message_id>/signature/
    ("GET", "exchange:thread"): expect(
        302, default=(200, 404), node_admin=404
    ),  # exchange/threads/<str:reference>/
    ("GET", "knowledge:attach"): expect(
        302, default=405, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/attachments/
    ("GET", "knowledge:attachment"): expect(
        302, default=(200, 404), node_admin=404, params={"key": "knowledge_attachment"}
    ),  # knowledge/attachments/<str:key>/
    ("GET", "knowledge:choose_kind"): expect(
        302, default=200, dpo=403, node_admin=403
    ),  # knowledge/new/
    ("GET", "knowledge:create"): expect(
        302, default=200, dpo=403, node_admin=403, params={"kind": "practice"}
    ),  # knowledge/new/<slug:kind>/
    ("GET", "knowledge:detail"): expect(
        302, default=(200, 404), node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/
    ("GET", "knowledge:diff"): expect(
        302, default=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/diff/
    ("GET", "knowledge:edit"): expect(
        302, default=(200, 404), dpo=404, node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/edit/
    ("GET", "knowledge:export"): expect(
        302, default=(200, 404), node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/export.pdf
    ("GET", "knowledge:export_selection"): expect(302, default=302),  # knowledge/export.pdf
    ("GET", "knowledge:history"): expect(
        302, default=(200, 404), node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/history/
    ("GET", "knowledge:list"): expect(302, default=200, marker="item_title"),  # knowledge/
    ("GET", "knowledge:public_attachment"): expect(
        404, default=404, params={"key": "knowledge_attachment"}
    ),  # knowledge/public/attachments/<str:key>/
    ("GET", "knowledge:public_detail"): expect(
        404, default=404, params={"pk": "item_id"}
    ),  # knowledge/public/<int:pk>/
    ("GET", "knowledge:public_export"): expect(
        404, default=404, params={"pk": "item_id"}
    ),  # knowledge/public/<int:pk>/export.pdf
    ("GET", "knowledge:public_feed"): expect(200, default=200),  # knowledge/public/feed.atom
    ("GET", "knowledge:public_list"): expect(200, default=200),  # knowledge/public/
    ("GET", "knowledge:queue"): expect(302, default=200),  # knowledge/translations/<str:language>/
    ("GET", "knowledge:queue_default"): expect(302, default=302),  # knowledge/translations/
    ("GET", "knowledge:translate"): expect(
        302, default=(200, 404), dpo=404, node_admin=404, params={"pk": "item_id"}
    ),  # knowledge/<int:pk>/translate/<str:language>/
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
    objects: dict[str, dict[str, Any]]


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


def _domain_objects(
    home: Organisation,
    abroad: Organisation,
    third: Organisation,
    users: dict[str, User],
    abroad_admin: User,
    targets: dict[str, User],
) -> dict[str, dict[str, Any]]:
    """The own and the other organisation's object for each path parameter of the domains,
    made through each domain's services (see tests/<domain>/conftest.py)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from firstline.audit import heads
    from firstline.audit.models import AuditEntry
    from firstline.coordination.models import PolicyLevel, RecommendationStatus
    from firstline.coordination.services import actions, calendars, documents, events
    from firstline.coordination.services import registrations as regs
    from firstline.directory.models import FocalPoint, Membership, Network, Person, Unit
    from firstline.exchange import attachments, followup
    from firstline.exchange.services import send_message

    sides: dict[str, tuple[Organisation, User, User]] = {
        # organisation, an organiser of it, one of its practitioners (not a matrix actor)
        "own": (home, users["coordinator"], targets["own"]),
        "other": (abroad, abroad_admin, targets["other"]),
    }
    third_user = _user(third, Role.ORG_ADMIN, "third-admin")
    start = START
    objects: dict[str, dict[str, Any]] = {}

    def put(name: str, side: str, value: Any) -> None:
        objects.setdefault(name, {})[side] = value

    for side, (org, organiser, member) in sides.items():
        # directory
        network = Network.objects.create(
            key=f"{side}-net", name=f"{side} network", level="operational"
        )
        Membership.objects.create(network=network, organisation=org, role="member")
        unit = Unit.objects.create(organisation=org, key=f"{side}-unit", name=f"{side} unit")
        person = Person.objects.create(
            key=f"{side}-person", organisation=org, given_name="Ana", family_name=f"{side.title()}"
        )
        membership = Membership.objects.create(network=network, person=person, role="member")
        focal = FocalPoint.objects.create(country=org.country, topic="FTF", person=person)
        put("network", side, network.key)
        put("unit_key", side, unit.key)
        put("person_key", side, person.key)
        put("membership_id", side, membership.pk)
        put("focal_point_id", side, focal.pk)
        put("code", side, org.country.code)
        put("org_key", side, org.key)
        # exchange: a message to a third organisation (so only its sender side sees it)
        upload = attachments.store_upload(
            member, io.BytesIO(b"notes"), name="notes.txt", content_type="text/plain"
        )
        message = send_message(
            member,
            recipients=[third.key],
            subject=f"{side} message",
            body="Please confirm.",
            message_type="request",
            urgency="other",
            tlp="AMBER",
            handling="H0",
            classification="RESTRICTED",
            evaluation={"source": "B", "information": "2"},
            entities=[
                {
                    "kind": "person",
                    "names": ["Arben Krasniqi"],
                    "category": "person_at_risk",
                    "purpose": "prevention of radicalisation",
                    "legal_basis": "Law 108/2014 on State Police, Art. 4",
                    "review_date": "2027-01-31",
                    "retention_end": "2030-01-31",
                }
            ],
            attachments=[upload.uuid],
        )
        put("message_id", side, message.uuid)
        put("message_subject", side, f"{side} message")
        put("reference", side, message.thread.reference)
        put("attachment_id", side, upload.uuid)
        put("position", side, 0)
        # a request to pass on a message the side's organisation sent (it decides it)
        asked = send_message(
            member,
            recipients=[third.key],
            subject=f"{side} H2 message",
            body="Ask before passing this on.",
            message_type="notification",
            urgency="other",
            tlp="AMBER",
            handling="H2",
            classification="RESTRICTED",
            evaluation={"source": "B", "information": "2"},
        )
        forward = followup.forward_message(
            third_user, asked, recipients=[home.key if side == "other" else abroad.key]
        )
        put("request_id", side, forward.pk)
        # coordination: an event organised by the side's organisation, TLP:AMBER
        event = events.create_event(
            organiser,
            kind="national_workshop",
            title=f"{side} workshop",
            start=start,
            end=start + dt.timedelta(hours=8),
            timezone="Europe/Tirane",
            organisers=[org],
            country=org.country,
            venue="Tirana",
            capacity=10,
            tlp="AMBER",
        )
        session = events.add_session(
            organiser, event, title="Opening", start=start, end=start + dt.timedelta(hours=1)
        )
        registration = regs.register(member, event, dietary_needs="vegetarian")
        document = documents.attach_document(
            organiser,
            event,
            title="Agenda",
            upload=SimpleUploadedFile("agenda.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        minutes = documents.save_minutes(organiser, event, text="We met.")
        put("event_id", side, event.pk)
        put("session_id", side, session.pk)
        put("registration_id", side, registration.pk)
        put("document", side, document.pk)
        put("minutes", side, minutes.minutes_id)
        put("check_in_token", side, regs.badge_token(registration))
        put("feed_token", side, calendars.issue_feed_token(member))
        recommendation = actions.create_recommendation(
            organiser,
            text=f"{side} recommendation",
            level=PolicyLevel.OPERATIONAL,
            event=event,
            status=RecommendationStatus.AGREED,
        )
        put("rec_id", side, recommendation.pk)
        put("rec_text", side, f"{side} recommendation")
        put("event_title", side, f"{side} workshop")
        plan = actions.create_plan(
            organiser,
            key=f"{side}-plan",
            kind="national_action_plan",
            title=f"{side} plan",
            coordinator=org,
            country=org.country,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2027, 12, 31),
            tlp="AMBER",
        )
        objective = actions.add_objective(organiser, plan, code="1", title="Prevention")
        action = actions.create_action(
            organiser,
            objective,
            code="1.1",
            title=f"{side} action",
            owner=org,
            level=PolicyLevel.OPERATIONAL,
            priority="high",
            start=dt.date(2025, 1, 1),
            due=dt.date(2025, 1, 31),
            indicator="Officers trained",
            baseline="0",
            target="120",
        )
        progress = actions.report_progress(
            member,
            action,
            text="Half done.",
            document=SimpleUploadedFile("evidence.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        put("plan", side, plan.key)
        put("action_id", side, action.pk)
        put("action_title", side, f"{side} action")
        put("progress", side, progress.pk)
        put("kind", side, "countries")
        put("ref", side, org.country.code)
        put("abroad_ref", side, abroad.country.code)  # the other country's figures, either side
        put("fmt", side, "csv")
    from firstline.knowledge import services as knowledge

    for side, (_org, _, member) in sides.items():
        # knowledge: a practice of the side's organisation for its national platform (TLP:AMBER)
        item = knowledge.create_item(
            member,
            knowledge.ItemInput(
                kind="practice",
                language="en",
                title=f"{side} practice",
                fields=dict(KNOWLEDGE_ITEM["fields"]),
                tlp="AMBER",
                classification="UNCLASSIFIED",
                scope="national",
            ),
        )
        attachment = knowledge.add_attachment(
            member,
            item.pk,
            SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        put("item_id", side, item.pk)
        put("item_title", side, f"{side} practice")
        put("knowledge_attachment", side, attachment.key)
        put("number", side, 1)
        put("language", side, "sq")
        put("practice", side, "practice")
    for side, (org, _, _) in sides.items():
        entry = (
            AuditEntry.objects.filter(actor_organisation=f"org:{org.pk}").order_by("seq").first()
        )
        assert entry is not None
        put("seq", side, entry.seq)
    heads.sign_tree_head()
    return objects


@pytest.fixture
def world(
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
    settings: Any,
    tmp_path: Any,
) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
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
    objects = _domain_objects(home, abroad, kumanovo_municipality, users, abroad_admin, targets)
    return World(home, abroad, users, sessions, secrets, keys, targets, objects)


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
