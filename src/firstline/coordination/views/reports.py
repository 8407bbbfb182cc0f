"""Dashboards and state-of-play reports per country and per network (page and PDF)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from firstline import policy
from firstline.coordination import reports
from firstline.coordination.forms import PeriodForm
from firstline.coordination.services.common import today
from firstline.coordination.views.common import bytes_response, page
from firstline.directory.models import Country, Network


def _scope(request: HttpRequest, kind: str, ref: str) -> reports.Scope:
    if kind == "countries":
        return reports.Scope(country=get_object_or_404(Country, code=ref.upper()))
    return reports.Scope(network=policy.get_visible_or_404(request.user, Network, key=ref))


@page
def dashboards(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "coordination/dashboards.html",
        {
            "countries": Country.objects.order_by("name"),
            "networks": policy.visible_to(request.user, Network),
        },
    )


@page
def dashboard(request: HttpRequest, kind: str, ref: str) -> HttpResponse:
    scope = _scope(request, kind, ref)
    board = reports.dashboard(
        request.user, scope, today=today(), limit=reports.DASHBOARD_LIST_LIMIT
    )
    return render(
        request, "coordination/dashboard.html", {"board": board, "scope": scope, "kind": kind}
    )


def _period(request: HttpRequest) -> tuple[PeriodForm, dt.date, dt.date]:
    day = today()
    default_start = day.replace(month=1, day=1)
    form = PeriodForm(request.GET or None, initial={"start": default_start, "end": day})
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, default_start, day


@page
def report(request: HttpRequest, kind: str, ref: str) -> HttpResponse:
    scope = _scope(request, kind, ref)
    form, start, end = _period(request)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "coordination/report.html",
            {"form": form, "scope": scope, "kind": kind},
            status=400,
        )
    data = reports.state_of_play(request.user, scope, start, end)
    return render(
        request,
        "coordination/report.html",
        {
            "form": form,
            "scope": scope,
            "kind": kind,
            "report": data,
            "limit": reports.LIST_LIMIT,
            "query": request.GET.urlencode(),
        },
    )


@page
def report_pdf(request: HttpRequest, kind: str, ref: str) -> HttpResponse:
    scope = _scope(request, kind, ref)
    form, start, end = _period(request)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "coordination/report.html",
            {"form": form, "scope": scope, "kind": kind},
            status=400,
        )
    data = reports.state_of_play(request.user, scope, start, end, limit=reports.PDF_LIST_LIMIT)
    name = f"state-of-play-{scope.slug}-{start.isoformat()}-{end.isoformat()}.pdf"
    return bytes_response(reports.render_pdf(data), name, "application/pdf")
