"""Calendars per user and per network: pages, and RFC 5545 feeds behind a revocable secret."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from icalendar import Calendar

from firstline.accounts.models import User
from firstline.coordination.models import CalendarFeedToken, Event
from firstline.coordination.services import calendars, events, registrations
from firstline.directory.models import Membership, Network, Organisation


def _parse(content: bytes) -> Calendar:
    calendar = Calendar.from_ical(content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//First Line//")
    for vevent in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert required in vevent, required
    # every TZID used has its VTIMEZONE (RFC 5545, 3.2.19)
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    used = {v["DTSTART"].params["TZID"] for v in calendar.walk("VEVENT")}
    assert used <= zones
    return calendar


def test_the_feed_lists_my_events_and_parses_back(
    upcoming_workshop: Event, police_officer: User, client: Client
) -> None:
    registrations.register(police_officer, upcoming_workshop)
    token = calendars.issue_feed_token(police_officer)
    response = client.get(f"/coordination/feeds/{token}/mine.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = _parse(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Upcoming workshop"
    assert str(vevent["UID"]) == f"{upcoming_workshop.uid}@firstline"
    assert vevent.decoded("DTSTART") == upcoming_workshop.start
    assert vevent.decoded("DTEND") == upcoming_workshop.end
    assert vevent["DTSTART"].params["TZID"] == "Europe/Tirane"
    assert str(vevent["LOCATION"]) == "Tirana"


def test_a_feed_holds_only_events_the_user_takes_part_in(
    upcoming_workshop: Event, police_officer: User, organiser: User, client: Client
) -> None:
    token = calendars.issue_feed_token(police_officer)
    assert _parse(client.get(f"/coordination/feeds/{token}/mine.ics").content).walk("VEVENT") == []
    organiser_token = calendars.issue_feed_token(organiser)
    mine = _parse(client.get(f"/coordination/feeds/{organiser_token}/mine.ics").content)
    assert len(mine.walk("VEVENT")) == 1  # the organiser's organisation runs it


def test_only_the_hash_of_the_secret_is_kept(police_officer: User) -> None:
    token = calendars.issue_feed_token(police_officer)
    stored = CalendarFeedToken.objects.get()
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_a_revoked_or_replaced_secret_stops_working(
    upcoming_workshop: Event, police_officer: User, client: Client
) -> None:
    old = calendars.issue_feed_token(police_officer)
    new = calendars.issue_feed_token(police_officer)
    assert client.get(f"/coordination/feeds/{old}/mine.ics").status_code == 404
    assert client.get(f"/coordination/feeds/{new}/mine.ics").status_code == 200
    assert calendars.revoke_feed_tokens(police_officer) == 1
    assert client.get(f"/coordination/feeds/{new}/mine.ics").status_code == 404
    assert client.get("/coordination/feeds/not-a-token/mine.ics").status_code == 404


def test_an_inactive_users_feed_stops(police_officer: User, client: Client) -> None:
    token = calendars.issue_feed_token(police_officer)
    police_officer.is_active = False
    police_officer.save()
    assert client.get(f"/coordination/feeds/{token}/mine.ics").status_code == 404


def test_the_network_feed_follows_visibility(
    organiser: User,
    upcoming_workshop: Event,
    police_officer: User,
    serbian_officer: User,
    rcc_network: Network,
    serbian_ministry: Organisation,
    client: Client,
) -> None:
    events.update_event(organiser, upcoming_workshop, networks=[rcc_network])
    url = "/coordination/feeds/{}/networks/rcc-nfp.ics"
    serbian = calendars.issue_feed_token(serbian_officer)
    assert _parse(client.get(url.format(serbian)).content).walk("VEVENT") == []
    Membership.objects.create(network=rcc_network, organisation=serbian_ministry, role="member")
    (vevent,) = _parse(client.get(url.format(serbian)).content).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Upcoming workshop"


def test_the_calendar_page_shows_the_address_once(
    upcoming_workshop: Event,
    police_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    registrations.register(police_officer, upcoming_workshop)
    client = signed_in(police_officer)
    page = client.get("/coordination/calendar/")
    assert b"Upcoming workshop" in page.content
    assert b"/mine.ics" not in page.content
    assert client.post("/coordination/calendar/token/").status_code == 302
    shown = client.get("/coordination/calendar/")
    assert b"/mine.ics" in shown.content
    assert b"/mine.ics" not in client.get("/coordination/calendar/").content  # only once
    client.post("/coordination/calendar/token/revoke/")
    assert not CalendarFeedToken.objects.filter(revoked_at__isnull=True).exists()


def test_the_network_calendar_page(
    organiser: User,
    upcoming_workshop: Event,
    rcc_network: Network,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    events.update_event(organiser, upcoming_workshop, networks=[rcc_network])
    page = signed_in(organiser).get("/coordination/calendar/networks/rcc-nfp/")
    assert page.status_code == 200
    assert b"Upcoming workshop" in page.content


def test_one_event_downloads_as_icalendar(
    workshop: Event,
    teacher: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    response = signed_in(teacher).get(f"/coordination/events/{workshop.pk}/event.ics")
    (vevent,) = _parse(response.content).walk("VEVENT")
    assert vevent.decoded("DTSTART") == dt.datetime(2025, 4, 10, 7, tzinfo=dt.UTC)
    api = signed_in(teacher).get(f"/api/v1/coordination/events/{workshop.pk}/event.ics")
    assert _parse(api.content).walk("VEVENT")[0]["UID"] == vevent["UID"]
