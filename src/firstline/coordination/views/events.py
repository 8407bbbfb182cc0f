"""Event pages: list, create, agenda, invitations, registration, attendance, papers, minutes."""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstline import policy
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.audit.reads import consulted
from firstline.coordination.forms import (
    DocumentForm,
    EventForm,
    InvitationForm,
    ItemForm,
    MinutesForm,
    RegistrationForm,
    SessionForm,
)
from firstline.coordination.ical import calendar_bytes
from firstline.coordination.models import (
    Event,
    EventDocument,
    Minutes,
    Registration,
    RegistrationStatus,
    Session,
)
from firstline.coordination.policy import is_organiser
from firstline.coordination.services import documents, events, registrations
from firstline.coordination.services.common import require
from firstline.coordination.views.common import (
    bytes_response,
    download,
    page,
    posted,
    posted_files,
    render_form,
    run_service,
)
from firstline.core import clock


def _event(request: HttpRequest, pk: int) -> Event:
    return policy.get_visible_or_404(request.user, Event, pk=pk)


@page
def event_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    visible = policy.visible_to(request.user, Event).prefetch_related("organisers")
    return render(
        request,
        "coordination/event_list.html",
        {
            "upcoming": visible.filter(end__gte=now).order_by("start")[:200],
            "past": visible.filter(end__lt=now).order_by("-start")[:50],
            "can_add": policy.can(request.user, policy.ADD, Event),
        },
    )


@page
def event_create(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, policy.ADD, Event):
        raise PermissionDenied(_("Only coordinators and administrators organise events."))
    form = EventForm(posted(request), actor=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        event, status = run_service(
            form,
            lambda: events.create_event(request.user, request=request, **form.service_kwargs()),
        )
        if event is not None:
            messages.success(request, _("Event created. Now add its agenda."))
            return redirect("coordination:event", pk=event.pk)
    return render_form(request, "coordination/event_form.html", {"form": form}, status)


@page
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, policy.CHANGE, event, _("Only the event's organisers may change it."))
    initial = {
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "organisers": list(event.organisers.all()),
        "networks": list(event.networks.all()),
        "country": event.country,
        "venue": event.venue,
        "online_url": event.online_url,
        "start": event.local_start.replace(tzinfo=None),
        "end": event.local_end.replace(tzinfo=None),
        "timezone": event.timezone,
        "capacity": event.capacity,
        "waitlist_enabled": event.waitlist_enabled,
        "registration_deadline": event.registration_deadline.astimezone(event.zone).replace(
            tzinfo=None
        )
        if event.registration_deadline
        else None,
        "tlp": event.tlp,
        "classification": event.classification,
    }
    form = EventForm(
        posted(request),
        actor=request.user,
        initial=initial,
        translations={
            "title": event.title_translations,
            "description": event.description_translations,
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = form.service_kwargs()
        organisers, networks = changes.pop("organisers"), changes.pop("networks")
        updated, status = run_service(
            form,
            lambda: events.update_event(
                request.user,
                event,
                organisers=organisers,
                networks=networks,
                request=request,
                **changes,
            ),
        )
        if updated is not None:
            messages.success(request, _("Event saved."))
            return redirect("coordination:event", pk=event.pk)
    return render_form(
        request, "coordination/event_form.html", {"form": form, "event": event}, status
    )


def _consult_people(request: HttpRequest, people: list[Any]) -> None:
    """Speakers and invited people are directory people: showing them is a logged read."""
    shown = list({p.pk: p for p in people if p is not None}.values())
    if shown:
        with transaction.atomic():
            consulted(request, shown, object_type="directory.person")


@page
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    sessions = list(
        event.sessions.prefetch_related("items__speakers__person__organisation", "documents")
    )
    organiser = is_organiser(request.user, event)
    invited = list(event.invitations.select_related("organisation", "person"))
    _consult_people(
        request,
        [
            s.person
            for session in sessions
            for item in session.items.all()
            for s in item.speakers.all()
        ]
        + ([i.person for i in invited] if organiser else []),
    )
    mine = (
        event.registrations.filter(user_id=request.user.pk or 0)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )
    counts = {
        row["status"]: row["n"]
        for row in event.registrations.order_by().values("status").annotate(n=Count("pk"))
    }
    now = clock.now()
    return render(
        request,
        "coordination/event_detail.html",
        {
            "event": event,
            "sessions": sessions,
            "organiser": organiser,
            "registration": mine,
            "confirmed": counts.get(RegistrationStatus.CONFIRMED, 0),
            "waitlisted": counts.get(RegistrationStatus.WAITLISTED, 0),
            "registration_open": (
                event.end > now
                and (event.registration_deadline is None or now <= event.registration_deadline)
            ),
            "documents": event.documents.filter(session__isnull=True),
            "minutes": event.minutes.select_related("session"),
            "invitations": invited,
            "recommendations": policy.visible_to(request.user, event.recommendations.all()),
        },
    )


@page
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(
        request.user, policy.CHANGE, event, _("Only the event's organisers may change its agenda.")
    )
    form = SessionForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        session, status = run_service(
            form, lambda: events.add_session(request.user, event, **form.service_kwargs())
        )
        if session is not None:
            messages.success(request, _("Session added."))
            return redirect("coordination:event", pk=event.pk)
    return render_form(
        request, "coordination/session_form.html", {"form": form, "event": event}, status
    )


@page
def item_create(request: HttpRequest, pk: int) -> HttpResponse:
    session = policy.get_visible_or_404(request.user, Session, pk=pk)
    event = session.event
    require(
        request.user, policy.CHANGE, event, _("Only the event's organisers may change its agenda.")
    )
    form = ItemForm(posted(request), actor=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        item, status = run_service(
            form, lambda: events.add_item(request.user, session, **form.service_kwargs())
        )
        if item is not None:
            messages.success(request, _("Agenda item added."))
            return redirect("coordination:event", pk=event.pk)
    return render_form(
        request,
        "coordination/item_form.html",
        {"form": form, "event": event, "session": session},
        status,
    )


@page
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, policy.CHANGE, event, _("Only the event's organisers may invite."))
    form = InvitationForm(posted(request), actor=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        created, status = run_service(
            form,
            lambda: events.invite(
                request.user,
                event,
                organisations=list(form.cleaned_data["organisations"]),
                people=list(form.cleaned_data["people"]),
            ),
        )
        if created is not None:
            messages.success(request, _("%(n)d invitation(s) sent.") % {"n": len(created)})
            return redirect("coordination:invitations", pk=event.pk)
    invited = list(event.invitations.select_related("organisation", "person"))
    _consult_people(request, [i.person for i in invited])
    return render_form(
        request,
        "coordination/invitations.html",
        {"form": form, "event": event, "invitations": invited},
        status,
    )


@page
def register(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    form = RegistrationForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        registration, status = run_service(
            form,
            lambda: registrations.register(
                request.user, event, request=request, **form.cleaned_data
            ),
        )
        if registration is not None:
            if registration.status == RegistrationStatus.CONFIRMED:
                messages.success(
                    request, _("You are registered. A confirmation is on its way by e-mail.")
                )
            else:
                messages.info(request, _("The event is full: you are on the waiting list."))
            return redirect("coordination:event", pk=event.pk)
    return render_form(
        request, "coordination/register.html", {"form": form, "event": event}, status
    )


@page
@require_POST
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    registration = policy.get_visible_or_404(request.user, Registration, pk=pk)
    registrations.cancel_registration(request.user, registration, request=request)
    messages.success(request, _("The registration is cancelled."))
    if registration.user_id == request.user.pk:
        return redirect("coordination:event", pk=registration.event_id)
    return redirect("coordination:registrations", pk=registration.event_id)


@page
def badge(request: HttpRequest, pk: int) -> HttpResponse:
    registration = policy.get_visible_or_404(request.user, Registration, pk=pk)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Http404
    event = registration.event
    token = registrations.badge_token(registration)
    url = request.build_absolute_uri(
        reverse("coordination:check_in", kwargs={"pk": event.pk, "token": token})
    )
    if registration.user_id != request.user.pk:
        with transaction.atomic():
            record(
                actor=request.user,
                operation=Operation.CONSULT,
                object_type=registrations.OBJECT_TYPE,
                object_ids=[registration.pk],
                subjects=[registration.subject_id],
                justification="badge",
                request=request,
            )
    import segno  # lazy: only this page draws a QR code

    qr = segno.make(url, error="m")
    return render(
        request,
        "coordination/badge.html",
        {"registration": registration, "event": event, "qr": qr.svg_data_uri(scale=5), "url": url},
    )


@page
def registration_list(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    found = registrations.consult_registrations(request.user, event, request=request)
    return render(
        request, "coordination/registrations.html", {"event": event, "registrations": found}
    )


@page
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, policy.CHANGE, event, _("Only the event's organisers record attendance."))
    if request.method == "POST":
        present = {int(v) for v in request.POST.getlist("present") if v.isdigit()}
        listed = {int(v) for v in request.POST.getlist("listed") if v.isdigit()}
        changed = registrations.record_attendance(
            request.user, event, attended={pk: pk in present for pk in listed}, request=request
        )
        messages.success(request, _("Attendance saved (%(n)d changed).") % {"n": len(changed)})
        return redirect("coordination:attendance", pk=event.pk)
    found = [
        r
        for r in registrations.consult_registrations(request.user, event, request=request)
        if r.status == RegistrationStatus.CONFIRMED
    ]
    return render(request, "coordination/attendance.html", {"event": event, "registrations": found})


@page
def check_in(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The URL in a badge's QR code: an organiser opens it and confirms the person is here."""
    event = _event(request, pk)
    require(request.user, policy.CHANGE, event, _("Only the event's organisers check people in."))
    registration = registrations.registration_for_token(event, token)
    if request.method == "POST":
        registrations.record_attendance(
            request.user, event, attended={registration.pk: True}, request=request
        )
        messages.success(request, _("%(name)s is checked in.") % {"name": registration.name})
        return redirect("coordination:attendance", pk=event.pk)
    with transaction.atomic():
        record(
            actor=request.user,
            operation=Operation.CONSULT,
            object_type=registrations.OBJECT_TYPE,
            object_ids=[registration.pk],
            subjects=[registration.subject_id],
            justification="check-in",
            request=request,
        )
    return render(
        request, "coordination/check_in.html", {"event": event, "registration": registration}
    )


@page
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    shown = registrations.participant_list(request.user, event, request=request)
    return render(
        request, "coordination/participants.html", {"event": event, "participants": shown}
    )


@page
def document_create(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(
        request.user, policy.CHANGE, event, _("Only the event's organisers may attach documents.")
    )
    form = DocumentForm(*posted_files(request), event=event)
    status = 200
    if request.method == "POST" and form.is_valid():
        document, status = run_service(
            form,
            lambda: documents.attach_document(
                request.user,
                event,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                session=form.cleaned_data["session"],
            ),
        )
        if document is not None:
            messages.success(request, _("Document attached."))
            return redirect("coordination:event", pk=event.pk)
    return render_form(
        request, "coordination/document_form.html", {"form": form, "event": event}, status
    )


@page
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = policy.get_visible_or_404(request.user, EventDocument, pk=pk)
    return download(document.file, document.filename, document.content_type)


@page
def minutes_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, policy.CHANGE, event, _("Only the event's organisers may write minutes."))
    session = None
    if request.GET.get("session"):
        session = event.sessions.filter(pk=request.GET["session"]).first()
        if session is None:
            raise Http404
    existing = Minutes.objects.filter(event=event, session=session).first()
    current = existing.current if existing else None
    form = MinutesForm(posted(request), initial={"text": current.text if current else ""})
    status = 200
    if request.method == "POST" and form.is_valid():
        version, status = run_service(
            form,
            lambda: documents.save_minutes(
                request.user,
                event,
                text=form.cleaned_data["text"],
                note=form.cleaned_data["note"],
                session=session,
            ),
        )
        if version is not None:
            messages.success(request, _("Minutes saved as version %(n)d.") % {"n": version.number})
            return redirect("coordination:minutes_history", pk=version.minutes_id)
    return render_form(
        request,
        "coordination/minutes_form.html",
        {"form": form, "event": event, "session": session, "current": current},
        status,
    )


@page
def minutes_history(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = policy.get_visible_or_404(request.user, Minutes, pk=pk)
    versions = list(minutes.versions.select_related("author").order_by("-number"))
    shown = versions[0] if versions else None
    if request.GET.get("version", "").isdigit():
        shown = next((v for v in versions if v.number == int(request.GET["version"])), None)
        if shown is None:
            raise Http404
    previous = next((v for v in versions if shown and v.number == shown.number - 1), None)
    diff = (
        list(
            difflib.unified_diff(
                previous.text.splitlines(),
                shown.text.splitlines(),
                f"v{previous.number}",
                f"v{shown.number}",
                lineterm="",
            )
        )
        if previous and shown
        else []
    )
    return render(
        request,
        "coordination/minutes_history.html",
        {
            "minutes": minutes,
            "event": minutes.event,
            "versions": versions,
            "shown": shown,
            "diff": diff,
            "organiser": is_organiser(request.user, minutes.event),
        },
    )


@page
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    return bytes_response(
        calendar_bytes([event], name=event.display_title),
        f"event-{event.pk}.ics",
        "text/calendar; charset=utf-8",
    )
