"""Directory pages: browse and filter, organisation, network, countries, stakeholder map."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.directory import csv_io
from firstline.directory.models import Level, Organisation, Person, Sector
from firstline.directory.services import ConsoleActor

from .conftest import csv_text


@pytest.fixture
def reader(
    small_directory: csv_io.ImportReport,
    user_in: Callable[[Organisation | None, str], User],
    signed_in: Callable[[User], Client],
) -> Client:
    """A practitioner of the Albanian ministry, signed in."""
    return signed_in(user_in(Organisation.objects.get(key="al-moi"), Role.PRACTITIONER))


def consults() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation=Operation.CONSULT))


def test_pages_need_a_signed_in_user(client: Client, small_directory: csv_io.ImportReport) -> None:
    for url in ("/directory/", "/directory/organisations/al-moi/", "/directory/countries/AL/map/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_the_organisation_list_has_a_labelled_filter_form(reader: Client) -> None:
    html = reader.get("/directory/").content.decode()

    for field in ("q", "country", "sector", "level"):
        assert f'<label for="id_{field}">' in html
    assert 'role="search"' in html
    assert "3 organisations found" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("country=AL", ["al-asp-ctu", "al-moi"]),
        ("country=none", ["europol"]),
        ("sector=police", ["al-asp-ctu"]),
        ("level=regional", ["europol"]),
        ("country=AL&sector=interior_ministry&level=national", ["al-moi"]),
        ("q=counter-terror", ["al-asp-ctu"]),
    ],
)
def test_the_organisation_list_filters(reader: Client, query: str, expected: list[str]) -> None:
    html = reader.get(f"/directory/?{query}").content.decode()

    shown = re.findall(r'href="/directory/organisations/([^/]+)/"', html)
    assert sorted(shown) == expected


def test_the_organisation_list_paginates_and_keeps_the_filters(
    reader: Client, console: ConsoleActor
) -> None:
    rows = [
        {
            "record_type": "organisation",
            "key": f"rs-school-{i:02d}",
            "name": f"School {i:02d}",
            "sector": Sector.EDUCATION,
            "level": Level.LOCAL,
            "country": "RS",
        }
        for i in range(30)
    ]
    assert csv_io.import_csv(console, csv_text(*rows)).ok

    first = reader.get("/directory/?country=RS").content.decode()
    second = reader.get("/directory/?country=RS&page=2").content.decode()

    assert "Page 1 of 2" in first
    assert 'href="?country=RS&amp;page=2"' in first
    assert len(re.findall(r"/directory/organisations/rs-school", first)) == 25
    assert len(re.findall(r"/directory/organisations/rs-school", second)) == 5


def test_the_organisation_page_shows_units_people_networks_focal_points_and_family(
    reader: Client,
) -> None:
    html = reader.get("/directory/organisations/al-asp-ctu/").content.decode()

    assert "Albanian State Police, Counter-Terrorism Unit" in html
    assert 'href="/directory/organisations/al-moi/"' in html  # parent
    assert "Analysis" in html  # unit
    assert "Ana Example" in html and "Analyst (fictional)" in html
    assert "mailto:ana.example@example.org" in html
    assert 'href="/directory/networks/cti/"' in html and "Member" in html
    assert "FTF" in html  # focal point
    parent_html = reader.get("/directory/organisations/al-moi/").content.decode()
    assert 'href="/directory/organisations/al-asp-ctu/"' in parent_html  # child


def test_the_organisation_page_logs_one_consultation_naming_the_people_shown(
    reader: Client,
) -> None:
    person = Person.objects.get(key="al-ana-example")

    reader.get("/directory/organisations/al-asp-ctu/")

    [entry] = consults()
    assert entry.subjects == [f"person:{person.pk}"]
    assert entry.object_type == "directory.person"
    assert entry.actor_user.startswith("user:")


def test_an_organisation_page_without_people_logs_nothing(reader: Client) -> None:
    reader.get("/directory/organisations/europol/")

    assert consults() == []


def test_an_unknown_organisation_is_404(reader: Client) -> None:
    assert reader.get("/directory/organisations/nope/").status_code == 404


def test_the_network_page_shows_members_with_roles_and_periods_and_logs_people(
    reader: Client,
) -> None:
    html = reader.get("/directory/networks/cti/").content.decode()

    assert "Counter-Terrorism Initiative network" in html
    assert 'href="/directory/organisations/al-asp-ctu/"' in html
    assert "since" in html and "2020-01-01" in html
    assert "Ana Example" in html and "Focal point" in html
    [entry] = consults()
    assert entry.subjects == [f"person:{Person.objects.get().pk}"]


def test_the_networks_page_lists_networks(reader: Client) -> None:
    html = reader.get("/directory/networks/?level=operational").content.decode()

    assert 'href="/directory/networks/cti/"' in html


def test_the_countries_page_links_each_map(reader: Client) -> None:
    html = reader.get("/directory/countries/").content.decode()

    assert 'href="/directory/countries/AL/map/"' in html


def test_the_stakeholder_map_is_an_svg_image_with_the_same_content_as_a_table(
    reader: Client,
) -> None:
    response = reader.get("/directory/countries/al/map/")
    html = response.content.decode()

    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg
    assert '<title id="map-title">Stakeholder map of Albania</title>' in svg
    assert svg.count("<line") >= 2  # legend lines plus one membership line
    assert "ASP CTU" in svg and "CTI" in svg
    table = html[html.index('<table class="matrix">') :]
    assert "<caption>" in table
    assert re.search(r'<th scope="col"><a href="/directory/networks/cti/">CTI</a>', table)
    assert re.search(r"Counter-Terrorism Unit</a></th><td>Member</td>", table)


def test_the_map_page_uses_no_inline_style_or_script(reader: Client) -> None:
    html = reader.get("/directory/countries/AL/map/").content.decode()

    assert "style=" not in html
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []


def test_the_map_of_a_country_without_data_is_empty_not_an_error(
    reader: Client, console: ConsoleActor
) -> None:
    csv_io.import_csv(
        console,
        csv_text(
            {
                "record_type": "network",
                "key": "xk-platform",
                "name": "National platform",
                "level": "national_platform",
                "country": "XK",
            }
        ),
    )

    html = reader.get("/directory/countries/XK/map/").content.decode()

    assert "Kosovo*" in html
    assert "without prejudice to positions on status" in html


def test_the_map_of_an_unknown_country_is_404(reader: Client) -> None:
    assert reader.get("/directory/countries/ZZ/map/").status_code == 404
    assert reader.get("/directory/countries/ALB/map/").status_code == 404


def test_a_large_network_comes_a_page_at_a_time_and_logs_only_the_people_shown(
    reader: Client,
) -> None:
    from firstline.directory.models import Membership, Network
    from firstline.directory.views import MEMBERS_PAGE_SIZE

    network = Network.objects.get(key="cti")
    organisation = Person.objects.get().organisation
    Person.objects.bulk_create(
        Person(
            key=f"member-{i:03d}",
            organisation=organisation,
            given_name="Member",
            family_name=f"N{i:03d}",
        )
        for i in range(MEMBERS_PAGE_SIZE + 20)
    )
    Membership.objects.bulk_create(
        Membership(network=network, person=p, role="member")
        for p in Person.objects.filter(key__startswith="member-")
    )
    total = Membership.objects.filter(network=network, person__isnull=False).count()

    first = reader.get("/directory/networks/cti/").content.decode()
    last = f"Member N{MEMBERS_PAGE_SIZE + 19:03d}"
    assert "Member N000" in first and last not in first
    assert 'href="?people=2"' in first
    [entry] = consults()
    assert len(entry.subjects) == MEMBERS_PAGE_SIZE  # the page, not the whole network

    second = reader.get("/directory/networks/cti/?people=2").content.decode()
    assert 'href="?people=1"' in second
    assert last in second and "Member N000" not in second
    logged = consults()[-1]
    assert len(logged.subjects) == total - MEMBERS_PAGE_SIZE
    assert not set(entry.subjects) & set(logged.subjects)
