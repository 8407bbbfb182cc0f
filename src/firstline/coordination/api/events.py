"""Events API: events, agenda, invitations, registrations, attendance, minutes, iCalendar."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from firstline import policy
from firstline.audit.reads import consulted
from firstline.coordination.api import common
from firstline.coordination.api.common import actor_of
from firstline.coordination.ical import calendar_bytes
from firstline.coordination.models import (
    TLP,
    AgendaItem,
    Event,
    Registration,
    Session,
)
from firstline.coordination.services import documents, events, registrations
from firstline.coordination.services.common import require
from firstline.coordination.services.events import SpeakerIn
from firstline.core.problems import Problem
from firstline.directory.models import Person

router = Router(tags=["coordination: events"])


class SpeakerSchema(Schema):
    person: str | None = Field(None, description="key of a person in the directory")
    guest_name: str = ""
    guest_affiliation: str = ""
    role: str = ""


class ItemIn(Schema):
    title: str
    start: dt.datetime = Field(description="naive times are local to the event")
    end: dt.datetime
    description: str = ""
    topics: list[str] = []
    tags: list[str] = []
    speakers: list[SpeakerSchema] = []
    title_translations: dict[str, str] = {}


class ItemOut(Schema):
    id: int
    title: str
    start: dt.datetime
    end: dt.datetime
    description: str
    topics: list[str]
    tags: list[str]
    speakers: list[SpeakerSchema]

    @staticmethod
    def resolve_speakers(obj: AgendaItem) -> list[dict[str, Any]]:
        return [
            {
                "person": s.person.key if s.person else None,
                "guest_name": s.guest_name,
                "guest_affiliation": s.guest_affiliation,
                "role": s.role,
            }
            for s in obj.speakers.select_related("person")
        ]

    @staticmethod
    def resolve_start(obj: AgendaItem) -> dt.datetime:
        return obj.start.astimezone(obj.session.event.zone)

    @staticmethod
    def resolve_end(obj: AgendaItem) -> dt.datetime:
        return obj.end.astimezone(obj.session.event.zone)


class SessionIn(Schema):
    title: str
    start: dt.datetime = Field(description="naive times are local to the event")
    end: dt.datetime
    room: str = ""
    topics: list[str] = []
    tags: list[str] = []
    title_translations: dict[str, str] = {}


class SessionOut(Schema):
    id: int
    title: str
    start: dt.datetime
    end: dt.datetime
    room: str
    topics: list[str]
    tags: list[str]
    items: list[ItemOut]

    @staticmethod
    def resolve_items(obj: Session) -> list[AgendaItem]:
        return list(obj.items.all())

    @staticmethod
    def resolve_start(obj: Session) -> dt.datetime:
        return obj.start.astimezone(obj.event.zone)

    @staticmethod
    def resolve_end(obj: Session) -> dt.datetime:
        return obj.end.astimezone(obj.event.zone)


class EventIn(Schema):
    kind: str
    title: str
    start: dt.datetime = Field(description="naive times are wall-clock times in `timezone`")
    end: dt.datetime
    timezone: str = Field(description="IANA zone, e.g. Europe/Tirane")
    organisers: list[str] = Field(description="organisation keys")
    networks: list[str] = []
    country: str | None = None
    title_translations: dict[str, str] = {}
    description: str = ""
    description_translations: dict[str, str] = {}
    venue: str = ""
    online_url: str = ""
    capacity: int | None = None
    waitlist_enabled: bool = True
    registration_deadline: dt.datetime | None = None
    tlp: str = TLP.GREEN
    classification: str | None = None


class EventPatch(Schema):
    kind: str | None = None
    title: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    timezone: str | None = None
    organisers: list[str] | None = None
    networks: list[str] | None = None
    country: str | None = None
    title_translations: dict[str, str] | None = None
    description: str | None = None
    description_translations: dict[str, str] | None = None
    venue: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    waitlist_enabled: bool | None = None
    registration_deadline: dt.datetime | None = None
    tlp: str | None = None
    classification: str | None = None


class EventOut(Schema):
    id: int
    uid: str
    kind: str
    title: str
    title_translations: dict[str, str]
    description: str
    organisers: list[str]
    networks: list[str]
    country: str | None
    venue: str
    online_url: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    capacity: int | None
    waitlist_enabled: bool
    registration_deadline: dt.datetime | None
    tlp: str
    classification: str

    @staticmethod
    def resolve_uid(obj: Event) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_organisers(obj: Event) -> list[str]:
        return [o.key for o in obj.organisers.all()]

    @staticmethod
    def resolve_networks(obj: Event) -> list[str]:
        return [n.key for n in obj.networks.all()]

    @staticmethod
    def resolve_country(obj: Event) -> str | None:
        return obj.country.code if obj.country else None

    @staticmethod
    def resolve_start(obj: Event) -> dt.datetime:
        return obj.start.astimezone(obj.zone)

    @staticmethod
    def resolve_end(obj: Event) -> dt.datetime:
        return obj.end.astimezone(obj.zone)

    @staticmethod
    def resolve_registration_deadline(obj: Event) -> dt.datetime | None:
        return obj.registration_deadline.astimezone(obj.zone) if obj.registration_deadline else None


class EventDetailOut(EventOut):
    sessions: list[SessionOut]

    @staticmethod
    def resolve_sessions(obj: Event) -> list[Session]:
        return list(obj.sessions.all())


class InvitationIn(Schema):
    organisations: list[str] = []
    people: list[str] = []


class InvitationOut(Schema):
    id: int
    organisation: str | None
    person: str | None
    invited_at: dt.datetime

    @staticmethod
    def resolve_organisation(obj: Any) -> str | None:
        return obj.organisation.key if obj.organisation else None

    @staticmethod
    def resolve_person(obj: Any) -> str | None:
        return obj.person.key if obj.person else None


class RegistrationIn(Schema):
    accessibility_needs: str = ""
    dietary_needs: str = ""
    consent_to_list: bool = False


class RegistrationOut(Schema):
    id: int
    event: int = Field(alias="event_id")
    status: str
    registered_at: dt.datetime
    consent_to_list: bool
    attended: bool


class RegistrationFullOut(RegistrationOut):
    name: str
    email: str
    organisation: str | None
    accessibility_needs: str
    dietary_needs: str

    @staticmethod
    def resolve_organisation(obj: Registration) -> str | None:
        return obj.organisation.key if obj.organisation else None


class ParticipantOut(Schema):
    name: str
    organisation: str | None

    @staticmethod
    def resolve_organisation(obj: Registration) -> str | None:
        return obj.organisation.display_name if obj.organisation else None


class AttendanceIn(Schema):
    attended: dict[int, bool] = Field(description="registration id → present")


class MinutesIn(Schema):
    text: str
    note: str = ""
    session: int | None = None


class MinutesVersionOut(Schema):
    minutes: int = Field(alias="minutes_id")
    number: int
    text: str
    note: str
    created_at: dt.datetime


def _event(request: HttpRequest, event_id: int) -> Event:
    return policy.get_visible_or_404(actor_of(request), Event, pk=event_id)


@router.get("/events", response=list[EventOut])
@paginate(LimitOffsetPagination)
def list_events(request: HttpRequest, after: dt.datetime | None = None) -> Any:
    """Events visible to the caller, soonest first; ``after`` keeps those ending after it."""
    events_qs = (
        policy.visible_to(actor_of(request), Event)
        .prefetch_related("organisers", "networks")
        .select_related("country")
    )
    if after is not None:
        events_qs = events_qs.filter(end__gte=after)
    return events_qs.order_by("start", "pk")


@router.post("/events", response={201: EventDetailOut})
def create_event(request: HttpRequest, payload: EventIn) -> Any:
    actor = actor_of(request)
    data = payload.dict()
    data["organisers"] = common.organisations(actor, data["organisers"], "organisers")
    data["networks"] = common.networks(actor, data["networks"])
    data["country"] = common.country(data["country"])
    return Status(201, events.create_event(actor, request=request, **data))


@router.get("/events/{event_id}", response=EventDetailOut)
def get_event(request: HttpRequest, event_id: int) -> Any:
    """The event with its agenda; the speakers' directory keys name people: a logged read."""
    event = _event(request, event_id)
    with transaction.atomic():
        speakers = list(Person.objects.filter(talks__item__session__event=event).distinct())
        consulted(request, speakers, object_type="directory.person", actor=actor_of(request))
    return event


@router.patch("/events/{event_id}", response=EventDetailOut)
def update_event(request: HttpRequest, event_id: int, payload: EventPatch) -> Any:
    actor = actor_of(request)
    event = _event(request, event_id)
    data = payload.dict(exclude_unset=True)
    organisers = data.pop("organisers", None)
    networks = data.pop("networks", None)
    if "country" in data:
        data["country"] = common.country(data["country"])
    return events.update_event(
        actor,
        event,
        organisers=common.organisations(actor, organisers, "organisers")
        if organisers is not None
        else None,
        networks=common.networks(actor, networks) if networks is not None else None,
        request=request,
        **data,
    )


@router.post("/events/{event_id}/sessions", response={201: SessionOut})
def add_session(request: HttpRequest, event_id: int, payload: SessionIn) -> Any:
    event = _event(request, event_id)
    return Status(201, events.add_session(actor_of(request), event, **payload.dict()))


@router.post("/sessions/{session_id}/items", response={201: ItemOut})
def add_item(request: HttpRequest, session_id: int, payload: ItemIn) -> Any:
    actor = actor_of(request)
    session = policy.get_visible_or_404(actor, Session, pk=session_id)
    data = payload.dict()
    speakers = []
    for index, s in enumerate(data.pop("speakers")):
        person = (
            common.people(actor, [s["person"]], f"speakers.{index}.person")[0]
            if s["person"]
            else None
        )
        speakers.append(
            SpeakerIn(
                person=person,
                guest_name=s["guest_name"],
                guest_affiliation=s["guest_affiliation"],
                role=s["role"],
            )
        )
    return Status(201, events.add_item(actor, session, speakers=speakers, **data))


@router.post("/events/{event_id}/invitations", response={201: list[InvitationOut]})
def invite(request: HttpRequest, event_id: int, payload: InvitationIn) -> Any:
    actor = actor_of(request)
    event = _event(request, event_id)
    return Status(
        201,
        events.invite(
            actor,
            event,
            organisations=common.organisations(actor, payload.organisations, "organisations"),
            people=common.people(actor, payload.people),
        ),
    )


@router.post("/events/{event_id}/registrations", response={201: RegistrationOut})
def register(request: HttpRequest, event_id: int, payload: RegistrationIn) -> Any:
    """Register the signed-in caller: confirmed while places last, then the waiting list."""
    event = _event(request, event_id)
    return Status(
        201, registrations.register(actor_of(request), event, request=request, **payload.dict())
    )


@router.get("/events/{event_id}/registrations", response=list[RegistrationFullOut])
def list_registrations(request: HttpRequest, event_id: int) -> Any:
    """All registrations with their needs, for organisers (the read is audited)."""
    event = _event(request, event_id)
    return registrations.consult_registrations(actor_of(request), event, request=request)


@router.post("/registrations/{registration_id}/cancel", response=RegistrationOut)
def cancel_registration(request: HttpRequest, registration_id: int) -> Any:
    actor = actor_of(request)
    registration = policy.get_visible_or_404(actor, Registration, pk=registration_id)
    registrations.cancel_registration(actor, registration, request=request)
    return registration


@router.post("/events/{event_id}/attendance", response=list[RegistrationOut])
def attendance(request: HttpRequest, event_id: int, payload: AttendanceIn) -> Any:
    event = _event(request, event_id)
    return registrations.record_attendance(
        actor_of(request),
        event,
        attended=payload.attended,
        request=request,
    )


@router.get("/events/{event_id}/participants", response=list[ParticipantOut])
def participants(request: HttpRequest, event_id: int) -> Any:
    """Confirmed participants who consented to be listed."""
    event = _event(request, event_id)
    return registrations.participant_list(actor_of(request), event, request=request)


@router.post("/events/{event_id}/minutes", response={201: MinutesVersionOut})
def save_minutes(request: HttpRequest, event_id: int, payload: MinutesIn) -> Any:
    actor = actor_of(request)
    event = _event(request, event_id)
    session = None
    if payload.session is not None:
        session = event.sessions.filter(pk=payload.session).first()
        if session is None:
            raise Problem.field("session", f"no session {payload.session} in this event")
    return Status(
        201,
        documents.save_minutes(actor, event, text=payload.text, note=payload.note, session=session),
    )


@router.get("/events/{event_id}/event.ics")
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id)
    require(actor_of(request), policy.VIEW, event)
    return HttpResponse(
        calendar_bytes([event], name=event.display_title),
        content_type="text/calendar; charset=utf-8",
    )
