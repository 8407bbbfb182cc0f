"""Directory API: every signed-in role reads; administrators write, each within their reach."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.directory import csv_io
from firstline.directory.models import FocalPoint, Membership, Organisation, Person
from firstline.directory.services import ConsoleActor

from .conftest import SMALL, csv_text

API = "/api/v1/directory"

SERBIAN = csv_text(
    {
        "record_type": "organisation",
        "key": "rs-moi",
        "name": "Ministry of Interior",
        "sector": "interior_ministry",
        "level": "national",
        "country": "RS",
    },
    {"record_type": "unit", "key": "rs-moi-unit", "name": "Prevention", "organisation": "rs-moi"},
    {
        "record_type": "person",
        "key": "rs-jelena-sample",
        "organisation": "rs-moi",
        "given_name": "Jelena",
        "family_name": "Sample",
    },
    {"record_type": "membership", "network": "cti", "organisation": "rs-moi", "role": "member"},
    {"record_type": "focal_point", "country": "RS", "topic": "CVE", "person": "rs-jelena-sample"},
)


@pytest.fixture
def world(db: None, console: ConsoleActor) -> None:
    """The small Albanian directory plus a Serbian ministry with a unit, a person, a focal point."""
    assert csv_io.import_csv(console, SMALL).ok
    assert csv_io.import_csv(console, SERBIAN).ok


@pytest.fixture
def as_role(
    world: None,
    user_in: Callable[[Organisation | None, str], User],
    signed_in: Callable[[User], Client],
) -> Callable[[str], Client]:
    """A signed-in client for a user of ``role`` in the Albanian counter-terrorism unit."""

    def _client(role: str) -> Client:
        org = None if role == Role.NODE_ADMIN else Organisation.objects.get(key="al-asp-ctu")
        return signed_in(user_in(org, role))

    return _client


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


def membership_id(network: str, organisation: str) -> int:
    return Membership.objects.get(network__key=network, organisation__key=organisation).pk


def focal_point_id(country: str) -> int:
    return FocalPoint.objects.get(country__code=country).pk


# --- reads ----------------------------------------------------------------------------------

READS = [
    "/countries",
    "/countries/AL",
    "/organisations",
    "/organisations/al-asp-ctu",
    "/organisations/rs-moi",
    "/units",
    "/units/rs-moi-unit",
    "/people",
    "/people/al-ana-example",
    "/people/rs-jelena-sample",
    "/networks",
    "/networks/cti",
    "/memberships",
    "/focal-points",
]


@pytest.mark.parametrize("role", Role.values)
def test_every_signed_in_role_reads_every_endpoint(
    as_role: Callable[[str], Client], role: str
) -> None:
    client = as_role(role)
    for path in READS:
        response = client.get(API + path)
        assert response.status_code == 200, (path, response.content)
    detail = client.get(f"{API}/memberships/{membership_id('cti', 'rs-moi')}")
    assert detail.status_code == 200
    assert client.get(f"{API}/focal-points/{focal_point_id('RS')}").status_code == 200


def test_reads_need_credentials(world: None, client: Client) -> None:
    for path in READS:
        response = client.get(API + path)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"


def test_lists_are_paginated_and_filterable(as_role: Callable[[str], Client]) -> None:
    client = as_role(Role.ANALYST)

    page = client.get(f"{API}/organisations?limit=1&offset=1").json()
    assert page["count"] == 4 and len(page["items"]) == 1
    assert [o["key"] for o in client.get(f"{API}/organisations?country=AL").json()["items"]] == [
        "al-asp-ctu",
        "al-moi",
    ]
    assert [o["key"] for o in client.get(f"{API}/organisations?sector=police").json()["items"]] == [
        "al-asp-ctu"
    ]
    assert [
        o["key"] for o in client.get(f"{API}/organisations?level=regional").json()["items"]
    ] == ["europol"]
    people = client.get(f"{API}/people?organisation=rs-moi").json()["items"]
    assert [p["key"] for p in people] == ["rs-jelena-sample"]
    members = client.get(f"{API}/memberships?network=cti&organisation=rs-moi").json()["items"]
    assert [(m["organisation"], m["role"]) for m in members] == [("rs-moi", "member")]


def test_an_organisation_reads_with_keys_not_ids(as_role: Callable[[str], Client]) -> None:
    body = as_role(Role.COORDINATOR).get(f"{API}/organisations/al-asp-ctu").json()

    assert body["parent"] == "al-moi"
    assert body["country"] == "AL"
    assert body["acronym"] == "ASP CTU"


def test_an_unknown_key_is_a_404_problem(as_role: Callable[[str], Client]) -> None:
    response = as_role(Role.ANALYST).get(f"{API}/organisations/nope")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --- person reads are logged ----------------------------------------------------------------


def consults() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation=Operation.CONSULT))


def test_listing_people_logs_one_consultation_naming_the_people_on_the_page(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role(Role.PRACTITIONER)
    ana, jelena = (
        Person.objects.get(key="al-ana-example"),
        Person.objects.get(key="rs-jelena-sample"),
    )

    client.get(f"{API}/people")
    client.get(f"{API}/people?limit=1")

    first, second = consults()
    assert first.subjects == [f"person:{ana.pk}", f"person:{jelena.pk}"]
    assert second.subjects == [f"person:{ana.pk}"]


def test_reading_a_person_logs_a_consultation(as_role: Callable[[str], Client]) -> None:
    jelena = Person.objects.get(key="rs-jelena-sample")

    as_role(Role.ANALYST).get(f"{API}/people/rs-jelena-sample")

    [entry] = consults()
    assert entry.subjects == [f"person:{jelena.pk}"]
    assert entry.actor_organisation == f"org:{Organisation.objects.get(key='al-asp-ctu').pk}"


def test_memberships_and_focal_points_naming_people_log_a_consultation(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role(Role.ANALYST)
    ana = Person.objects.get(key="al-ana-example")

    client.get(f"{API}/memberships?network=cti")
    client.get(f"{API}/focal-points?country=AL")
    client.get(f"{API}/memberships?organisation=rs-moi")  # no people shown: nothing logged

    assert [e.subjects for e in consults()] == [[f"person:{ana.pk}"], [f"person:{ana.pk}"]]


def test_reading_organisations_logs_nothing(as_role: Callable[[str], Client]) -> None:
    as_role(Role.ANALYST).get(f"{API}/organisations")

    assert consults() == []


# --- writes: the authorisation matrix -------------------------------------------------------

# (name, method, url or a function giving it, body, whose object: "own", "other" or "new")
WRITES: list[tuple[str, str, Any, dict[str, Any] | None, str]] = [
    (
        "create-organisation",
        "post",
        "/organisations",
        {"key": "al-new", "name": "New", "sector": "police", "level": "local", "country": "AL"},
        "new",
    ),
    ("change-own-organisation", "patch", "/organisations/al-asp-ctu", {"acronym": "CTU"}, "own"),
    ("change-other-organisation", "patch", "/organisations/rs-moi", {"acronym": "X"}, "other"),
    ("delete-own-organisation", "delete", "/organisations/al-moi", None, "new"),
    (
        "create-own-unit",
        "post",
        "/units",
        {"key": "al-ctu-ops", "name": "Operations", "organisation": "al-asp-ctu"},
        "own",
    ),
    (
        "create-other-unit",
        "post",
        "/units",
        {"key": "rs-ops", "name": "Operations", "organisation": "rs-moi"},
        "other",
    ),
    ("change-own-unit", "patch", "/units/al-ctu-analysis", {"name": "Analysis Section"}, "own"),
    ("change-other-unit", "patch", "/units/rs-moi-unit", {"name": "X"}, "other"),
    ("delete-own-unit", "delete", "/units/al-ctu-analysis", None, "own"),
    ("delete-other-unit", "delete", "/units/rs-moi-unit", None, "other"),
    (
        "create-own-person",
        "post",
        "/people",
        {
            "key": "al-new-person",
            "organisation": "al-asp-ctu",
            "given_name": "Demo",
            "family_name": "Person",
        },
        "own",
    ),
    (
        "create-other-person",
        "post",
        "/people",
        {
            "key": "rs-new-person",
            "organisation": "rs-moi",
            "given_name": "Demo",
            "family_name": "Person",
        },
        "other",
    ),
    ("change-own-person", "patch", "/people/al-ana-example", {"role": "Senior analyst"}, "own"),
    ("change-other-person", "patch", "/people/rs-jelena-sample", {"role": "X"}, "other"),
    (
        "move-own-person-away",
        "patch",
        "/people/al-ana-example",
        {"organisation": "rs-moi", "unit": None},
        "other",
    ),
    ("delete-own-person", "delete", "/people/al-ana-example", None, "own"),
    ("delete-other-person", "delete", "/people/rs-jelena-sample", None, "other"),
    (
        "create-network",
        "post",
        "/networks",
        {"key": "pcc", "name": "PCC SEE CT", "level": "strategic"},
        "new",
    ),
    ("change-network", "patch", "/networks/cti", {"acronym": "CTI-WB"}, "new"),
    ("delete-network", "delete", "/networks/cti", None, "new"),
    (
        "join-another-organisation",
        "post",
        "/memberships",
        {"network": "cti", "organisation": "al-moi", "role": "observer"},
        "other",
    ),
    (
        "join-own-organisation",
        "post",
        "/memberships",
        {"network": "cti", "organisation": "al-asp-ctu", "role": "observer", "start": "2030-01-01"},
        "own",
    ),
    (
        "create-other-membership",
        "post",
        "/memberships",
        {"network": "cti", "person": "rs-jelena-sample", "role": "member"},
        "other",
    ),
    (
        "change-own-membership",
        "patch",
        lambda: f"/memberships/{membership_id('cti', 'al-asp-ctu')}",
        {"role": "chair"},
        "own",
    ),
    (
        "change-other-membership",
        "patch",
        lambda: f"/memberships/{membership_id('cti', 'rs-moi')}",
        {"role": "chair"},
        "other",
    ),
    (
        "delete-own-membership",
        "delete",
        lambda: f"/memberships/{membership_id('cti', 'al-asp-ctu')}",
        None,
        "own",
    ),
    (
        "delete-other-membership",
        "delete",
        lambda: f"/memberships/{membership_id('cti', 'rs-moi')}",
        None,
        "other",
    ),
    (
        "create-own-focal-point",
        "post",
        "/focal-points",
        {"country": "AL", "topic": "CVE", "person": "al-ana-example"},
        "own",
    ),
    (
        "create-other-focal-point",
        "post",
        "/focal-points",
        {"country": "RS", "topic": "FTF", "person": "rs-jelena-sample"},
        "other",
    ),
    (
        "change-own-focal-point",
        "patch",
        lambda: f"/focal-points/{focal_point_id('AL')}",
        {"topic": "SIENA"},
        "own",
    ),
    (
        "change-other-focal-point",
        "patch",
        lambda: f"/focal-points/{focal_point_id('RS')}",
        {"topic": "X"},
        "other",
    ),
    (
        "delete-own-focal-point",
        "delete",
        lambda: f"/focal-points/{focal_point_id('AL')}",
        None,
        "own",
    ),
    (
        "delete-other-focal-point",
        "delete",
        lambda: f"/focal-points/{focal_point_id('RS')}",
        None,
        "other",
    ),
]
SUCCESS = {"post": 201, "patch": 200, "delete": 204}


def allowed(role: str, whose: str) -> bool:
    """Node administrators change anything; organisation administrators their own things."""
    return role == Role.NODE_ADMIN or (role == Role.ORG_ADMIN and whose == "own")


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(
    ("method", "url", "body", "whose"),
    [pytest.param(m, u, b, w, id=name) for name, m, u, b, w in WRITES],
)
def test_writes_are_allowed_by_role_and_ownership(
    as_role: Callable[[str], Client],
    role: str,
    method: str,
    url: Any,
    body: dict[str, Any] | None,
    whose: str,
) -> None:
    client = as_role(role)
    if role == Role.NODE_ADMIN and url == "/organisations/al-moi":
        Organisation.objects.filter(key="al-asp-ctu").update(parent=None)  # free it to be deleted
    path = API + (url() if callable(url) else url)

    response = send(client, method, path, body)

    expected = SUCCESS[method] if allowed(role, whose) else 403
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response["Content-Type"] == "application/problem+json"


def test_an_allowed_change_is_written_and_a_refused_one_is_not(
    as_role: Callable[[str], Client],
) -> None:
    admin = as_role(Role.ORG_ADMIN)

    ok = send(admin, "patch", f"{API}/people/al-ana-example", {"phone": "+355 00 000 0009"})
    refused = send(admin, "patch", f"{API}/people/rs-jelena-sample", {"phone": "+381 1"})

    assert ok.json()["phone"] == "+355 00 000 0009"
    assert refused.status_code == 403
    assert Person.objects.get(key="rs-jelena-sample").phone == ""


def test_person_writes_through_the_api_are_audited(as_role: Callable[[str], Client]) -> None:
    admin = as_role(Role.ORG_ADMIN)
    body = {
        "key": "al-demo-person",
        "organisation": "al-asp-ctu",
        "given_name": "Demo",
        "family_name": "Person",
    }

    send(admin, "post", f"{API}/people", body)
    send(admin, "patch", f"{API}/people/al-demo-person", {"role": "Officer"})
    pk = Person.objects.get(key="al-demo-person").pk
    send(admin, "delete", f"{API}/people/al-demo-person")

    entries = [e for e in AuditEntry.objects.order_by("seq") if f"person:{pk}" in e.subjects]
    assert [e.operation for e in entries if e.object_type == "directory.person"] == [
        "collect",
        "alter",
        "erase",
    ]


# --- errors name the field ------------------------------------------------------------------


def test_a_service_refusal_is_a_problem_naming_the_field(as_role: Callable[[str], Client]) -> None:
    client = as_role(Role.NODE_ADMIN)
    response = send(
        client,
        "post",
        f"{API}/organisations",
        {"key": "al-x", "name": "X", "sector": "gendarmerie", "level": "national", "country": "ZZ"},
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"country", "sector"}
    response = send(
        client,
        "post",
        f"{API}/organisations",
        {"key": "al-x", "name": "X", "sector": "gendarmerie", "level": "national", "email": "no"},
    )
    assert {e["field"] for e in response.json()["errors"]} == {"sector", "email"}


def test_an_unknown_or_missing_field_is_a_422_problem_naming_it(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role(Role.NODE_ADMIN)

    unknown = send(client, "patch", f"{API}/organisations/al-moi", {"colour": "red"})
    missing = send(client, "post", f"{API}/units", {"key": "u", "organisation": "al-moi"})
    bad_date = send(
        client,
        "post",
        f"{API}/memberships",
        {"network": "cti", "organisation": "al-moi", "role": "member", "start": "soon"},
    )

    assert unknown.status_code == missing.status_code == bad_date.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["colour"]
    assert [e["field"] for e in missing.json()["errors"]] == ["name"]
    assert [e["field"] for e in bad_date.json()["errors"]] == ["start"]


def test_a_membership_ending_before_it_starts_is_refused(as_role: Callable[[str], Client]) -> None:
    response = send(
        as_role(Role.NODE_ADMIN),
        "post",
        f"{API}/memberships",
        {
            "network": "cti",
            "organisation": "al-moi",
            "role": "member",
            "start": "2024-01-01",
            "end": "2023-01-01",
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "end", "reason": "before start"}]


def test_deleting_an_organisation_that_still_has_people_is_a_conflict(
    as_role: Callable[[str], Client],
) -> None:
    response = send(as_role(Role.NODE_ADMIN), "delete", f"{API}/organisations/rs-moi")

    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "people"
    assert Organisation.objects.filter(key="rs-moi").exists()


def test_keys_cannot_change(as_role: Callable[[str], Client]) -> None:
    client = as_role(Role.NODE_ADMIN)

    response = send(client, "patch", f"{API}/organisations/al-moi", {"key": "al-other"})

    assert response.status_code == 422  # not a field of the change schema
