"""Events and their agenda: create, change, sessions, items, speakers, invitations."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from firstline import policy
from firstline.coordination import policy as coordination_policy
from firstline.coordination.models import (
    TLP,
    AgendaItem,
    Event,
    EventKind,
    Invitation,
    RegistrationStatus,
    Session,
    Speaker,
)
from firstline.coordination.models.common import lowest_classification
from firstline.coordination.services.common import (
    aware,
    check_marking,
    check_period,
    clean_topics,
    clean_translations,
    local_text,
    require,
    required_text,
    zone_or_problem,
)
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network, Organisation, Person

EVENT_FIELDS = (
    "kind",
    "title",
    "title_translations",
    "description",
    "description_translations",
    "country",
    "venue",
    "online_url",
    "start",
    "end",
    "timezone",
    "capacity",
    "waitlist_enabled",
    "registration_deadline",
    "tlp",
    "classification",
)


@dataclass(frozen=True)
class SpeakerIn:
    """A speaker: a directory person, or a guest by name (with an optional affiliation)."""

    person: Person | None = None
    guest_name: str = ""
    guest_affiliation: str = ""
    role: str = ""


def _check_event(event: Event, zone: zoneinfo.ZoneInfo) -> None:
    """Whole-event rules, applied on create and on every change."""
    if event.kind not in EventKind.values:
        raise Problem.field("kind", f"{event.kind!r} is not a kind of event")
    event.title = required_text(event.title, "title", 255)
    check_period(event.start, event.end, shown=local_text(event.end, zone))
    if not event.venue.strip() and not event.online_url.strip():
        raise Problem.field("venue", "give a venue or an online link")
    if event.online_url and not event.online_url.lower().startswith(("https://", "http://")):
        raise Problem.field("online_url", "must be an http:// or https:// address")
    if event.capacity is not None and event.capacity < 1:
        raise Problem.field("capacity", "at least 1, or empty for no limit")
    if event.registration_deadline and event.registration_deadline > event.end:
        raise Problem.field(
            "registration_deadline",
            f"the deadline ({local_text(event.registration_deadline, zone)}) is after the event "
            f"ends ({local_text(event.end, zone)})",
        )


def _check_within_event(event: Event, start: dt.datetime, end: dt.datetime, what: str) -> None:
    zone = event.zone
    check_period(start, end, shown=local_text(end, zone))
    if start < event.start:
        raise Problem.field(
            "start",
            f"the {what} starts at {local_text(start, zone)}, before the event starts "
            f"({local_text(event.start, zone)} {event.timezone})",
        )
    if end > event.end:
        raise Problem.field(
            "end",
            f"the {what} ends at {local_text(end, zone)}, after the event ends "
            f"({local_text(event.end, zone)} {event.timezone})",
        )


def create_event(
    actor: Any,
    *,
    kind: str,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str,
    organisers: Sequence[Organisation],
    networks: Sequence[Network] = (),
    country: Country | None = None,
    title_translations: dict[str, str] | None = None,
    description: str = "",
    description_translations: dict[str, str] | None = None,
    venue: str = "",
    online_url: str = "",
    capacity: int | None = None,
    waitlist_enabled: bool = True,
    registration_deadline: dt.datetime | None = None,
    tlp: str = TLP.GREEN,
    classification: str | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Event:
    """Create an event; naive times are wall-clock times in ``timezone``."""
    if not policy.can(actor, policy.ADD, Event):
        raise PermissionDenied("Only coordinators and administrators organise events.")
    zone = zone_or_problem(timezone)
    classification = classification or lowest_classification()
    check_marking(actor, tlp, classification)
    if not organisers:
        raise Problem.field("organisers", "name at least one organiser organisation")
    event = Event(
        kind=kind,
        title=title,
        title_translations=clean_translations(title_translations, "title_translations"),
        description=(description or "").strip(),
        description_translations=clean_translations(
            description_translations, "description_translations"
        ),
        country=country,
        venue=(venue or "").strip(),
        online_url=(online_url or "").strip(),
        start=aware(start, zone),
        end=aware(end, zone),
        timezone=timezone,
        capacity=capacity,
        waitlist_enabled=waitlist_enabled,
        registration_deadline=aware(registration_deadline, zone) if registration_deadline else None,
        tlp=tlp,
        classification=classification,
        created_by=actor if coordination_policy.user_id(actor) else None,
    )
    _check_event(event, zone)
    with transaction.atomic():
        event.save()
        event.organisers.set(organisers)
        event.networks.set(networks)
    return event


def update_event(
    actor: Any,
    event: Event,
    *,
    organisers: Sequence[Organisation] | None = None,
    networks: Sequence[Network] | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    **changes: Any,
) -> Event:
    """Change an event. The agenda must still fit; capacity may not drop below those confirmed."""
    from firstline.coordination.services.registrations import promote_waitlist

    require(actor, policy.CHANGE, event, "Only the event's organisers may change it.")
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise Problem.field(sorted(unknown)[0], "not a field of an event")
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        zone = zone_or_problem(changes.get("timezone", locked.timezone))
        for name, value in changes.items():
            if name in ("start", "end", "registration_deadline") and value is not None:
                value = aware(value, zone)
            elif name in ("title_translations", "description_translations"):
                value = clean_translations(value, name)
            setattr(locked, name, value)
        check_marking(actor, locked.tlp, locked.classification)
        _check_event(locked, zone)
        if organisers is not None and not organisers:
            raise Problem.field("organisers", "name at least one organiser organisation")
        outside = locked.sessions.filter(start__lt=locked.start) | locked.sessions.filter(
            end__gt=locked.end
        )
        first = outside.order_by("start").first()
        if first is not None:
            raise Problem.field(
                "start" if first.start < locked.start else "end",
                f"the session {first.title!r} ({local_text(first.start, zone)} to "
                f"{local_text(first.end, zone)}) would lie outside the event",
            )
        confirmed = locked.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        if locked.capacity is not None and locked.capacity < confirmed:
            raise Problem.field(
                "capacity", f"{confirmed} people are already confirmed; cancel some first"
            )
        locked.sequence += 1
        locked.save()
        if organisers is not None:
            locked.organisers.set(organisers)
        if networks is not None:
            locked.networks.set(networks)
        promote_waitlist(actor, locked, request=request, now=now or clock.now())
    return locked


def add_session(
    actor: Any,
    event: Event,
    *,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    room: str = "",
    topics: Iterable[str] = (),
    tags: Iterable[str] = (),
    title_translations: dict[str, str] | None = None,
) -> Session:
    """Add a session; its times (naive = the event's zone) must lie within the event."""
    require(actor, policy.CHANGE, event, "Only the event's organisers may change its agenda.")
    zone = event.zone
    start, end = aware(start, zone), aware(end, zone)
    _check_within_event(event, start, end, "session")
    topic_list, tag_list = clean_topics(topics, tags)
    with transaction.atomic():
        session = Session.objects.create(
            event=event,
            title=required_text(title, "title", 255),
            title_translations=clean_translations(title_translations, "title_translations"),
            start=start,
            end=end,
            room=(room or "").strip(),
            topics=topic_list,
            tags=tag_list,
        )
        Event.objects.filter(pk=event.pk).update(sequence=F("sequence") + 1)
    return session


def delete_session(actor: Any, session: Session) -> None:
    require(
        actor, policy.CHANGE, session.event, "Only the event's organisers may change its agenda."
    )
    with transaction.atomic():
        session.delete()


def add_item(
    actor: Any,
    session: Session,
    *,
    title: str,
    start: dt.datetime,
    end: dt.datetime,
    description: str = "",
    topics: Iterable[str] = (),
    tags: Iterable[str] = (),
    speakers: Sequence[SpeakerIn] = (),
    title_translations: dict[str, str] | None = None,
) -> AgendaItem:
    """Add an agenda item to a session; it must lie within the session (and so the event)."""
    event = session.event
    require(actor, policy.CHANGE, event, "Only the event's organisers may change its agenda.")
    zone = event.zone
    start, end = aware(start, zone), aware(end, zone)
    _check_within_event(event, start, end, "item")
    if start < session.start or end > session.end:
        raise Problem.field(
            "start" if start < session.start else "end",
            f"the item ({local_text(start, zone)} to {local_text(end, zone)}) lies outside its "
            f"session ({local_text(session.start, zone)} to {local_text(session.end, zone)})",
        )
    topic_list, tag_list = clean_topics(topics, tags)
    for index, speaker in enumerate(speakers):
        if (speaker.person is None) == (not speaker.guest_name.strip()):
            raise Problem.field(
                f"speakers.{index}", "a speaker is a person of the directory or a guest's name"
            )
    with transaction.atomic():
        item = AgendaItem.objects.create(
            session=session,
            title=required_text(title, "title", 255),
            title_translations=clean_translations(title_translations, "title_translations"),
            description=(description or "").strip(),
            start=start,
            end=end,
            topics=topic_list,
            tags=tag_list,
        )
        Speaker.objects.bulk_create(
            Speaker(
                item=item,
                person=s.person,
                guest_name=s.guest_name.strip() if s.person is None else "",
                guest_affiliation=s.guest_affiliation.strip(),
                role=s.role.strip(),
            )
            for s in speakers
        )
        Event.objects.filter(pk=event.pk).update(sequence=F("sequence") + 1)
    return item


def invite(
    actor: Any,
    event: Event,
    *,
    organisations: Sequence[Organisation] = (),
    people: Sequence[Person] = (),
    now: dt.datetime | None = None,
) -> list[Invitation]:
    """Invite organisations and people (again inviting someone already invited does nothing).

    Each new invitation is e-mailed after the transaction commits.
    """
    from firstline.coordination.tasks import notify_invitation

    require(actor, policy.CHANGE, event, "Only the event's organisers may invite.")
    if not organisations and not people:
        raise Problem.field("organisations", "choose at least one organisation or person")
    at = now or clock.now()
    created: list[Invitation] = []
    with transaction.atomic():
        known_orgs = set(event.invitations.values_list("organisation_id", flat=True))
        known_people = set(event.invitations.values_list("person_id", flat=True))
        for org in organisations:
            if org.pk not in known_orgs:
                created.append(
                    Invitation.objects.create(
                        event=event, organisation=org, invited_by=_user(actor), invited_at=at
                    )
                )
        for person in people:
            if person.pk not in known_people:
                created.append(
                    Invitation.objects.create(
                        event=event, person=person, invited_by=_user(actor), invited_at=at
                    )
                )
        for invitation in created:
            transaction.on_commit(
                lambda pk=invitation.pk: notify_invitation.enqueue(pk)  # type: ignore[misc]
            )
    return created


def _user(actor: Any) -> Any:
    return actor if coordination_policy.user_id(actor) else None
