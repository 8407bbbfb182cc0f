"""Coordination pages (thin: forms parse, services decide, templates show)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from firstline import policy
from firstline.coordination.models import Event, Plan, Recommendation, RegistrationStatus
from firstline.coordination.services.calendars import my_events
from firstline.coordination.views.common import page
from firstline.core import clock


@page
def home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    return render(
        request,
        "coordination/home.html",
        {
            "my_events": my_events(request.user).filter(end__gte=now)[:10],
            "my_registrations": request.user.event_registrations.exclude(  # type: ignore[union-attr]
                status=RegistrationStatus.CANCELLED
            )
            .filter(event__end__gte=now)
            .select_related("event"),
            "can_organise": policy.can(request.user, policy.ADD, Event),
            "plans": policy.visible_to(request.user, Plan)[:20],
            "n_recommendations": policy.visible_to(request.user, Recommendation).count(),
        },
    )
