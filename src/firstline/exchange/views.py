"""Exchange pages (thin): inbox, sent, overdue, thread, compose, reply, signature."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


sent = overdue = compose = inbox


@login_required
def thread(request: HttpRequest, reference: str) -> HttpResponse:
    return HttpResponse("")


@login_required
def reply(request: HttpRequest, message_id: str) -> HttpResponse:
    return HttpResponse("")


signature = reply
