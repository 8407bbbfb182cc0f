"""Every coordination page renders for those allowed, and hides from those who are not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from firstline.accounts.models import User
from firstline.coordination.models import Action, Event, Plan, Recommendation
from firstline.coordination.services import actions, documents, events, registrations


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def full(
    organiser: User,
    upcoming_workshop: Event,
    plan: Plan,
    police_action: Action,
    agreed_recommendation: Recommendation,
    police_officer: User,
) -> dict[str, object]:
    event = upcoming_workshop
    session = events.add_session(
        organiser,
        event,
        title="Morning",
        start=event.local_start,
        end=event.local_start + dt.timedelta(hours=2),
        topics=["indicators"],
    )
    events.add_item(
        organiser,
        session,
        title="Indicators in context",
        start=event.local_start,
        end=event.local_start + dt.timedelta(hours=1),
    )
    registration = registrations.register(police_officer, event, consent_to_list=True)
    document = documents.attach_document(
        organiser, event, title="Agenda", upload=SimpleUploadedFile("a.txt", b"agenda")
    )
    minutes = documents.save_minutes(organiser, event, text="Minutes.")
    update = actions.report_progress(
        police_officer,
        police_action,
        text="Done a bit.",
        document=SimpleUploadedFile("e.txt", b"evidence"),
    )
    return {
        "event": event.pk,
        "session": session.pk,
        "registration": registration.pk,
        "document": document.pk,
        "minutes": minutes.minutes_id,
        "plan": plan.key,
        "action": police_action.pk,
        "rec": agreed_recommendation.pk,
        "update": update.pk,
    }


PAGES = [
    "/coordination/",
    "/coordination/events/",
    "/coordination/events/new/",
    "/coordination/events/{event}/",
    "/coordination/events/{event}/edit/",
    "/coordination/events/{event}/sessions/new/",
    "/coordination/sessions/{session}/items/new/",
    "/coordination/events/{event}/invitations/",
    "/coordination/events/{event}/registrations/",
    "/coordination/events/{event}/attendance/",
    "/coordination/events/{event}/participants/",
    "/coordination/events/{event}/documents/new/",
    "/coordination/events/{event}/minutes/",
    "/coordination/minutes/{minutes}/",
    "/coordination/documents/{document}/",
    "/coordination/calendar/",
    "/coordination/recommendations/",
    "/coordination/recommendations/new/?event={event}",
    "/coordination/recommendations/{rec}/",
    "/coordination/recommendations/{rec}/action/",
    "/coordination/plans/",
    "/coordination/plans/new/",
    "/coordination/plans/{plan}/",
    "/coordination/plans/{plan}/actions/new/",
    "/coordination/plans/{plan}/import/",
    "/coordination/plans/{plan}/export.xlsx",
    "/coordination/actions/{action}/",
    "/coordination/actions/{action}/edit/",
    "/coordination/progress/{update}/document/",
    "/coordination/overdue/",
    "/coordination/dashboards/",
    "/coordination/dashboards/countries/al/",
    "/coordination/reports/countries/al/",
]


def test_every_page_renders_for_the_organiser(
    full: dict[str, object],
    organiser: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    for page in PAGES:
        url = page.format(**full)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if url.endswith("/new/") or url.endswith("/edit/"):
            assert b'name="title"' in response.content, url  # the form's fields are there


def test_the_participant_sees_their_badge_and_the_agenda(
    full: dict[str, object],
    police_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(police_officer)
    event_page = client.get("/coordination/events/{event}/".format(**full)).content.decode()
    assert "Indicators in context" in event_page
    assert "Indicators and their contextualisation" in event_page
    assert "My badge" in event_page
    assert (
        client.get("/coordination/registrations/{registration}/badge/".format(**full)).status_code
        == 200
    )


ORGANISER_ONLY = [
    "/coordination/events/{event}/edit/",
    "/coordination/events/{event}/sessions/new/",
    "/coordination/sessions/{session}/items/new/",
    "/coordination/events/{event}/invitations/",
    "/coordination/events/{event}/registrations/",
    "/coordination/events/{event}/attendance/",
    "/coordination/events/{event}/documents/new/",
    "/coordination/events/{event}/minutes/",
    "/coordination/plans/{plan}/actions/new/",
    "/coordination/plans/{plan}/import/",
    "/coordination/actions/{action}/edit/",
]


def test_participants_are_refused_organiser_pages(
    full: dict[str, object],
    teacher: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(teacher)
    for page in ORGANISER_ONLY:
        url = page.format(**full)
        assert client.get(url).status_code == 403, url
    assert (
        client.get("/coordination/registrations/{registration}/badge/".format(**full)).status_code
        == 404
    )


def test_another_countrys_user_sees_nothing_of_amber_items(
    full: dict[str, object],
    organiser: User,
    serbian_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    Event.objects.update(tlp="AMBER")
    Plan.objects.update(tlp="AMBER")
    Recommendation.objects.update(tlp="AMBER")
    client = signed_in(serbian_officer)
    for page in PAGES:
        if "{" not in page or "?event=" in page:
            continue  # lists and forms for new items show only what the reader may see
        url = page.format(**full)
        status = client.get(url).status_code
        assert status in (403, 404), (url, status)
    lists = (
        client.get("/coordination/recommendations/").content
        + client.get("/coordination/plans/").content
    )
    assert b"local safety council" not in lists and b"al-nap-2025" not in lists
    api = [
        "/api/v1/coordination/events/{event}",
        "/api/v1/coordination/events/{event}/participants",
        "/api/v1/coordination/recommendations/{rec}",
        "/api/v1/coordination/plans/{plan}",
        "/api/v1/coordination/actions/{action}",
        "/api/v1/coordination/actions/{action}/progress",
        "/api/v1/coordination/plans/{plan}/export",
    ]
    for endpoint in api:
        response = client.get(endpoint.format(**full))
        assert response.status_code == 404, endpoint
        assert response["Content-Type"] == "application/problem+json"
    listed = client.get("/api/v1/coordination/events").json()
    assert listed["count"] == 0
    assert client.get("/coordination/events/").content.count(b"Upcoming workshop") == 0


def test_signed_out_visitors_are_sent_to_sign_in(full: dict[str, object], client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/coordination/events/{event}/".format(**full))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/coordination/events").status_code == 401
