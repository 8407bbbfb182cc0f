"""Documents and minutes of events and sessions; minutes keep every version."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from firstline.accounts.models import User
from firstline.coordination.models import Event, EventDocument, MinutesVersion
from firstline.coordination.services import documents, events
from firstline.core.problems import Problem


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def test_organisers_attach_papers_that_participants_download(
    organiser: User,
    workshop: Event,
    teacher: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    session = events.add_session(
        organiser,
        workshop,
        title="Morning",
        start=dt.datetime(2025, 4, 10, 9),
        end=dt.datetime(2025, 4, 10, 12),
    )
    upload = SimpleUploadedFile("agenda.pdf", b"%PDF-1.4 agenda", content_type="application/pdf")
    document = documents.attach_document(
        organiser, workshop, title="Agenda", upload=upload, session=session
    )
    response = signed_in(teacher).get(f"/coordination/documents/{document.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 agenda"


def test_others_cannot_attach(workshop: Event, teacher: User) -> None:
    upload = SimpleUploadedFile("x.txt", b"x")
    with pytest.raises(PermissionDenied):
        documents.attach_document(teacher, workshop, title="Mine", upload=upload)
    assert not EventDocument.objects.exists()


def test_an_empty_file_is_refused(organiser: User, workshop: Event) -> None:
    with pytest.raises(Problem) as caught:
        documents.attach_document(
            organiser, workshop, title="Empty", upload=SimpleUploadedFile("e.txt", b"")
        )
    assert caught.value.errors[0]["field"] == "file"


def test_the_upload_page(organiser: User, workshop: Event, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(organiser)
    response = client.post(
        f"/coordination/events/{workshop.pk}/documents/new/",
        {"title": "Concept note", "file": SimpleUploadedFile("note.txt", b"concept")},
    )
    assert response.status_code == 302
    assert b"Concept note" in client.get(f"/coordination/events/{workshop.pk}/").content


def test_minutes_keep_their_versions(organiser: User, workshop: Event) -> None:
    first = documents.save_minutes(organiser, workshop, text="Opened at 09:10.")
    second = documents.save_minutes(
        organiser, workshop, text="Opened at 09:10.\nAgreed R1.", note="added the outcome"
    )
    assert (first.number, second.number) == (1, 2)
    assert first.minutes_id == second.minutes_id
    assert second.minutes.current == second
    assert MinutesVersion.objects.get(pk=first.pk).text == "Opened at 09:10."


def test_unchanged_minutes_are_not_a_new_version(organiser: User, workshop: Event) -> None:
    documents.save_minutes(organiser, workshop, text="Same.")
    with pytest.raises(Problem) as caught:
        documents.save_minutes(organiser, workshop, text="Same.")
    assert caught.value.errors[0]["field"] == "text"
    assert MinutesVersion.objects.count() == 1


def test_sessions_have_their_own_minutes(organiser: User, workshop: Event) -> None:
    session = events.add_session(
        organiser,
        workshop,
        title="Morning",
        start=dt.datetime(2025, 4, 10, 9),
        end=dt.datetime(2025, 4, 10, 12),
    )
    event_minutes = documents.save_minutes(organiser, workshop, text="Event.")
    session_minutes = documents.save_minutes(organiser, workshop, text="Session.", session=session)
    assert event_minutes.minutes_id != session_minutes.minutes_id
    assert session_minutes.number == 1


def test_the_history_page_shows_versions_and_changes(
    organiser: User,
    workshop: Event,
    teacher: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    client.post(f"/coordination/events/{workshop.pk}/minutes/", {"text": "Line one."})
    response = client.post(
        f"/coordination/events/{workshop.pk}/minutes/",
        {"text": "Line one.\nLine two.", "note": "second line"},
    )
    assert response.status_code == 302
    history = signed_in(teacher).get(response["Location"])
    assert history.status_code == 200
    body = history.content.decode()
    assert "v1" in body and "v2" in body and "second line" in body
    assert "+Line two." in body  # the change from the version before
    first = signed_in(teacher).get(response["Location"] + "?version=1").content.decode()
    assert "Line two." not in first.split("History")[0]


def test_participants_cannot_write_minutes(workshop: Event, teacher: User, signed_in) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(teacher).post(
        f"/coordination/events/{workshop.pk}/minutes/", {"text": "x"}
    )
    assert response.status_code == 403
    assert not MinutesVersion.objects.exists()


@override_settings(LANGUAGE_CODE="en")
def test_minutes_over_the_api(organiser: User, workshop: Event, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(organiser)
    url = f"/api/v1/coordination/events/{workshop.pk}/minutes"
    assert client.post(url, {"text": "v1"}, content_type="application/json").json()["number"] == 1
    bad = client.post(url, {"text": "v2", "session": 999}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "session"
