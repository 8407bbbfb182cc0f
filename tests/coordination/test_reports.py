"""Dashboards per country and per network, and the state-of-play report (page and PDF)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from firstline.accounts.models import User
from firstline.coordination import reports
from firstline.coordination.models import Action, Objective, Plan, Recommendation
from firstline.coordination.services import actions
from firstline.directory.models import Country, Network, Organisation


@pytest.fixture
def scenario(
    organiser: User,
    plan: Plan,
    objective: Objective,
    police_action: Action,
    agreed_recommendation: Recommendation,
    albanian_police: Organisation,
    albanian_ministry: Organisation,
    serbian_ministry: Organisation,
    police_officer: User,
    rcc_network: Network,
    now: dt.datetime,
) -> dict[str, object]:
    """Albania's plan: 4 actions (1 overdue, 1 completed in the period, 1 with progress) and
    3 recommendations (1 realised, 1 without action, 1 rejected); one regional action."""
    make = actions.create_action
    done = make(
        organiser,
        objective,
        code="1.2",
        title="Referral guide",
        owner=albanian_ministry,
        level="strategic",
        priority="medium",
        due=dt.date(2025, 2, 1),
        now=now,
    )
    actions.update_action(
        organiser, done, status="completed", now=dt.datetime(2025, 2, 10, tzinfo=dt.UTC)
    )
    make(
        organiser,
        objective,
        code="1.3",
        title="Local councils",
        owner=albanian_ministry,
        level="political",
        priority="low",
        due=dt.date(2026, 12, 31),
        recommendations=[agreed_recommendation],
        now=now,
    )
    make(
        organiser,
        objective,
        code="1.4",
        title="Future work",
        owner=albanian_police,
        level="operational",
        priority="high",
        due=None,
        status="in_progress",
        now=now,
    )
    actions.report_progress(
        police_officer,
        police_action,
        text="Thirty officers trained in Kukës.",
        now=dt.datetime(2025, 2, 20, 10, tzinfo=dt.UTC),
    )
    actions.report_progress(
        police_officer,
        police_action,
        text="Old report.",
        now=dt.datetime(2024, 11, 20, 10, tzinfo=dt.UTC),
    )
    without = actions.create_recommendation(
        organiser,
        text="Fund mentoring for returnees.",
        level="strategic",
        country=plan.country,
        now=now,
    )
    rejected = actions.create_recommendation(
        organiser,
        text="Rejected idea.",
        level="strategic",
        country=plan.country,
        status="rejected",
        now=now,
    )
    regional = actions.create_plan(
        organiser,
        key="regional-plan",
        kind="regional_integrated_plan",
        title="Integrated plan",
        coordinator=albanian_ministry,
        network=rcc_network,
        now=now,
    )
    regional_objective = actions.add_objective(organiser, regional, code="R1", title="Exchange")
    make(
        organiser,
        regional_objective,
        code="R1.1",
        title="Serbian exchange",
        owner=serbian_ministry,
        level="strategic",
        due=dt.date(2025, 1, 1),
        now=now,
    )
    return {"without": without, "rejected": rejected}


def _rows(chart: object) -> dict[str, int]:
    return dict(chart.rows)  # type: ignore[attr-defined]


def test_the_country_dashboard_counts(
    scenario: dict[str, object], organiser: User, albania: Country
) -> None:
    board = reports.dashboard(organiser, reports.Scope(country=albania), today=dt.date(2025, 3, 1))
    assert board.total == 4
    assert _rows(board.by_status) == {
        "Not started": 2,
        "In progress": 1,
        "Completed": 1,
        "Suspended": 0,
        "Cancelled": 0,
    }
    assert _rows(board.by_level) == {"Political": 1, "Strategic": 1, "Operational": 2}
    assert _rows(board.by_priority) == {"High": 2, "Medium": 1, "Low": 1}
    assert board.overdue_count == 1
    assert [a.code for a in board.overdue] == ["1.1"]
    assert board.unrealised_count == 1
    assert board.unrealised == [scenario["without"]]


def test_a_regional_action_counts_for_its_owners_country_and_its_network(
    scenario: dict[str, object], organiser: User, serbia: Country, rcc_network: Network
) -> None:
    serbian = reports.dashboard(organiser, reports.Scope(country=serbia), today=dt.date(2025, 3, 1))
    assert (serbian.total, serbian.overdue_count) == (1, 1)
    network = reports.dashboard(
        organiser, reports.Scope(network=rcc_network), today=dt.date(2025, 3, 1)
    )
    assert network.total == 1 and [p.key for p in network.plans] == ["regional-plan"]


def test_the_dashboard_counts_only_what_the_reader_may_see(
    scenario: dict[str, object],
    organiser: User,
    serbian_officer: User,
    albania: Country,
    plan: Plan,
) -> None:
    plan.tlp = "AMBER"
    plan.save()
    board = reports.dashboard(
        serbian_officer, reports.Scope(country=albania), today=dt.date(2025, 3, 1)
    )
    assert board.total == 0


def test_the_dashboard_page_and_api(
    scenario: dict[str, object],
    organiser: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    page = client.get("/coordination/dashboards/countries/al/")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<strong id="n-actions">4</strong>' in body
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in body
    assert '<th scope="row">Not started</th><td>2</td>' in body  # the text alternative
    api = client.get("/api/v1/coordination/dashboards/countries/AL").json()
    assert api["actions"] == 4 and api["recommendations_without_action"] == 1
    assert {"label": "High", "count": 2} in api["by_priority"]
    assert client.get("/coordination/dashboards/networks/rcc-nfp/").status_code == 200
    assert client.get("/coordination/dashboards/countries/zz/").status_code == 404


def test_the_state_of_play_covers_the_period(
    scenario: dict[str, object], organiser: User, albania: Country
) -> None:
    report = reports.state_of_play(
        organiser,
        reports.Scope(country=albania),
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 28),
        now=dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC),
    )
    assert report.updates_in_period == 1
    assert report.actions_with_progress == 1
    assert report.completed_in_period == 1
    assert [a.code for a in report.progressed] == ["1.1"]
    assert report.progressed[0].period_last_text == "Thirty officers trained in Kukës."
    assert _rows(report.per_month) == {"Jan 2025": 0, "Feb 2025": 1}
    assert report.dashboard.overdue_count == 1


def test_the_report_page_and_its_pdf(
    scenario: dict[str, object],
    organiser: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    page = client.get("/coordination/reports/countries/al/?start=2025-01-01&end=2025-12-31")
    assert page.status_code == 200
    assert b"Thirty officers trained in Kuk" in page.content
    assert b"<figcaption>Actions by status (total 4)</figcaption>" in page.content
    pdf = client.get(
        "/coordination/reports/countries/al/report.pdf?start=2025-01-01&end=2025-12-31"
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    raw = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(raw.split())  # table cells wrap their text over several lines
    assert "State of play: Albania" in text
    assert "From 2025-01-01 to 2025-12-31." in text
    assert "Thirty officers trained in Kukës." in text
    assert "Fund mentoring for returnees." in text  # a recommendation with no action
    assert "Actions by status (total 4)" in text


def test_a_period_ending_before_it_starts_is_refused(
    organiser: User,
    albania: Country,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    response = signed_in(organiser).get(
        "/coordination/reports/countries/al/?start=2025-06-01&end=2025-01-01"
    )
    assert response.status_code == 400
    assert b"The end is before the start." in response.content
    pdf = signed_in(organiser).get(
        "/coordination/reports/countries/al/report.pdf?start=2025-06-01&end=2025-01-01"
    )
    assert pdf.status_code == 400


def test_charts_escape_their_labels() -> None:
    from firstline.coordination.charts import chart

    svg = chart("x", "Title <b>", [("<script>", 3), ("ok", 0)]).svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert '<title id="x-title">Title &lt;b&gt;</title>' in svg
