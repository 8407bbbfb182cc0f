"""Events and their agenda: times in the event's zone, agenda inside the event, markings."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from firstline import policy
from firstline.accounts.models import User
from firstline.coordination.models import AgendaItem, Event, Session
from firstline.coordination.services import events
from firstline.coordination.services.events import SpeakerIn
from firstline.core.problems import Problem
from firstline.directory.models import Network, Organisation, Person

TIRANE = "Europe/Tirane"


def test_it_stores_aware_times_and_the_zone(workshop: Event) -> None:
    assert workshop.timezone == TIRANE
    assert workshop.start == dt.datetime(2025, 4, 10, 7, 0, tzinfo=dt.UTC)  # 09:00 CEST
    assert workshop.local_start == dt.datetime(2025, 4, 10, 9, 0)
    assert workshop.display_title == "National workshop on local prevention"


def test_it_shows_the_title_in_the_readers_language(workshop: Event) -> None:
    from django.utils import translation

    with translation.override("sq"):
        assert workshop.display_title == "Punëtori kombëtare për parandalimin lokal"


def test_it_rejects_an_end_before_the_start(
    organiser: User, albanian_ministry: Organisation
) -> None:
    with pytest.raises(Problem) as caught:
        events.create_event(
            organiser,
            kind="training",
            title="Training",
            timezone=TIRANE,
            start=dt.datetime(2025, 5, 2, 10, 0),
            end=dt.datetime(2025, 5, 1, 10, 0),
            organisers=[albanian_ministry],
            venue="Durrës",
        )
    assert caught.value.errors[0]["field"] == "end"
    assert "before the start" in caught.value.errors[0]["reason"]
    assert not Event.objects.exists()


def test_it_rejects_an_unknown_time_zone(organiser: User, albanian_ministry: Organisation) -> None:
    with pytest.raises(Problem) as caught:
        events.create_event(
            organiser,
            kind="training",
            title="Training",
            timezone="Europe/Atlantis",
            start=dt.datetime(2025, 5, 1, 10),
            end=dt.datetime(2025, 5, 1, 12),
            organisers=[albanian_ministry],
            venue="Durrës",
        )
    assert caught.value.errors[0]["field"] == "timezone"


def test_it_needs_a_venue_or_a_link(organiser: User, albanian_ministry: Organisation) -> None:
    with pytest.raises(Problem) as caught:
        events.create_event(
            organiser,
            kind="conference",
            title="Conference",
            timezone=TIRANE,
            start=dt.datetime(2025, 5, 1, 10),
            end=dt.datetime(2025, 5, 1, 12),
            organisers=[albanian_ministry],
        )
    assert caught.value.errors[0]["field"] == "venue"


def test_it_refuses_a_marking_above_the_authors_clearance(
    organiser: User, albanian_ministry: Organisation
) -> None:
    with pytest.raises(Problem) as caught:
        events.create_event(
            organiser,
            kind="regional_meeting",
            title="Meeting",
            timezone=TIRANE,
            start=dt.datetime(2025, 5, 1, 10),
            end=dt.datetime(2025, 5, 1, 12),
            organisers=[albanian_ministry],
            venue="Tirana",
            classification="CONFIDENTIAL",
        )
    assert caught.value.errors[0]["field"] == "classification"


def test_a_practitioner_cannot_organise(teacher: User, albanian_ministry: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        events.create_event(
            teacher,
            kind="training",
            title="Training",
            timezone=TIRANE,
            start=dt.datetime(2025, 5, 1, 10),
            end=dt.datetime(2025, 5, 1, 12),
            organisers=[albanian_ministry],
            venue="Tirana",
        )


def test_it_adds_sessions_and_items_with_speakers(
    organiser: User, workshop: Event, police_officer: User, albanian_police: Organisation
) -> None:
    speaker = Person.objects.create(
        key="al-kola",
        organisation=albanian_police,
        given_name="Besnik",
        family_name="Kola",
        user=police_officer,
    )
    session = events.add_session(
        organiser,
        workshop,
        title="Returnees and their families",
        start=dt.datetime(2025, 4, 10, 9, 30),
        end=dt.datetime(2025, 4, 10, 11, 0),
        topics=["returnees", "vulnerable_groups"],
        tags=["reintegration", " reintegration "],
    )
    item = events.add_item(
        organiser,
        session,
        title="Case from Kukës",
        start=dt.datetime(2025, 4, 10, 9, 30),
        end=dt.datetime(2025, 4, 10, 10, 0),
        topics=["practical_cases"],
        speakers=[
            SpeakerIn(person=speaker),
            SpeakerIn(guest_name="Ana Rossi", guest_affiliation="OSCE"),
        ],
    )
    assert session.tags == ["reintegration"]
    assert [str(s) for s in item.speakers.all()] == ["Besnik Kola", "Ana Rossi"]
    workshop.refresh_from_db()
    assert workshop.sequence == 2  # each change to the agenda is a new iCalendar sequence


def test_it_rejects_a_session_outside_the_event(organiser: User, workshop: Event) -> None:
    with pytest.raises(Problem) as caught:
        events.add_session(
            organiser,
            workshop,
            title="Dinner",
            start=dt.datetime(2025, 4, 10, 16, 0),
            end=dt.datetime(2025, 4, 10, 19, 0),
        )
    error = caught.value.errors[0]
    assert error["field"] == "end"
    assert "after the event ends (2025-04-10 17:00 Europe/Tirane)" in error["reason"]
    assert not Session.objects.exists()


def test_it_reads_session_times_in_the_events_zone(organiser: User, workshop: Event) -> None:
    # 08:30 in Belgrade is 08:30 in Tirana too (same offset), but 06:30 UTC is 08:30 local:
    early = dt.datetime(2025, 4, 10, 6, 30, tzinfo=dt.UTC)
    with pytest.raises(Problem) as caught:
        events.add_session(
            organiser, workshop, title="Coffee", start=early, end=early + dt.timedelta(hours=1)
        )
    assert caught.value.errors[0]["field"] == "start"
    assert "08:30, before the event starts (2025-04-10 09:00" in caught.value.errors[0]["reason"]


def test_it_rejects_an_item_outside_its_session(organiser: User, workshop: Event) -> None:
    session = events.add_session(
        organiser,
        workshop,
        title="Morning",
        start=dt.datetime(2025, 4, 10, 9, 0),
        end=dt.datetime(2025, 4, 10, 12, 0),
    )
    with pytest.raises(Problem) as caught:
        events.add_item(
            organiser,
            session,
            title="Late talk",
            start=dt.datetime(2025, 4, 10, 11, 30),
            end=dt.datetime(2025, 4, 10, 12, 30),
        )
    assert caught.value.errors[0]["field"] == "end"
    assert not AgendaItem.objects.exists()


def test_it_rejects_a_speaker_who_is_neither_person_nor_guest(
    organiser: User, workshop: Event
) -> None:
    session = events.add_session(
        organiser,
        workshop,
        title="Morning",
        start=dt.datetime(2025, 4, 10, 9, 0),
        end=dt.datetime(2025, 4, 10, 12, 0),
    )
    with pytest.raises(Problem) as caught:
        events.add_item(
            organiser,
            session,
            title="Talk",
            start=dt.datetime(2025, 4, 10, 9, 0),
            end=dt.datetime(2025, 4, 10, 10, 0),
            speakers=[SpeakerIn(guest_name="  ")],
        )
    assert caught.value.errors[0]["field"] == "speakers.0"


def test_it_rejects_an_unknown_topic(organiser: User, workshop: Event) -> None:
    with pytest.raises(Problem) as caught:
        events.add_session(
            organiser,
            workshop,
            title="Morning",
            topics=["astrology"],
            start=dt.datetime(2025, 4, 10, 9, 0),
            end=dt.datetime(2025, 4, 10, 12, 0),
        )
    assert caught.value.errors[0]["field"] == "topics"


def test_moving_the_event_may_not_strand_its_sessions(organiser: User, workshop: Event) -> None:
    events.add_session(
        organiser,
        workshop,
        title="Afternoon",
        start=dt.datetime(2025, 4, 10, 14, 0),
        end=dt.datetime(2025, 4, 10, 16, 0),
    )
    with pytest.raises(Problem) as caught:
        events.update_event(organiser, workshop, end=dt.datetime(2025, 4, 10, 13, 0))
    assert caught.value.errors[0]["field"] == "end"
    workshop.refresh_from_db()
    assert workshop.local_end == dt.datetime(2025, 4, 10, 17, 0)


def test_only_organisers_change_the_agenda(
    workshop: Event, teacher: User, serbian_officer: User
) -> None:
    with pytest.raises(PermissionDenied):
        events.add_session(
            teacher,
            workshop,
            title="Mine",
            start=dt.datetime(2025, 4, 10, 9, 0),
            end=dt.datetime(2025, 4, 10, 10, 0),
        )


def test_amber_events_are_seen_by_organisers_and_invited_organisations_only(
    organiser: User,
    workshop: Event,
    police_officer: User,
    serbian_officer: User,
    albanian_police: Organisation,
    now: dt.datetime,
) -> None:
    events.update_event(organiser, workshop, tlp="AMBER")
    assert policy.can(organiser, policy.VIEW, workshop)
    assert not policy.can(police_officer, policy.VIEW, workshop)
    events.invite(organiser, workshop, organisations=[albanian_police], now=now)
    assert policy.can(police_officer, policy.VIEW, workshop)
    assert not policy.visible_to(serbian_officer, Event).exists()


def test_green_events_with_a_network_are_seen_by_its_members(
    organiser: User,
    workshop: Event,
    serbian_officer: User,
    serbian_ministry: Organisation,
    rcc_network: Network,
) -> None:
    from firstline.directory.models import Membership

    events.update_event(organiser, workshop, networks=[rcc_network])
    assert not policy.can(serbian_officer, policy.VIEW, workshop)
    Membership.objects.create(network=rcc_network, organisation=serbian_ministry, role="member")
    assert policy.can(serbian_officer, policy.VIEW, workshop)


def test_classified_events_need_clearance(organiser: User, workshop: Event, teacher: User) -> None:
    teacher.clearance = "UNCLASSIFIED"
    teacher.save()
    events.update_event(organiser, workshop, classification="RESTRICTED", tlp="CLEAR")
    assert not policy.can(teacher, policy.VIEW, workshop)
    with pytest.raises(Http404):
        policy.get_visible_or_404(teacher, Event, pk=workshop.pk)


def test_the_zone_survives_daylight_saving(
    organiser: User, albanian_ministry: Organisation
) -> None:
    event = events.create_event(
        organiser,
        kind="regional_meeting",
        title="Winter meeting",
        timezone="Europe/Skopje",
        start=dt.datetime(2025, 1, 15, 9),
        end=dt.datetime(2025, 1, 15, 12),
        organisers=[albanian_ministry],
        online_url="https://meet.example.org/x",
    )
    assert event.start.astimezone(zoneinfo.ZoneInfo("UTC")).hour == 8  # CET is UTC+1


def test_invitations_are_mailed_once_with_the_event(
    organiser: User,
    workshop: Event,
    albanian_police: Organisation,
    police_officer: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from django.core import mail
    from icalendar import Calendar

    albanian_police.email = "ctu@asp.gov.al"
    albanian_police.save()
    person = Person.objects.create(
        key="al-kola",
        organisation=albanian_police,
        given_name="Besnik",
        family_name="Kola",
        email="b.kola@asp.gov.al",
        user=police_officer,
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = events.invite(
            organiser, workshop, organisations=[albanian_police], people=[person]
        )
    assert len(created) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["b.kola@asp.gov.al", "ctu@asp.gov.al"]
    assert mail.outbox[0].subject == "Invitation: National workshop on local prevention"
    Calendar.from_ical(mail.outbox[0].attachments[0][1])
    with django_capture_on_commit_callbacks(execute=True):
        again = events.invite(organiser, workshop, organisations=[albanian_police])
    assert again == [] and len(mail.outbox) == 2


def test_the_api_creates_an_event_and_refuses_a_session_outside_it(
    organiser: User,
    albanian_ministry: Organisation,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    created = client.post(
        "/api/v1/coordination/events",
        {
            "kind": "regional_meeting",
            "title": "Regional meeting",
            "timezone": "Europe/Podgorica",
            "start": "2026-05-12T09:00:00",
            "end": "2026-05-13T13:00:00",
            "organisers": ["al-moi"],
            "online_url": "https://meet.example.org/rm",
            "capacity": 40,
            "tlp": "AMBER",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    event = created.json()
    assert event["start"] == "2026-05-12T09:00:00+02:00"
    url = f"/api/v1/coordination/events/{event['id']}/sessions"
    outside = client.post(
        url,
        {"title": "Early", "start": "2026-05-12T08:00:00", "end": "2026-05-12T10:00:00"},
        content_type="application/json",
    )
    assert outside.status_code == 400
    assert outside["Content-Type"] == "application/problem+json"
    assert outside.json()["errors"][0]["field"] == "start"
    assert not Session.objects.exists()
    inside = client.post(
        url,
        {
            "title": "Opening",
            "start": "2026-05-12T09:00:00",
            "end": "2026-05-12T10:00:00",
            "topics": ["local_policing"],
        },
        content_type="application/json",
    )
    assert inside.status_code == 201
    backwards = client.patch(
        f"/api/v1/coordination/events/{event['id']}",
        {"end": "2026-05-11T09:00:00"},
        content_type="application/json",
    )
    assert backwards.status_code == 400
    assert backwards.json()["errors"][0]["field"] == "end"
    detail = client.get(f"/api/v1/coordination/events/{event['id']}").json()
    assert detail["end"] == "2026-05-13T13:00:00+02:00"
    assert [s["title"] for s in detail["sessions"]] == ["Opening"]


def test_the_event_form_shows_errors_by_field(
    organiser: User,
    albanian_ministry: Organisation,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    response = signed_in(organiser).post(
        "/coordination/events/new/",
        {
            "kind": "training",
            "title": "Training",
            "organisers": [albanian_ministry.pk],
            "venue": "Tirana",
            "start": "2026-05-02T10:00",
            "end": "2026-05-01T10:00",
            "timezone": "Europe/Tirane",
            "tlp": "GREEN",
            "classification": "UNCLASSIFIED",
            "waitlist_enabled": "on",
        },
    )
    assert response.status_code == 400
    assert b"is before the start" in response.content
    assert not Event.objects.exists()


def test_the_event_edit_page_saves(
    organiser: User,
    workshop: Event,
    albanian_ministry: Organisation,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    form = client.get(f"/coordination/events/{workshop.pk}/edit/")
    assert b'value="2025-04-10T09:00"' in form.content  # local time, not UTC
    response = client.post(
        f"/coordination/events/{workshop.pk}/edit/",
        {
            "kind": "national_workshop",
            "title": "Renamed workshop",
            "organisers": [albanian_ministry.pk],
            "venue": "Durrës",
            "start": "2025-04-10T10:00",
            "end": "2025-04-10T17:00",
            "timezone": "Europe/Tirane",
            "tlp": "GREEN",
            "classification": "UNCLASSIFIED",
            "capacity": "5",
            "title_sq": "Punëtori e riemërtuar",
        },
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert (workshop.title, workshop.venue, workshop.capacity) == ("Renamed workshop", "Durrës", 5)
    assert workshop.title_translations == {"sq": "Punëtori e riemërtuar"}
    assert workshop.local_start == dt.datetime(2025, 4, 10, 10, 0)
