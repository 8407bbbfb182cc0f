"""Dashboard and the health endpoints a load balancer and an operator poll."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from firstline.core import clock
from firstline.core.models import WorkerHeartbeat


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answering."""
    return JsonResponse({"status": "ok"})


def readiness() -> dict[str, str]:
    """Database reachable, migrations applied, a worker seen recently."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        return {"database": f"unreachable: {exc}"}
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    checks["migrations"] = "ok" if not pending else f"{len(pending)} not applied"
    horizon = clock.now() - dt.timedelta(seconds=settings.READY_WORKER_MAX_AGE_SECONDS)
    last = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if last is None:
        checks["worker"] = "never seen"
    elif last.seen_at < horizon:
        checks["worker"] = f"last seen {last.seen_at.isoformat()}"
    else:
        checks["worker"] = "ok"
    return checks


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "core/dashboard.html", {})
