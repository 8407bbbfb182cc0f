"""Registration, the waiting list, attendance and the participant list.

Registrations are personal data (names, e-mail, accessibility and dietary needs): every write is
audited (COLLECT, ALTER) and every read by someone other than the registrant is audited (CONSULT)
in the transaction of the read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest

from firstline import policy
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.coordination import policy as coordination_policy
from firstline.coordination.models import Event, Registration, RegistrationStatus
from firstline.coordination.services.common import local_text, require
from firstline.core import clock
from firstline.core.problems import Problem

OBJECT_TYPE = "coordination.registration"
BADGE_SALT = "firstline.coordination.badge"


def _notify_on_commit(registration: Registration) -> None:
    from firstline.coordination.tasks import notify_registration

    transaction.on_commit(lambda: notify_registration.enqueue(registration.pk))


def register(
    actor: Any,
    event: Event,
    *,
    accessibility_needs: str = "",
    dietary_needs: str = "",
    consent_to_list: bool = False,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Registration:
    """Register the signed-in person for ``event``: a place if one is free, else the waiting list.

    The event row is locked while places are counted, so two people registering at once cannot
    both take the last place.
    """
    at = now or clock.now()
    require(actor, policy.VIEW, event)
    user = actor if coordination_policy.user_id(actor) else None
    if user is None:
        raise Problem.field("user", "register as a signed-in person, not with an API key")
    zone = event.zone
    if event.registration_deadline and at > event.registration_deadline:
        raise Problem.field(
            "registration_deadline",
            f"registration closed on {local_text(event.registration_deadline, zone)} "
            f"({event.timezone})",
            status=409,
        )
    if at >= event.end:
        raise Problem.field("event", "the event is over", status=409)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        active = locked.registrations.exclude(status=RegistrationStatus.CANCELLED)
        if active.filter(user=user).exists():
            raise Problem.field("user", "you are already registered for this event", status=409)
        confirmed = active.filter(status=RegistrationStatus.CONFIRMED).count()
        if locked.capacity is None or confirmed < locked.capacity:
            status = RegistrationStatus.CONFIRMED
        elif locked.waitlist_enabled:
            status = RegistrationStatus.WAITLISTED
        else:
            raise Problem.field(
                "capacity", f"the event is full ({locked.capacity} places)", status=409
            )
        registration = Registration.objects.create(
            event=locked,
            user=user,
            person=getattr(user, "person", None),
            name=user.get_full_name() or user.username,
            email=user.email,
            organisation=user.organisation,
            status=status,
            accessibility_needs=(accessibility_needs or "").strip(),
            dietary_needs=(dietary_needs or "").strip(),
            consent_to_list=bool(consent_to_list),
            registered_at=at,
        )
        record(
            actor=actor,
            operation=Operation.COLLECT,
            object_type=OBJECT_TYPE,
            object_ids=[registration.pk],
            subjects=[registration.subject_id],
            justification="registration for an event",
            request=request,
            now=at,
        )
        _notify_on_commit(registration)
    return registration


def promote_waitlist(
    actor: Any, event: Event, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> list[Registration]:
    """Give free places to the waiting list, first come first served. Caller holds the lock."""
    at = now or clock.now()
    promoted: list[Registration] = []
    waiting = event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by(
        "registered_at", "pk"
    )
    if event.capacity is None:
        free = waiting.count()
    else:
        confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        free = max(0, event.capacity - confirmed)
    for registration in waiting[:free]:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = at
        registration.save(update_fields=["status", "promoted_at"])
        promoted.append(registration)
        _notify_on_commit(registration)
    if promoted:
        record(
            actor=actor,
            operation=Operation.ALTER,
            object_type=OBJECT_TYPE,
            object_ids=[r.pk for r in promoted],
            subjects=[r.subject_id for r in promoted],
            justification="promoted from the waiting list",
            request=request,
            now=at,
        )
    return promoted


def cancel_registration(
    actor: Any,
    registration: Registration,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> list[Registration]:
    """Cancel a registration (the registrant or an organiser); returns those promoted."""
    at = now or clock.now()
    require(actor, policy.CHANGE, registration, "Only the registrant or an organiser may cancel.")
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=registration.event_id)
        current = Registration.objects.get(pk=registration.pk)
        if current.status == RegistrationStatus.CANCELLED:
            raise Problem.field("status", "the registration is already cancelled", status=409)
        current.status = RegistrationStatus.CANCELLED
        current.cancelled_at = at
        current.save(update_fields=["status", "cancelled_at"])
        record(
            actor=actor,
            operation=Operation.ALTER,
            object_type=OBJECT_TYPE,
            object_ids=[current.pk],
            subjects=[current.subject_id],
            justification="registration cancelled",
            request=request,
            now=at,
        )
        _notify_on_commit(current)
        promoted = promote_waitlist(actor, event, request=request, now=at)
    registration.refresh_from_db()
    return promoted


def consult_registrations(
    actor: Any, event: Event, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> list[Registration]:
    """Every registration with its needs, for the organisers; the read is logged (CONSULT)."""
    require(actor, policy.CHANGE, event, "Only the event's organisers see the registrations.")
    with transaction.atomic():
        registrations = list(
            event.registrations.select_related("organisation").order_by(
                "status", "registered_at", "pk"
            )
        )
        if registrations:
            record(
                actor=actor,
                operation=Operation.CONSULT,
                object_type=OBJECT_TYPE,
                object_ids=[r.pk for r in registrations],
                subjects=[r.subject_id for r in registrations],
                justification="organising the event (registrations and needs)",
                request=request,
                now=now,
            )
    return registrations


def participant_list(
    actor: Any, event: Event, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> list[Registration]:
    """Confirmed participants who consented to appear on the list; the read is logged."""
    require(actor, policy.VIEW, event)
    with transaction.atomic():
        shown = list(
            event.registrations.filter(status=RegistrationStatus.CONFIRMED, consent_to_list=True)
            .select_related("organisation")
            .order_by("name", "pk")
        )
        if shown:
            record(
                actor=actor,
                operation=Operation.CONSULT,
                object_type=OBJECT_TYPE,
                object_ids=[r.pk for r in shown],
                subjects=[r.subject_id for r in shown],
                justification="participant list (with each participant's consent)",
                request=request,
                now=now,
            )
    return shown


def badge_token(registration: Registration) -> str:
    """A signed token naming the registration, encoded in the badge's QR code."""
    return signing.dumps({"r": registration.pk, "e": registration.event_id}, salt=BADGE_SALT)


def registration_for_token(event: Event, token: str) -> Registration:
    """The registration a badge token names, if it is valid and for ``event``; else 404."""
    try:
        data = signing.loads(token, salt=BADGE_SALT)
    except signing.BadSignature:
        raise Http404 from None
    if (
        not isinstance(data, dict)
        or data.get("e") != event.pk
        or not isinstance(data.get("r"), int)
    ):
        raise Http404
    found = event.registrations.filter(pk=int(data["r"])).first()
    if found is None:
        raise Http404
    return found


def record_attendance(
    actor: Any,
    event: Event,
    *,
    attended: dict[int, bool],
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> list[Registration]:
    """Mark confirmed registrations present or absent (the list with checkboxes, or a badge).

    ``attended`` maps registration ids to presence; ids of other events are refused.
    """
    at = now or clock.now()
    require(actor, policy.CHANGE, event, "Only the event's organisers record attendance.")
    with transaction.atomic():
        registrations = {
            r.pk: r for r in event.registrations.filter(pk__in=list(attended)).select_for_update()
        }
        missing = set(attended) - set(registrations)
        if missing:
            raise Problem.field("attended", f"not registrations of this event: {sorted(missing)}")
        changed: list[Registration] = []
        for pk, present in attended.items():
            registration = registrations[pk]
            if present and registration.status != RegistrationStatus.CONFIRMED:
                raise Problem.field(
                    "attended", f"{registration.name} is not confirmed ({registration.status})"
                )
            if registration.attended == present:
                continue
            registration.attended = present
            registration.checked_in_at = at if present else None
            registration.checked_in_by = (
                actor if present and coordination_policy.user_id(actor) else None
            )
            registration.save(update_fields=["attended", "checked_in_at", "checked_in_by"])
            changed.append(registration)
        if changed:
            record(
                actor=actor,
                operation=Operation.ALTER,
                object_type=OBJECT_TYPE,
                object_ids=[r.pk for r in changed],
                subjects=[r.subject_id for r in changed],
                justification="attendance",
                request=request,
                now=at,
            )
    return changed
