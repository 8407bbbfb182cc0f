"""Registration: places, the waiting list, the deadline, e-mail with iCalendar, attendance,
the participant list and the audit of every read of registration data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from icalendar import Calendar

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry
from firstline.coordination.models import Event, Registration, RegistrationStatus
from firstline.coordination.services import events, registrations
from firstline.core.problems import Problem
from firstline.directory.models import Organisation


@pytest.fixture
def third(albanian_police: Organisation, make_person) -> User:  # type: ignore[no-untyped-def]
    return make_person(albanian_police, Role.PRACTITIONER, "al-third")


def test_it_confirms_while_places_last_then_waitlists(
    workshop: Event, police_officer: User, teacher: User, third: User, now: dt.datetime
) -> None:
    first = registrations.register(police_officer, workshop, now=now)
    second = registrations.register(teacher, workshop, now=now)
    waiting = registrations.register(third, workshop, now=now)
    assert [first.status, second.status, waiting.status] == ["confirmed", "confirmed", "waitlisted"]


def test_a_cancellation_promotes_the_first_on_the_waiting_list(
    workshop: Event,
    police_officer: User,
    teacher: User,
    third: User,
    serbian_officer: User,
    now: dt.datetime,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    first = registrations.register(police_officer, workshop, now=now)
    registrations.register(teacher, workshop, now=now)
    waiting = registrations.register(third, workshop, now=now)
    later = registrations.register(serbian_officer, workshop, now=now + dt.timedelta(minutes=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        promoted = registrations.cancel_registration(police_officer, first, now=now)
    assert [r.pk for r in promoted] == [waiting.pk]
    waiting.refresh_from_db()
    later.refresh_from_db()
    assert waiting.status == "confirmed" and waiting.promoted_at == now
    assert later.status == "waitlisted"
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "A place is yours: National workshop on local prevention",
        "Registration cancelled: National workshop on local prevention",
    ]


def test_it_refuses_registration_after_the_deadline(workshop: Event, police_officer: User) -> None:
    late = dt.datetime(2025, 4, 6, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(Problem) as caught:
        registrations.register(police_officer, workshop, now=late)
    assert caught.value.status == 409
    assert caught.value.errors[0]["field"] == "registration_deadline"
    assert (
        "registration closed on 2025-04-05 23:59 (Europe/Tirane)"
        in caught.value.errors[0]["reason"]
    )
    assert not Registration.objects.exists()
    assert not AuditEntry.objects.filter(object_type="coordination.registration").exists()


def test_it_refuses_registration_past_capacity_without_a_waiting_list(
    organiser: User,
    workshop: Event,
    police_officer: User,
    teacher: User,
    third: User,
    now: dt.datetime,
) -> None:
    events.update_event(organiser, workshop, waitlist_enabled=False)
    registrations.register(police_officer, workshop, now=now)
    registrations.register(teacher, workshop, now=now)
    with pytest.raises(Problem) as caught:
        registrations.register(third, workshop, now=now)
    assert caught.value.errors[0] == {"field": "capacity", "reason": "the event is full (2 places)"}
    assert Registration.objects.count() == 2


def test_it_refuses_a_second_registration(
    workshop: Event, police_officer: User, now: dt.datetime
) -> None:
    registrations.register(police_officer, workshop, now=now)
    with pytest.raises(Problem) as caught:
        registrations.register(police_officer, workshop, now=now)
    assert caught.value.errors[0]["field"] == "user"


def test_raising_the_capacity_promotes_the_waiting_list(
    organiser: User,
    workshop: Event,
    police_officer: User,
    teacher: User,
    third: User,
    now: dt.datetime,
) -> None:
    for user in (police_officer, teacher, third):
        registrations.register(user, workshop, now=now)
    events.update_event(organiser, workshop, capacity=3)
    assert Registration.objects.get(user=third).status == "confirmed"


def test_capacity_cannot_drop_below_those_confirmed(
    organiser: User, workshop: Event, police_officer: User, teacher: User, now: dt.datetime
) -> None:
    registrations.register(police_officer, workshop, now=now)
    registrations.register(teacher, workshop, now=now)
    with pytest.raises(Problem) as caught:
        events.update_event(organiser, workshop, capacity=1)
    assert caught.value.errors[0]["field"] == "capacity"


def test_the_confirmation_carries_the_event_as_icalendar(
    workshop: Event,
    police_officer: User,
    now: dt.datetime,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        registration = registrations.register(police_officer, workshop, now=now)
    (message,) = mail.outbox
    assert message.to == ["al-police@example.org"]
    assert message.subject == "Registration confirmed: National workshop on local prevention"
    assert f"/coordination/registrations/{registration.pk}/badge/" in message.body
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == ("event.ics", "text/calendar")
    calendar = Calendar.from_ical(content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "National workshop on local prevention"
    assert vevent.decoded("DTSTART") == dt.datetime(2025, 4, 10, 7, 0, tzinfo=dt.UTC)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Tirane"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Tirane"
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_the_notification_is_sent_once(
    workshop: Event,
    police_officer: User,
    now: dt.datetime,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    from firstline.coordination.tasks import notify_registration

    with django_capture_on_commit_callbacks(execute=True):
        registration = registrations.register(police_officer, workshop, now=now)
    assert notify_registration.call(registration.pk) == "nothing to send"
    assert len(mail.outbox) == 1


def test_the_waiting_list_mail_has_no_calendar(
    organiser: User,
    workshop: Event,
    police_officer: User,
    teacher: User,
    third: User,
    now: dt.datetime,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    registrations.register(police_officer, workshop, now=now)
    registrations.register(teacher, workshop, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        registrations.register(third, workshop, now=now)
    (message,) = [m for m in mail.outbox if m.to == ["al-third@example.org"]]
    assert message.subject.startswith("You are on the waiting list")
    assert message.attachments == []


def test_the_participant_list_honours_consent_and_is_audited(
    workshop: Event,
    police_officer: User,
    teacher: User,
    serbian_officer: User,
    now: dt.datetime,
) -> None:
    listed = registrations.register(police_officer, workshop, consent_to_list=True, now=now)
    registrations.register(teacher, workshop, consent_to_list=False, now=now)
    shown = registrations.participant_list(serbian_officer, workshop, now=now)
    assert [r.name for r in shown] == ["Besnik Kola"]
    entry = AuditEntry.objects.filter(operation="consult").get()
    assert entry.object_ids == [str(listed.pk)]
    assert entry.subjects == [f"user:{police_officer.pk}"]
    assert entry.actor_user == f"user:{serbian_officer.pk}"


def test_organisers_read_needs_and_each_read_is_audited(
    organiser: User,
    workshop: Event,
    police_officer: User,
    signed_in,
    now: dt.datetime,  # type: ignore[no-untyped-def]
) -> None:
    registration = registrations.register(
        police_officer,
        workshop,
        accessibility_needs="Wheelchair access",
        dietary_needs="Halal",
        now=now,
    )
    response = signed_in(organiser).get(f"/coordination/events/{workshop.pk}/registrations/")
    assert response.status_code == 200
    assert b"Wheelchair access" in response.content and b"Halal" in response.content
    consult = AuditEntry.objects.filter(operation="consult").get()
    assert consult.object_ids == [str(registration.pk)]
    assert consult.justification.startswith("organising the event")
    api = signed_in(organiser).get(f"/api/v1/coordination/events/{workshop.pk}/registrations")
    assert api.json()[0]["dietary_needs"] == "Halal"
    assert AuditEntry.objects.filter(operation="consult").count() == 2


def test_others_do_not_see_registration_needs(
    workshop: Event,
    police_officer: User,
    teacher: User,
    signed_in,
    now: dt.datetime,  # type: ignore[no-untyped-def]
) -> None:
    registrations.register(police_officer, workshop, dietary_needs="Halal", now=now)
    with pytest.raises(PermissionDenied):
        registrations.consult_registrations(teacher, workshop)
    page = signed_in(teacher).get(f"/coordination/events/{workshop.pk}/registrations/")
    assert page.status_code == 403
    api = signed_in(teacher).get(f"/api/v1/coordination/events/{workshop.pk}/registrations")
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    assert not AuditEntry.objects.filter(operation="consult").exists()


def test_the_registrant_cancels_only_their_own(
    workshop: Event, police_officer: User, teacher: User, now: dt.datetime
) -> None:
    registration = registrations.register(police_officer, workshop, now=now)
    with pytest.raises(Http404):
        registrations.cancel_registration(teacher, registration, now=now)
    registration.refresh_from_db()
    assert registration.status == "confirmed"


def test_writes_are_audited(workshop: Event, police_officer: User, now: dt.datetime) -> None:
    registration = registrations.register(police_officer, workshop, now=now)
    registrations.cancel_registration(police_officer, registration, now=now)
    ops = list(AuditEntry.objects.values_list("operation", flat=True))
    assert ops == ["collect", "alter"]


def test_a_badge_checks_the_participant_in(
    organiser: User,
    workshop: Event,
    police_officer: User,
    signed_in,
    now: dt.datetime,  # type: ignore[no-untyped-def]
) -> None:
    registration = registrations.register(police_officer, workshop, now=now)
    badge = signed_in(police_officer).get(f"/coordination/registrations/{registration.pk}/badge/")
    assert badge.status_code == 200
    assert b'src="data:image/svg+xml' in badge.content
    token = registrations.badge_token(registration)
    url = f"/coordination/events/{workshop.pk}/check-in/{token}/"
    # the participant cannot check themselves in
    assert signed_in(police_officer).post(url).status_code == 403
    organiser_client = signed_in(organiser)
    assert b"Besnik Kola" in organiser_client.get(url).content
    assert organiser_client.post(url).status_code == 302
    registration.refresh_from_db()
    assert registration.attended and registration.checked_in_by == organiser


def test_a_forged_badge_is_refused(
    organiser: User,
    workshop: Event,
    police_officer: User,
    signed_in,
    now: dt.datetime,  # type: ignore[no-untyped-def]
) -> None:
    registration = registrations.register(police_officer, workshop, now=now)
    token = registrations.badge_token(registration)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = signed_in(organiser).post(f"/coordination/events/{workshop.pk}/check-in/{forged}/")
    assert response.status_code == 404
    registration.refresh_from_db()
    assert not registration.attended


def test_the_attendance_list_records_presence(
    organiser: User,
    workshop: Event,
    police_officer: User,
    teacher: User,
    signed_in,  # type: ignore[no-untyped-def]
    now: dt.datetime,
) -> None:
    present = registrations.register(police_officer, workshop, now=now)
    absent = registrations.register(teacher, workshop, now=now)
    client = signed_in(organiser)
    page = client.get(f"/coordination/events/{workshop.pk}/attendance/")
    assert b'name="present"' in page.content
    client.post(
        f"/coordination/events/{workshop.pk}/attendance/",
        {"listed": [present.pk, absent.pk], "present": [present.pk]},
    )
    assert Registration.objects.get(pk=present.pk).attended
    assert not Registration.objects.get(pk=absent.pk).attended


def test_waitlisted_people_cannot_be_marked_present(
    workshop: Event,
    organiser: User,
    police_officer: User,
    teacher: User,
    third: User,
    now: dt.datetime,
) -> None:
    for user in (police_officer, teacher):
        registrations.register(user, workshop, now=now)
    waiting = registrations.register(third, workshop, now=now)
    with pytest.raises(Problem) as caught:
        registrations.record_attendance(organiser, workshop, attended={waiting.pk: True})
    assert caught.value.errors[0]["field"] == "attended"
    assert not Registration.objects.get(pk=waiting.pk).attended


def test_registration_over_the_api(
    upcoming_workshop: Event,
    police_officer: User,
    teacher: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    url = f"/api/v1/coordination/events/{upcoming_workshop.pk}/registrations"
    body = {"dietary_needs": "Vegetarian", "consent_to_list": True}
    first = signed_in(police_officer).post(url, body, content_type="application/json")
    assert first.status_code == 201
    assert first.json()["status"] == "confirmed"
    second = signed_in(teacher).post(url, body, content_type="application/json")
    assert second.json()["status"] == "waitlisted"  # one place only
    again = signed_in(teacher).post(url, body, content_type="application/json")
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["errors"][0]["field"] == "user"
    cancelled = signed_in(police_officer).post(
        f"/api/v1/coordination/registrations/{first.json()['id']}/cancel"
    )
    assert cancelled.json()["status"] == "cancelled"
    assert Registration.objects.get(pk=second.json()["id"]).status == "confirmed"


def test_registration_past_the_deadline_over_the_api(
    workshop: Event,
    police_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    # the API runs on the real clock, long after the deadline of this 2025 workshop
    response = signed_in(police_officer).post(
        f"/api/v1/coordination/events/{workshop.pk}/registrations",
        {},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "registration_deadline"
    assert not Registration.objects.exists()


def test_registration_page_shows_the_reason_it_is_closed(
    workshop: Event,
    police_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    response = signed_in(police_officer).post(f"/coordination/events/{workshop.pk}/register/", {})
    assert response.status_code == 409
    assert b"registration closed on 2025-04-05 23:59" in response.content
    assert RegistrationStatus.CONFIRMED not in Registration.objects.values_list("status", flat=True)


def test_a_person_without_an_address_registers_without_mail(
    workshop: Event,
    albanian_officer: User,
    now: dt.datetime,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        registration = registrations.register(albanian_officer, workshop, now=now)
    assert registration.status == "confirmed"
    assert mail.outbox == []
    registration.refresh_from_db()
    assert registration.notified_status == "confirmed"
