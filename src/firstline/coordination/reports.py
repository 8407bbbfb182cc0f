"""Dashboards and state-of-play reports per country and per network (reads only).

A country's actions are those of its plans and those its organisations own (so a regional
plan's actions count for the country of their owner); a network's are those of its plans.
A country's recommendations name it (directly or through their source event); a network's are
addressed to it or came from its events. All of it through the policy door: a reader counts
only what they may see.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from firstline import policy
from firstline.coordination.charts import Chart, chart
from firstline.coordination.models import (
    OPEN_STATUSES,
    Action,
    ActionStatus,
    Event,
    Plan,
    PolicyLevel,
    Priority,
    ProgressUpdate,
    Recommendation,
    RecommendationStatus,
)
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network

LIST_LIMIT = 100  # rows per list on a page
PDF_LIST_LIMIT = 50  # and in a PDF, where every row costs layout time; the export has all
DASHBOARD_LIST_LIMIT = 50  # a dashboard is an overview: the report and the export list more
IN_FORCE = (RecommendationStatus.PROPOSED, RecommendationStatus.AGREED)


@dataclass(frozen=True)
class Scope:
    """A country or a network: what a dashboard or a report is about."""

    country: Country | None = None
    network: Network | None = None

    @property
    def kind(self) -> str:
        return "country" if self.country else "network"

    @property
    def label(self) -> str:
        return str(self.country) if self.country else str(self.network)

    @property
    def slug(self) -> str:
        if self.country:
            return self.country.code.lower()
        assert self.network is not None
        return self.network.key


def scope_actions(actor: Any, scope: Scope) -> QuerySet[Action]:
    plan_ids = list(policy.visible_to(actor, Plan).values_list("pk", flat=True))
    actions = Action.objects.filter(plan_id__in=plan_ids)
    if scope.country is not None:
        return actions.filter(Q(plan__country=scope.country) | Q(owner__country=scope.country))
    return actions.filter(plan__network=scope.network)


def scope_recommendations(actor: Any, scope: Scope) -> QuerySet[Recommendation]:
    recs = policy.visible_to(actor, Recommendation)
    if scope.country is not None:
        return recs.filter(Q(country=scope.country) | Q(event__country=scope.country))
    ids = Recommendation.objects.filter(
        Q(addressee_networks=scope.network) | Q(event__networks=scope.network)
    ).values("pk")
    return recs.filter(pk__in=ids)


def scope_events(actor: Any, scope: Scope) -> QuerySet[Event]:
    events = policy.visible_to(actor, Event)
    if scope.country is not None:
        return events.filter(country=scope.country)
    return events.filter(pk__in=Event.objects.filter(networks=scope.network).values("pk"))


def _counts(actions: QuerySet[Action], field_name: str, choices: Any) -> list[tuple[str, int]]:
    found = dict(
        actions.order_by()
        .values_list(field_name)
        .annotate(n=Count("pk"))
        .values_list(field_name, "n")
    )
    return [(str(label), int(found.get(value, 0))) for value, label in choices.choices]


@dataclass
class Dashboard:
    scope: Scope
    today: dt.date
    total: int
    by_status: Chart
    by_level: Chart
    by_priority: Chart
    overdue_count: int
    overdue: list[Action]
    unrealised_count: int
    unrealised: list[Recommendation]
    plans: list[Plan] = field(default_factory=list)


def _unrealised(recs: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    """Recommendations in force (proposed or agreed) that no action realises yet."""
    return recs.filter(status__in=IN_FORCE).exclude(
        pk__in=Action.recommendations.through.objects.values("recommendation_id")
    )


def dashboard(
    actor: Any, scope: Scope, *, today: dt.date | None = None, limit: int = LIST_LIMIT
) -> Dashboard:
    """Actions by status, level and priority; overdue actions; recommendations with no action."""
    day = today or clock.now().date()
    actions = scope_actions(actor, scope)
    overdue = actions.filter(due__lt=day, status__in=OPEN_STATUSES)
    unrealised = _unrealised(scope_recommendations(actor, scope))
    by_status = _counts(actions, "status", ActionStatus)
    plan_ids = actions.order_by().values("plan_id").distinct()
    return Dashboard(
        scope=scope,
        today=day,
        total=sum(n for _, n in by_status),
        by_status=chart("status", _("Actions by status"), by_status),
        by_level=chart("level", _("Actions by level"), _counts(actions, "level", PolicyLevel)),
        by_priority=chart(
            "priority", _("Actions by priority"), _counts(actions, "priority", Priority)
        ),
        overdue_count=overdue.count(),
        overdue=list(overdue.select_related("owner", "plan").order_by("due", "pk")[:limit]),
        unrealised_count=unrealised.count(),
        unrealised=list(unrealised.select_related("event").order_by("created_at")[:limit]),
        plans=list(Plan.objects.filter(pk__in=plan_ids).order_by("title")),
    )


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class Report:
    scope: Scope
    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    dashboard: Dashboard
    updates_in_period: int
    actions_with_progress: int
    completed_in_period: int
    per_month: Chart
    progressed: list[Action]
    agreed_in_period: list[Recommendation]
    events: list[Event]
    charts: list[Chart] = field(default_factory=list)


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise Problem.field("end", f"the end ({end}) is before the start ({start})")
    if (end - start).days > 366 * 5:
        raise Problem.field("end", "a report covers at most five years")


def state_of_play(
    actor: Any,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    limit: int = LIST_LIMIT,
) -> Report:
    """What moved in the period: progress reported, actions completed, recommendations agreed,
    events held; with the plan's standing at the end of the period (overdue as of then)."""
    check_period(start, end)
    at = now or clock.now()
    as_of = min(end, at.date())
    board = dashboard(actor, scope, today=as_of, limit=limit)
    actions = scope_actions(actor, scope)
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    period_start = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    period_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    updates = ProgressUpdate.objects.filter(
        action__in=actions, at__gte=period_start, at__lt=period_end
    )
    # one pass with a filtered count per month: grouping by an extracted month would call a
    # time-zone conversion per row (slow on SQLite with 50,000 updates)
    months = _months(start, end)
    bounds = [max(period_start, dt.datetime(y, m, 1, tzinfo=tz)) for y, m in months] + [period_end]
    month_counts = updates.aggregate(
        **{
            f"m{i}": Count("pk", filter=Q(at__gte=bounds[i], at__lt=bounds[i + 1]))
            for i in range(len(months))
        }
    )
    per_month = chart(
        "months",
        _("Progress updates per month"),
        [
            (f"{calendar.month_abbr[m]} {y}", month_counts[f"m{i}"] or 0)
            for i, (y, m) in enumerate(months)
        ],
    )
    latest = ProgressUpdate.objects.filter(
        action=OuterRef("pk"), at__gte=period_start, at__lt=period_end
    ).order_by("-at", "-pk")
    progressed = (
        actions.annotate(
            period_last_at=Subquery(latest.values("at")[:1]),
            period_last_text=Subquery(latest.values("text")[:1]),
        )
        .filter(period_last_at__isnull=False)
        .select_related("owner")
        .order_by("-period_last_at", "pk")
    )
    recs = scope_recommendations(actor, scope)
    return Report(
        scope=scope,
        start=start,
        end=end,
        generated_at=at,
        dashboard=board,
        updates_in_period=updates.count(),
        actions_with_progress=updates.order_by().values("action_id").distinct().count(),
        completed_in_period=actions.filter(
            status=ActionStatus.COMPLETED, completed_on__gte=start, completed_on__lte=end
        ).count(),
        per_month=per_month,
        progressed=list(progressed[:limit]),
        agreed_in_period=list(
            recs.filter(agreed_at__gte=period_start, agreed_at__lt=period_end).order_by(
                "agreed_at"
            )[:limit]
        ),
        events=list(
            scope_events(actor, scope)
            .filter(start__lt=period_end, end__gte=period_start)
            .order_by("start")[:limit]
        ),
        charts=[board.by_status, board.by_level, board.by_priority, per_month],
    )


def render_pdf(report: Report) -> bytes:
    """The report as PDF through WeasyPrint (imported here: it is slow to import)."""
    from weasyprint import HTML

    html = render_to_string("coordination/report_pdf.html", {"report": report})
    return bytes(HTML(string=html).write_pdf())
