"""From outcome to action: recommendations, plans, objectives, actions and progress."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from firstline import policy
from firstline.coordination import policy as coordination_policy
from firstline.coordination.models import (
    OPEN_STATUSES,
    TLP,
    Action,
    ActionStatus,
    Event,
    Objective,
    Plan,
    PlanKind,
    PolicyLevel,
    Priority,
    ProgressUpdate,
    Recommendation,
    RecommendationChange,
    RecommendationStatus,
)
from firstline.coordination.models.common import lowest_classification
from firstline.coordination.policy import PROGRESS
from firstline.coordination.services.common import (
    check_link,
    check_marking,
    check_period,
    check_upload,
    clean_translations,
    require,
    required_text,
)
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network, Organisation

RECOMMENDATION_FIELDS = (
    "text",
    "text_translations",
    "level",
    "status",
    "country",
    "superseded_by",
    "tlp",
    "classification",
)
ACTION_FIELDS = (
    "title",
    "description",
    "owner",
    "level",
    "priority",
    "start",
    "due",
    "indicator",
    "baseline",
    "target",
    "status",
    "objective",
)
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def _user(actor: Any) -> Any:
    return actor if coordination_policy.user_id(actor) else None


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise Problem.field(field, f"{value!r} is not one of {', '.join(choices.values)}")
    return value


def _code(value: str, field: str = "code") -> str:
    code = (value or "").strip()
    if not CODE_RE.match(code):
        raise Problem.field(field, "1 to 32 letters, digits, dots, dashes or underscores")
    return code


def _display(value: Any) -> Any:
    """A value as history keeps it: model instances by their key or id."""
    if value is None:
        return None
    if isinstance(value, Country):
        return value.code
    if hasattr(value, "pk"):
        return getattr(value, "key", None) or value.pk
    return value


# --- recommendations --------------------------------------------------------------------


def create_recommendation(
    actor: Any,
    *,
    text: str,
    level: str,
    event: Event | None = None,
    addressee_organisations: Sequence[Organisation] = (),
    addressee_networks: Sequence[Network] = (),
    country: Country | None = None,
    status: str = RecommendationStatus.PROPOSED,
    text_translations: dict[str, str] | None = None,
    tlp: str | None = None,
    classification: str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Recommendation:
    """Record a recommendation; its marking and country default to its source event's."""
    if not policy.can(actor, policy.ADD, Recommendation):
        raise PermissionDenied("Only coordinators and administrators record recommendations.")
    at = now or clock.now()
    if event is not None:
        require(actor, policy.VIEW, event)
    tlp = tlp or (event.tlp if event else TLP.GREEN)
    classification = classification or (event.classification if event else lowest_classification())
    check_marking(actor, tlp, classification)
    _choice(level, PolicyLevel, "level")
    _choice(status, RecommendationStatus, "status")
    if status == RecommendationStatus.SUPERSEDED:
        raise Problem.field("status", "a new recommendation cannot be superseded already")
    with transaction.atomic():
        recommendation = Recommendation.objects.create(
            text=required_text(text, "text"),
            text_translations=clean_translations(text_translations, "text_translations"),
            event=event,
            level=level,
            country=country or (event.country if event else None),
            status=status,
            tlp=tlp,
            classification=classification,
            organisation_id=actor.organisation_id,
            created_by=_user(actor),
            created_at=at,
            updated_at=at,
            agreed_at=at if status == RecommendationStatus.AGREED else None,
        )
        recommendation.addressee_organisations.set(addressee_organisations)
        recommendation.addressee_networks.set(addressee_networks)
        RecommendationChange.objects.create(
            recommendation=recommendation,
            at=at,
            actor=_user(actor),
            changes={"status": [None, status], "level": [None, level]},
            note=note or "recorded",
        )
    return recommendation


def update_recommendation(
    actor: Any,
    recommendation: Recommendation,
    *,
    addressee_organisations: Sequence[Organisation] | None = None,
    addressee_networks: Sequence[Network] | None = None,
    note: str = "",
    now: dt.datetime | None = None,
    **changes: Any,
) -> Recommendation:
    """Change a recommendation; the change (old and new values) goes into its history."""
    require(actor, policy.CHANGE, recommendation, "Only its recording organisation may change it.")
    unknown = set(changes) - set(RECOMMENDATION_FIELDS)
    if unknown:
        raise Problem.field(sorted(unknown)[0], "not a field of a recommendation")
    at = now or clock.now()
    with transaction.atomic():
        locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        diff: dict[str, list[Any]] = {}
        for name, value in changes.items():
            if name == "text":
                value = required_text(value, "text")
            elif name == "text_translations":
                value = clean_translations(value, name)
            elif name == "level":
                _choice(value, PolicyLevel, "level")
            elif name == "status":
                _choice(value, RecommendationStatus, "status")
            old = getattr(locked, name)
            if old != value:
                diff[name] = [_display(old), _display(value)]
                setattr(locked, name, value)
        if locked.superseded_by_id == locked.pk:
            raise Problem.field("superseded_by", "a recommendation cannot supersede itself")
        if "superseded_by" in diff and locked.superseded_by is not None:
            require(actor, policy.VIEW, locked.superseded_by)
            if "status" not in changes:
                diff["status"] = [locked.status, RecommendationStatus.SUPERSEDED]
                locked.status = RecommendationStatus.SUPERSEDED
        if locked.status == RecommendationStatus.SUPERSEDED and locked.superseded_by is None:
            raise Problem.field("superseded_by", "name the recommendation that supersedes it")
        check_marking(actor, locked.tlp, locked.classification)
        if addressee_organisations is not None:
            before = sorted(o.key for o in locked.addressee_organisations.all())
            after = sorted(o.key for o in addressee_organisations)
            if before != after:
                diff["addressee_organisations"] = [before, after]
                locked.addressee_organisations.set(addressee_organisations)
        if addressee_networks is not None:
            before = sorted(n.key for n in locked.addressee_networks.all())
            after = sorted(n.key for n in addressee_networks)
            if before != after:
                diff["addressee_networks"] = [before, after]
                locked.addressee_networks.set(addressee_networks)
        if not diff:
            raise Problem.field("status", "nothing changed")
        if diff.get("status", [None, None])[1] == RecommendationStatus.AGREED:
            locked.agreed_at = at
        locked.updated_at = at
        locked.save()
        RecommendationChange.objects.create(
            recommendation=locked, at=at, actor=_user(actor), changes=diff, note=note.strip()
        )
    return locked


# --- plans ------------------------------------------------------------------------------


def create_plan(
    actor: Any,
    *,
    key: str,
    kind: str,
    title: str,
    coordinator: Organisation,
    country: Country | None = None,
    network: Network | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    title_translations: dict[str, str] | None = None,
    tlp: str = TLP.GREEN,
    classification: str | None = None,
    now: dt.datetime | None = None,
) -> Plan:
    """A national action plan (for a country) or the regional integrated plan (for a network)."""
    if not policy.can(actor, policy.ADD, Plan):
        raise PermissionDenied("Only coordinators and administrators create plans.")
    _choice(kind, PlanKind, "kind")
    classification = classification or lowest_classification()
    check_marking(actor, tlp, classification)
    slug = (key or "").strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9-]{1,63}$", slug):
        raise Problem.field("key", "2 to 64 lower-case letters, digits and dashes")
    if Plan.objects.filter(key=slug).exists():
        raise Problem.field("key", f"a plan with the key {slug!r} exists", status=409)
    if kind == PlanKind.NATIONAL and country is None:
        raise Problem.field("country", "a national action plan belongs to a country")
    check_period(period_start, period_end, end_field="period_end", allow_equal=True)
    return Plan.objects.create(
        key=slug,
        kind=kind,
        title=required_text(title, "title", 255),
        title_translations=clean_translations(title_translations, "title_translations"),
        coordinator=coordinator,
        country=country,
        network=network,
        period_start=period_start,
        period_end=period_end,
        tlp=tlp,
        classification=classification,
        created_by=_user(actor),
        created_at=now or clock.now(),
    )


def add_objective(actor: Any, plan: Plan, *, code: str, title: str) -> Objective:
    require(actor, policy.CHANGE, plan, "Only the plan's coordinators may change it.")
    code = _code(code)
    if plan.objectives.filter(code=code).exists():
        raise Problem.field("code", f"the plan already has an objective {code}", status=409)
    return Objective.objects.create(plan=plan, code=code, title=required_text(title, "title", 500))


def _check_recommendations(actor: Any, recommendations: Sequence[Recommendation]) -> None:
    for rec in recommendations:
        if not policy.can(actor, policy.VIEW, rec):
            raise Problem.field("recommendations", f"no recommendation R{rec.pk}")
        if rec.status in (RecommendationStatus.REJECTED, RecommendationStatus.SUPERSEDED):
            raise Problem.field(
                "recommendations", f"R{rec.pk} is {rec.status}; link the one in force instead"
            )


def create_action(
    actor: Any,
    objective: Objective,
    *,
    code: str,
    title: str,
    owner: Organisation,
    level: str,
    contributors: Sequence[Organisation] = (),
    priority: str = Priority.MEDIUM,
    start: dt.date | None = None,
    due: dt.date | None = None,
    indicator: str = "",
    baseline: str = "",
    target: str = "",
    status: str = ActionStatus.NOT_STARTED,
    description: str = "",
    recommendations: Sequence[Recommendation] = (),
    now: dt.datetime | None = None,
) -> Action:
    """Add an action under an objective, optionally realising recommendations."""
    plan = objective.plan
    require(actor, policy.CHANGE, plan, "Only the plan's coordinators may add actions.")
    code = _code(code)
    if plan.actions.filter(code=code).exists():
        raise Problem.field("code", f"the plan already has an action {code}", status=409)
    _choice(level, PolicyLevel, "level")
    _choice(priority, Priority, "priority")
    _choice(status, ActionStatus, "status")
    check_period(start, due, end_field="due", allow_equal=True)
    _check_recommendations(actor, recommendations)
    at = now or clock.now()
    with transaction.atomic():
        action = Action.objects.create(
            plan=plan,
            objective=objective,
            code=code,
            title=required_text(title, "title", 500),
            description=(description or "").strip(),
            owner=owner,
            level=level,
            priority=priority,
            start=start,
            due=due,
            indicator=(indicator or "").strip(),
            baseline=(baseline or "").strip()[:255],
            target=(target or "").strip()[:255],
            status=status,
            completed_on=at.date() if status == ActionStatus.COMPLETED else None,
            created_at=at,
            updated_at=at,
        )
        action.contributors.set(contributors)
        action.recommendations.set(recommendations)
    return action


def action_from_recommendation(
    actor: Any,
    recommendation: Recommendation,
    objective: Objective,
    *,
    code: str,
    owner: Organisation,
    title: str = "",
    now: dt.datetime | None = None,
    **fields: Any,
) -> Action:
    """Turn an agreed recommendation into an action of a plan (level taken from it)."""
    require(actor, policy.VIEW, recommendation)
    if recommendation.status != RecommendationStatus.AGREED:
        raise Problem.field(
            "recommendation",
            f"R{recommendation.pk} is {recommendation.status}; only agreed recommendations "
            "become actions",
        )
    fields.setdefault("level", recommendation.level)
    return create_action(
        actor,
        objective,
        code=code,
        owner=owner,
        title=title or recommendation.text[:500],
        recommendations=[recommendation],
        now=now,
        **fields,
    )


def update_action(
    actor: Any,
    action: Action,
    *,
    contributors: Sequence[Organisation] | None = None,
    recommendations: Sequence[Recommendation] | None = None,
    now: dt.datetime | None = None,
    **changes: Any,
) -> Action:
    """Change an action (the plan's coordinators)."""
    require(actor, policy.CHANGE, action, "Only the plan's coordinators may change actions.")
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise Problem.field(sorted(unknown)[0], "not a field of an action")
    at = now or clock.now()
    for name, choices in (("level", PolicyLevel), ("priority", Priority), ("status", ActionStatus)):
        if name in changes:
            _choice(changes[name], choices, name)
    if "title" in changes:
        changes["title"] = required_text(changes["title"], "title", 500)
    objective = changes.get("objective")
    if objective is not None and objective.plan_id != action.plan_id:
        raise Problem.field("objective", "the objective belongs to another plan")
    if recommendations is not None:
        _check_recommendations(actor, recommendations)
    with transaction.atomic():
        locked = Action.objects.select_for_update().get(pk=action.pk)
        was = locked.status
        for name, value in changes.items():
            setattr(locked, name, value)
        check_period(locked.start, locked.due, end_field="due", allow_equal=True)
        _set_completed(locked, was, at)
        locked.updated_at = at
        locked.save()
        if contributors is not None:
            locked.contributors.set(contributors)
        if recommendations is not None:
            locked.recommendations.set(recommendations)
    return locked


def _set_completed(action: Action, was: str, at: dt.datetime) -> None:
    if action.status == ActionStatus.COMPLETED and was != ActionStatus.COMPLETED:
        action.completed_on = at.date()
    elif action.status != ActionStatus.COMPLETED:
        action.completed_on = None


def report_progress(
    actor: Any,
    action: Action,
    *,
    text: str,
    link: str = "",
    document: UploadedFile | None = None,
    status: str = "",
    indicator_value: str = "",
    now: dt.datetime | None = None,
) -> ProgressUpdate:
    """Report progress with evidence. Only users of the owner organisation may: the owner
    answers for the action; coordinators change the plan but do not report for others."""
    if not policy.can(actor, policy.VIEW, action):
        raise Http404
    if not policy.can(actor, PROGRESS, action):
        raise PermissionDenied(
            f"Only users of the owner organisation ({action.owner}) may report progress on "
            f"action {action.code}."
        )
    body = required_text(text, "text")
    link = check_link(link)
    check_upload(document, "document")
    if status:
        _choice(status, ActionStatus, "status")
    at = now or clock.now()
    with transaction.atomic():
        locked = Action.objects.select_for_update().get(pk=action.pk)
        update = ProgressUpdate(
            action=locked,
            author=_user(actor),
            organisation_id=actor.organisation_id,
            at=at,
            text=body,
            link=link,
            status_after=status,
            indicator_value=(indicator_value or "").strip()[:255],
        )
        if document is not None:
            update.document_name = (document.name or "evidence")[-255:]
            update.document.save(document.name or "evidence", document, save=False)
        update.save()
        was = locked.status
        if status:
            locked.status = status
            _set_completed(locked, was, at)
        locked.last_progress_at = at
        locked.updated_at = at
        locked.save(update_fields=["status", "completed_on", "last_progress_at", "updated_at"])
    action.refresh_from_db()
    return update


def overdue(actions: QuerySet[Action], today: dt.date) -> QuerySet[Action]:
    """Actions past their due date and still open."""
    return actions.filter(due__lt=today, status__in=OPEN_STATUSES)
