"""Editing pages: administrators change the directory through the same services as the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.directory import csv_io, services
from firstline.directory.models import Organisation, Person, Unit
from firstline.directory.services import ConsoleActor

OWN = "/directory/organisations/al-asp-ctu"
OTHER = "/directory/organisations/al-moi"


@pytest.fixture
def client_for(
    small_directory: csv_io.ImportReport,
    user_in: Callable[[Organisation | None, str], User],
    signed_in: Callable[[User], Client],
) -> Callable[[str], Client]:
    def _client(role: str) -> Client:
        org = None if role == Role.NODE_ADMIN else Organisation.objects.get(key="al-asp-ctu")
        return signed_in(user_in(org, role))

    return _client


def org_form(**changes: str) -> dict[str, str]:
    return {
        "name": "Albanian State Police, Counter-Terrorism Unit",
        "acronym": "ASP CTU",
        "sector": "police",
        "level": "national",
        "country": "AL",
        "parent": "al-moi",
        "is_active": "on",
        **changes,
    }


def test_an_organisation_administrator_sees_edit_links_only_on_their_own_organisation(
    client_for: Callable[[str], Client],
) -> None:
    admin = client_for(Role.ORG_ADMIN)

    own = admin.get(OWN + "/").content.decode()
    other = admin.get(OTHER + "/").content.decode()

    assert f'href="{OWN}/edit/"' in own
    assert f'href="{OWN}/people/add/"' in own
    assert f'href="{OWN}/people/al-ana-example/edit/"' in own
    assert "/edit/" not in other and "/add/" not in other


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.COORDINATOR, Role.ANALYST, Role.DPO])
def test_other_roles_see_no_edit_links_and_are_refused(
    client_for: Callable[[str], Client], role: str
) -> None:
    client = client_for(role)

    assert "/edit/" not in client.get(OWN + "/").content.decode()
    for url in (
        f"{OWN}/edit/",
        f"{OWN}/people/add/",
        f"{OWN}/people/al-ana-example/edit/",
        f"{OWN}/units/al-ctu-analysis/delete/",
        "/directory/add-organisation/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{OWN}/edit/", org_form(acronym="X")).status_code == 403
    assert Organisation.objects.get(key="al-asp-ctu").acronym == "ASP CTU"


def test_an_organisation_administrator_changes_their_organisation(
    client_for: Callable[[str], Client],
) -> None:
    admin = client_for(Role.ORG_ADMIN)

    form = admin.get(f"{OWN}/edit/").content.decode()
    response = admin.post(f"{OWN}/edit/", org_form(acronym="CTU", name_sq="Njësia"))

    assert '<label for="id_name_sq">' in form
    assert response.status_code == 302 and response["Location"] == OWN + "/"
    org = Organisation.objects.get(key="al-asp-ctu")
    assert org.acronym == "CTU" and org.names == {"sq": "Njësia"}


def test_an_organisation_administrator_cannot_change_another_organisation(
    client_for: Callable[[str], Client],
) -> None:
    admin = client_for(Role.ORG_ADMIN)

    assert admin.get(f"{OTHER}/edit/").status_code == 403
    assert admin.post(f"{OTHER}/edit/", org_form(acronym="X")).status_code == 403
    assert (
        admin.post(
            f"{OTHER}/people/add/", {"key": "x", "given_name": "A", "family_name": "B"}
        ).status_code
        == 403
    )


def test_a_refused_change_shows_the_reason_beside_the_field_and_changes_nothing(
    client_for: Callable[[str], Client],
) -> None:
    response = client_for(Role.ORG_ADMIN).post(f"{OWN}/edit/", org_form(country="ZZ"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_country_error"' in html and "unknown country code" in html
    assert Organisation.objects.get(key="al-asp-ctu").country.code == "AL"  # type: ignore[union-attr]


def test_only_a_node_administrator_adds_organisations(client_for: Callable[[str], Client]) -> None:
    admin = client_for(Role.ORG_ADMIN)
    node = client_for(Role.NODE_ADMIN)
    body = {
        "key": "mk-new",
        "name": "New",
        "sector": "education",
        "level": "local",
        "country": "MK",
    }

    assert admin.get("/directory/add-organisation/").status_code == 403
    assert 'href="/directory/add-organisation/"' in node.get("/directory/").content.decode()
    response = node.post("/directory/add-organisation/", body)

    assert response.status_code == 302
    assert Organisation.objects.get(key="mk-new").country.code == "MK"  # type: ignore[union-attr]


def test_people_are_added_changed_and_removed_with_audit_entries(
    client_for: Callable[[str], Client],
) -> None:
    admin = client_for(Role.ORG_ADMIN)

    added = admin.post(
        f"{OWN}/people/add/",
        {
            "key": "al-demo-person",
            "given_name": "Demo",
            "family_name": "Person",
            "unit": "al-ctu-analysis",
        },
    )
    person = Person.objects.get(key="al-demo-person")
    page = admin.get(f"{OWN}/people/al-demo-person/edit/")
    changed = admin.post(
        f"{OWN}/people/al-demo-person/edit/",
        {"given_name": "Demo", "family_name": "Person", "role": "Officer", "unit": ""},
    )
    confirm = admin.get(f"{OWN}/people/al-demo-person/delete/")
    removed = admin.post(f"{OWN}/people/al-demo-person/delete/")

    assert added.status_code == changed.status_code == removed.status_code == 302
    assert page.status_code == confirm.status_code == 200
    assert not Person.objects.filter(key="al-demo-person").exists()
    operations = [
        e.operation
        for e in AuditEntry.objects.order_by("seq")
        if f"person:{person.pk}" in e.subjects
    ]
    assert operations == [Operation.COLLECT, Operation.CONSULT, Operation.ALTER, Operation.ERASE]


def test_units_are_added_and_a_unit_with_sub_units_is_not_removed(
    client_for: Callable[[str], Client], console: ConsoleActor
) -> None:
    admin = client_for(Role.ORG_ADMIN)

    admin.post(
        f"{OWN}/units/add/", {"key": "al-ctu-desk", "name": "Desk", "parent": "al-ctu-analysis"}
    )
    response = admin.post(f"{OWN}/units/al-ctu-analysis/delete/")

    assert Unit.objects.get(key="al-ctu-desk").parent.key == "al-ctu-analysis"  # type: ignore[union-attr]
    assert response.status_code == 200
    assert "remove or move them first" in response.content.decode()
    services.delete_unit(console, Unit.objects.get(key="al-ctu-desk"))
    assert admin.post(f"{OWN}/units/al-ctu-analysis/delete/").status_code == 302
    assert not Unit.objects.filter(key="al-ctu-analysis").exists()
