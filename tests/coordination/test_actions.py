"""From outcome to action: recommendations with history, plans, actions, progress by the owner
only, overdue actions and the daily digest."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.http import Http404

from firstline import policy
from firstline.accounts.models import Role, User
from firstline.coordination.models import (
    Action,
    DigestDelivery,
    Event,
    Objective,
    Plan,
    ProgressUpdate,
    Recommendation,
)
from firstline.coordination.services import actions
from firstline.coordination.tasks import send_overdue_digests
from firstline.core.problems import Problem
from firstline.directory.models import Organisation


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def test_a_recommendation_keeps_its_history(
    organiser: User, workshop: Event, albanian_police: Organisation, now: dt.datetime
) -> None:
    rec = actions.create_recommendation(
        organiser, text="Train teachers.", level="strategic", event=workshop, now=now
    )
    assert rec.country == workshop.country  # taken from the source event
    assert (rec.tlp, rec.classification) == (workshop.tlp, workshop.classification)
    later = now + dt.timedelta(days=1)
    actions.update_recommendation(
        organiser,
        rec,
        status="agreed",
        addressee_organisations=[albanian_police],
        note="agreed at the closing session",
        now=later,
    )
    rec.refresh_from_db()
    assert rec.status == "agreed" and rec.agreed_at == later
    history = list(rec.history.values_list("changes", "note"))
    assert history == [
        ({"status": [None, "proposed"], "level": [None, "strategic"]}, "recorded"),
        (
            {"status": ["proposed", "agreed"], "addressee_organisations": [[], ["al-asp-ctu"]]},
            "agreed at the closing session",
        ),
    ]


def test_superseding_names_the_successor(
    organiser: User, agreed_recommendation: Recommendation
) -> None:
    with pytest.raises(Problem) as caught:
        actions.update_recommendation(organiser, agreed_recommendation, status="superseded")
    assert caught.value.errors[0]["field"] == "superseded_by"
    successor = actions.create_recommendation(organiser, text="Better.", level="operational")
    actions.update_recommendation(organiser, agreed_recommendation, superseded_by=successor)
    agreed_recommendation.refresh_from_db()
    assert agreed_recommendation.status == "superseded"


def test_an_unchanged_recommendation_is_not_a_change(
    organiser: User, agreed_recommendation: Recommendation
) -> None:
    with pytest.raises(Problem):
        actions.update_recommendation(organiser, agreed_recommendation, status="agreed")
    assert agreed_recommendation.history.count() == 1


def test_only_the_recording_side_changes_a_recommendation(
    agreed_recommendation: Recommendation, police_officer: User
) -> None:
    with pytest.raises(PermissionDenied):
        actions.update_recommendation(police_officer, agreed_recommendation, status="rejected")


def test_an_agreed_recommendation_becomes_an_action(
    organiser: User,
    agreed_recommendation: Recommendation,
    objective: Objective,
    albanian_police: Organisation,
) -> None:
    action = actions.action_from_recommendation(
        organiser, agreed_recommendation, objective, code="1.2", owner=albanian_police
    )
    assert action.level == "operational"
    assert action.title.startswith("Set up a local safety council")
    assert list(action.recommendations.all()) == [agreed_recommendation]


def test_a_proposed_recommendation_does_not_become_an_action(
    organiser: User, objective: Objective, albanian_police: Organisation
) -> None:
    rec = actions.create_recommendation(organiser, text="Maybe.", level="political")
    with pytest.raises(Problem) as caught:
        actions.action_from_recommendation(
            organiser, rec, objective, code="1.3", owner=albanian_police
        )
    assert caught.value.errors[0]["field"] == "recommendation"
    assert not Action.objects.exists()


def test_an_action_due_before_it_starts_is_refused(
    organiser: User, objective: Objective, albanian_police: Organisation
) -> None:
    with pytest.raises(Problem) as caught:
        actions.create_action(
            organiser,
            objective,
            code="1.4",
            title="Backwards",
            owner=albanian_police,
            level="strategic",
            start=dt.date(2025, 6, 1),
            due=dt.date(2025, 5, 1),
        )
    assert caught.value.errors[0]["field"] == "due"
    assert not Action.objects.exists()


def test_codes_are_unique_in_a_plan(
    organiser: User, police_action: Action, objective: Objective, albanian_police: Organisation
) -> None:
    with pytest.raises(Problem) as caught:
        actions.create_action(
            organiser,
            objective,
            code="1.1",
            title="Again",
            owner=albanian_police,
            level="strategic",
        )
    assert caught.value.status == 409


def test_the_owner_reports_progress_with_evidence(
    police_action: Action, police_officer: User, now: dt.datetime
) -> None:
    update = actions.report_progress(
        police_officer,
        police_action,
        text="40 officers trained in Shkodër and Kukës.",
        link="https://asp.gov.al/report",
        status="in_progress",
        indicator_value="40",
        document=SimpleUploadedFile("attendance.pdf", b"%PDF list"),
        now=now,
    )
    police_action.refresh_from_db()
    assert police_action.status == "in_progress"
    assert police_action.last_progress_at == now
    assert update.organisation.key == "al-asp-ctu"
    assert update.document.read() == b"%PDF list"


def test_progress_by_someone_else_is_refused_and_changes_nothing(
    police_action: Action, organiser: User, teacher: User, serbian_officer: User
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        actions.report_progress(organiser, police_action, text="Done!", status="completed")
    assert "Only users of the owner organisation (Albanian State Police" in str(caught.value)
    with pytest.raises(PermissionDenied):
        actions.report_progress(teacher, police_action, text="Done!", status="completed")
    police_action.refresh_from_db()
    assert police_action.status == "not_started"
    assert not ProgressUpdate.objects.exists()


def test_progress_on_an_invisible_action_is_not_found(
    organiser: User, plan: Plan, police_action: Action, serbian_officer: User
) -> None:
    plan.tlp = "AMBER"
    plan.save()
    with pytest.raises(Http404):
        actions.report_progress(serbian_officer, police_action, text="x")


def test_the_progress_page_refuses_non_owners_with_403(
    police_action: Action,
    organiser: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    response = signed_in(organiser).post(
        f"/coordination/actions/{police_action.pk}/", {"text": "Done", "status": "completed"}
    )
    assert response.status_code == 403
    assert b"Only users of the owner organisation" in response.content
    assert not ProgressUpdate.objects.exists()


def test_the_progress_api_refuses_non_owners_with_a_problem(
    police_action: Action,
    organiser: User,
    police_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    url = f"/api/v1/coordination/actions/{police_action.pk}/progress"
    refused = signed_in(organiser).post(url, {"text": "Done"})
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "owner organisation" in refused.json()["detail"]
    accepted = signed_in(police_officer).post(
        url,
        {
            "text": "Half done",
            "link": "https://example.org/e",
            "status": "in_progress",
            "document": SimpleUploadedFile("e.txt", b"evidence"),
        },
    )
    assert accepted.status_code == 201
    assert accepted.json()["document"].endswith("/document/")
    bad = signed_in(police_officer).post(url, {"text": "x", "link": "ftp://example.org"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "link"
    assert ProgressUpdate.objects.count() == 1


def test_contributors_see_the_action_but_do_not_report(
    organiser: User,
    police_action: Action,
    serbian_ministry: Organisation,
    serbian_officer: User,
    plan: Plan,
) -> None:
    plan.tlp = "AMBER"
    plan.save()
    assert not policy.can(serbian_officer, policy.VIEW, police_action)
    actions.update_action(organiser, police_action, contributors=[serbian_ministry])
    assert policy.can(serbian_officer, policy.VIEW, police_action)
    assert not policy.can(serbian_officer, "progress", police_action)


def test_completing_records_the_day(
    organiser: User, police_action: Action, now: dt.datetime
) -> None:
    actions.update_action(organiser, police_action, status="completed", now=now)
    police_action.refresh_from_db()
    assert police_action.completed_on == now.date()
    actions.update_action(organiser, police_action, status="in_progress", now=now)
    police_action.refresh_from_db()
    assert police_action.completed_on is None


def test_the_overdue_page_flags_owners_and_coordinators(
    police_action: Action,
    police_officer: User,
    organiser: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    owner_page = signed_in(police_officer).get("/coordination/overdue/").content.decode()
    assert "Train community police officers" in owner_page.split("In plans my organisation")[0]
    coordinator_page = signed_in(organiser).get("/coordination/overdue/").content.decode()
    assert (
        "Train community police officers" in coordinator_page.split("In plans my organisation")[1]
    )
    action_page = signed_in(police_officer).get(f"/coordination/actions/{police_action.pk}/")
    assert b"Overdue: it was due on 2025-01-31." in action_page.content


def test_the_daily_digest_reaches_owners_and_coordinators_once(
    police_action: Action,
    organiser: User,
    police_officer: User,
    albanian_org_admin: User,
) -> None:
    albanian_org_admin.email = "al-admin@example.org"
    albanian_org_admin.save()
    assert send_overdue_digests.call("2025-03-01") == 2  # owner's admin, plan's coordinator
    assert sorted(m.to[0] for m in mail.outbox) == [
        "al-admin@example.org",
        "al-coordinator@example.org",
    ]
    assert mail.outbox[0].subject == "1 overdue action on 2025-03-01"
    assert "al-nap-2025 1.1 Train community police officers" in mail.outbox[0].body
    assert send_overdue_digests.call("2025-03-01") == 0  # idempotent
    assert DigestDelivery.objects.count() == 2
    assert send_overdue_digests.call("2025-01-15") == 0  # not yet due then


def test_the_digest_command_takes_the_date(police_action: Action, organiser: User) -> None:
    out = io.StringIO()
    call_command("send_overdue_digests", "--date", "2025-03-02", stdout=out)
    assert out.getvalue().strip() == "1 digest(s) sent for 2025-03-02"
    assert len(mail.outbox) == 1


def test_the_digest_skips_actions_done(organiser: User, police_action: Action) -> None:
    actions.update_action(organiser, police_action, status="completed")
    assert send_overdue_digests.call("2025-03-01") == 0


def test_plans_over_the_api(
    organiser: User,
    agreed_recommendation: Recommendation,
    albanian_police: Organisation,
    police_officer: User,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    created = client.post(
        "/api/v1/coordination/plans",
        {
            "key": "al-nap",
            "kind": "national_action_plan",
            "title": "NAP",
            "coordinator": "al-moi",
            "country": "AL",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    client.post(
        "/api/v1/coordination/plans/al-nap/objectives",
        {"code": "2", "title": "Schools"},
        content_type="application/json",
    )
    action = client.post(
        f"/api/v1/coordination/recommendations/{agreed_recommendation.pk}/actions",
        {
            "plan": "al-nap",
            "objective": "2",
            "code": "2.1",
            "owner": "al-asp-ctu",
            "due": "2026-01-31",
        },
        content_type="application/json",
    )
    assert action.status_code == 201, action.content
    assert action.json()["recommendations"] == [agreed_recommendation.pk]
    bad = client.post(
        "/api/v1/coordination/plans/al-nap/actions",
        {"objective": "2", "code": "2.2", "title": "x", "owner": "nobody", "level": "strategic"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "owner", "reason": "no organisation with the key 'nobody'"}
    ]
    listed = signed_in(police_officer).get("/api/v1/coordination/actions?owner=al-asp-ctu")
    assert [a["code"] for a in listed.json()["items"]] == ["2.1"]


def test_a_practitioner_cannot_create_plans(teacher: User, albanian_ministry: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_plan(
            teacher,
            key="mine",
            kind="national_action_plan",
            title="Mine",
            coordinator=albanian_ministry,
        )
    assert not Plan.objects.exists()


def test_the_recommendation_page_turns_it_into_an_action(
    organiser: User,
    agreed_recommendation: Recommendation,
    objective: Objective,
    albanian_police: Organisation,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    page = client.get(f"/coordination/recommendations/{agreed_recommendation.pk}/")
    assert b"Turn into an action" in page.content
    response = client.post(
        f"/coordination/recommendations/{agreed_recommendation.pk}/action/",
        {
            "objective": objective.pk,
            "code": "1.9",
            "title": "Councils",
            "owner": albanian_police.pk,
            "level": "operational",
            "priority": "high",
            "status": "not_started",
            "due": "2025-12-31",
        },
    )
    assert response.status_code == 302, response.content
    action = Action.objects.get(code="1.9")
    assert list(action.recommendations.all()) == [agreed_recommendation]


def test_a_non_owner_user_of_the_owner_organisation_role_does_not_matter(
    police_action: Action,
    make_person,
    albanian_police: Organisation,  # type: ignore[no-untyped-def]
) -> None:
    analyst = make_person(albanian_police, Role.ANALYST, "al-analyst")
    actions.report_progress(analyst, police_action, text="Curriculum drafted.")
    assert ProgressUpdate.objects.count() == 1
