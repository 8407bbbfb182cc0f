"""Coordination: a country dashboard and a state-of-play PDF over a large plan of action.

Dataset: one national action plan with 5,000 actions under 50 objectives, owned by 20
organisations, 50,000 progress updates spread over a year, 500 recommendations (quick mode:
500 actions, 5,000 updates, 50 recommendations). Measured: the dashboard page rendered end to
end through Django (target under 200 ms) and the PDF report generated with WeasyPrint (target
under 5 s).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

DASHBOARD_TARGET = 0.200
PDF_TARGET = 5.0


def _setup(actions_n: int, updates_n: int, recs_n: int) -> tuple[object, object]:
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from firstline.accounts.models import Role, User
    from firstline.coordination.models import (
        Action,
        ActionStatus,
        Objective,
        Plan,
        PolicyLevel,
        Priority,
        ProgressUpdate,
        Recommendation,
        RecommendationStatus,
    )
    from firstline.directory.models import Country, Level, Organisation, Sector

    rng = random.Random(5)
    now = timezone.now()
    today = timezone.localdate(now)
    albania, _ = Country.objects.get_or_create(code="AL", defaults={"name": "Albania"})
    orgs = [
        Organisation.objects.create(
            key=f"al-bench-{i}",
            name=f"Albanian body {i}",
            sector=Sector.OTHER,
            level=Level.NATIONAL,
            country=albania,
        )
        for i in range(20)
    ]
    user = User.objects.create_user(
        username="bench-coordinator",
        password="x" * 16,
        organisation=orgs[0],
        role=Role.COORDINATOR,
        email="bench@example.org",
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    plan = Plan.objects.create(
        key="al-bench-nap",
        kind="national_action_plan",
        title="Benchmark plan",
        coordinator=orgs[0],
        country=albania,
        created_by=user,
        created_at=now,
    )
    objectives = Objective.objects.bulk_create(
        Objective(plan=plan, code=str(i + 1), title=f"Objective {i + 1}") for i in range(50)
    )
    recs = Recommendation.objects.bulk_create(
        Recommendation(
            text=f"Recommendation {i}",
            level=rng.choice(PolicyLevel.values),
            status=rng.choice([RecommendationStatus.PROPOSED, RecommendationStatus.AGREED]),
            country=albania,
            organisation=orgs[0],
            created_by=user,
            created_at=now,
            updated_at=now,
            agreed_at=now - dt.timedelta(days=rng.randint(0, 300)),
        )
        for i in range(recs_n)
    )
    statuses = ActionStatus.values
    actions = Action.objects.bulk_create(
        Action(
            plan=plan,
            objective=objectives[i % 50],
            code=f"{i % 50 + 1}.{i // 50 + 1}",
            title=f"Action {i} of the national plan",
            owner=rng.choice(orgs),
            level=rng.choice(PolicyLevel.values),
            priority=rng.choice(Priority.values),
            start=today - dt.timedelta(days=400),
            due=today + dt.timedelta(days=rng.randint(-200, 500)),
            indicator="Indicator",
            baseline="0",
            target="10",
            status=rng.choice(statuses),
            created_at=now,
            updated_at=now,
        )
        for i in range(actions_n)
    )
    through = Action.recommendations.through
    through.objects.bulk_create(
        through(action_id=a.pk, recommendation_id=recs[i % len(recs)].pk)
        for i, a in enumerate(actions[: len(recs) // 2])
    )
    batch = []
    for i in range(updates_n):
        action = actions[i % len(actions)]
        batch.append(
            ProgressUpdate(
                action=action,
                author=user,
                organisation_id=action.owner_id,
                at=now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
                text=f"Progress report {i}: workshops held, materials distributed.",
            )
        )
        if len(batch) == 5000:
            ProgressUpdate.objects.bulk_create(batch)
            batch = []
    ProgressUpdate.objects.bulk_create(batch)
    return user, albania


def _client(user: object) -> object:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def run(quick: bool) -> str:
    from django.utils import timezone

    from bench.common import ms, summary_ms, time_calls
    from firstline.coordination import reports

    actions_n, updates_n, recs_n = (500, 5_000, 50) if quick else (5_000, 50_000, 500)
    started = time.perf_counter()
    user, albania = _setup(actions_n, updates_n, recs_n)
    setup_s = time.perf_counter() - started
    client = _client(user)

    def dashboard() -> None:
        response = client.get("/coordination/dashboards/countries/al/")  # type: ignore[attr-defined]
        assert response.status_code == 200, response.status_code

    dashboard()  # warm up: templates compiled, caches filled
    dash = time_calls(dashboard, 5 if quick else 20)

    today = timezone.localdate()
    start = today - dt.timedelta(days=365)

    def pdf() -> None:
        data = reports.state_of_play(
            user, reports.Scope(country=albania), start, today, limit=reports.PDF_LIST_LIMIT
        )
        content = reports.render_pdf(data)
        assert content.startswith(b"%PDF")

    pdf()  # warm up: WeasyPrint's import and font discovery happen once per process
    pdfs = time_calls(pdf, 2 if quick else 3)

    def report_page() -> None:
        response = client.get(  # type: ignore[attr-defined]
            f"/coordination/reports/countries/al/?start={start.isoformat()}&end={today.isoformat()}"
        )
        assert response.status_code == 200

    page = time_calls(report_page, 3 if quick else 5)

    dash_p50 = statistics.median(dash)
    pdf_p50 = statistics.median(pdfs)
    return "\n".join(
        [
            "## Coordination: dashboard and state-of-play report",
            "",
            f"One national action plan: {actions_n:,} actions under 50 objectives, owned by 20 "
            f"organisations; {updates_n:,} progress updates over a year; {recs_n:,} "
            f"recommendations. SQLite. Setup took {setup_s:.1f} s. The dashboard is the whole "
            "page through Django's test client (session, policy, queries, template, SVG charts); "
            "the PDF is the report's queries plus WeasyPrint, after one warm-up run.",
            "",
            "| measure | result | target | met |",
            "|---|---|---|---|",
            f"| country dashboard page ({len(dash)} runs) | {summary_ms(dash)} | < 200 ms | "
            f"{'yes' if dash_p50 < DASHBOARD_TARGET else 'no'} |",
            f"| state-of-play PDF ({len(pdfs)} runs) | median {ms(pdf_p50)} | < 5 s | "
            f"{'yes' if pdf_p50 < PDF_TARGET else 'no'} |",
            f"| state-of-play HTML page ({len(page)} runs) | median {ms(statistics.median(page))} | — | — |",
        ]
    )
