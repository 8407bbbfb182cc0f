"""Calendars per user and per network: pages, and iCalendar feeds opened by a secret URL."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from firstline import policy
from firstline.coordination.ical import calendar_bytes
from firstline.coordination.services import calendars
from firstline.coordination.views.common import page
from firstline.directory.models import Network


def _feed_urls(request: HttpRequest, token: str) -> dict[str, str]:
    return {
        "mine": request.build_absolute_uri(
            reverse("coordination:feed_mine", kwargs={"token": token})
        ),
    }


@page
def my_calendar(request: HttpRequest) -> HttpResponse:
    token = request.session.pop("coordination_feed_token", None)
    return render(
        request,
        "coordination/calendar.html",
        {
            "events": calendars.my_events(request.user),
            "title": _("My calendar"),
            "networks": policy.visible_to(request.user, Network),
            "has_token": calendars.has_feed_token(request.user),  # type: ignore[arg-type]
            "new_token": token,
            "feed_urls": _feed_urls(request, token) if token else {},
        },
    )


@page
def network_calendar(request: HttpRequest, key: str) -> HttpResponse:
    network = policy.get_visible_or_404(request.user, Network, key=key)
    return render(
        request,
        "coordination/calendar.html",
        {
            "events": calendars.network_events(request.user, network),
            "title": _("Calendar of %(network)s") % {"network": network},
            "network": network,
            "has_token": calendars.has_feed_token(request.user),  # type: ignore[arg-type]
        },
    )


@page
@require_POST
def feed_token(request: HttpRequest) -> HttpResponse:
    """Issue a new feed secret (revoking the old); it is shown once, on the next page."""
    token = calendars.issue_feed_token(request.user)
    request.session["coordination_feed_token"] = token
    messages.success(request, _("New calendar address created; the old one no longer works."))
    return redirect("coordination:calendar")


@page
@require_POST
def feed_token_revoke(request: HttpRequest) -> HttpResponse:
    calendars.revoke_feed_tokens(request.user)
    messages.success(request, _("Your calendar addresses no longer work."))
    return redirect("coordination:calendar")


def _feed(token: str) -> object:
    user = calendars.user_for_feed_token(token)
    if user is None:
        raise Http404
    return user


def _ics(content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
def feed_mine(request: HttpRequest, token: str) -> HttpResponse:
    """The user's calendar as iCalendar; the secret in the URL stands in for signing in."""
    user = _feed(token)
    return _ics(calendar_bytes(calendars.my_events(user), name="First Line"))


@never_cache
def feed_network(request: HttpRequest, token: str, key: str) -> HttpResponse:
    user = _feed(token)
    network = policy.get_visible_or_404(user, Network, key=key)
    return _ics(
        calendar_bytes(calendars.network_events(user, network), name=f"First Line: {network}")
    )
