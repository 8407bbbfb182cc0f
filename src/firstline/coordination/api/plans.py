"""Recommendations, plans, actions, progress, import/export and dashboards over the API."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from firstline import policy
from firstline.coordination import reports
from firstline.coordination.api import common
from firstline.coordination.api.common import actor_of
from firstline.coordination.models import (
    Action,
    ActionStatus,
    Event,
    Objective,
    Plan,
    Priority,
    ProgressUpdate,
    Recommendation,
    RecommendationStatus,
)
from firstline.coordination.services import actions as services
from firstline.coordination.services import transfer
from firstline.coordination.services.common import today
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network

router = Router(tags=["coordination: plans"])


class RecommendationIn(Schema):
    text: str
    level: str
    event: int | None = None
    addressee_organisations: list[str] = []
    addressee_networks: list[str] = []
    country: str | None = None
    status: str = RecommendationStatus.PROPOSED
    text_translations: dict[str, str] = {}
    tlp: str | None = None
    classification: str | None = None
    note: str = ""


class RecommendationPatch(Schema):
    text: str | None = None
    text_translations: dict[str, str] | None = None
    level: str | None = None
    status: str | None = None
    superseded_by: int | None = None
    addressee_organisations: list[str] | None = None
    addressee_networks: list[str] | None = None
    tlp: str | None = None
    classification: str | None = None
    note: str = ""


class RecommendationOut(Schema):
    id: int
    ref: str
    text: str
    text_translations: dict[str, str]
    event: int | None = Field(alias="event_id")
    level: str
    status: str
    addressee_organisations: list[str]
    addressee_networks: list[str]
    country: str | None
    superseded_by: int | None = Field(alias="superseded_by_id")
    actions: list[int]
    tlp: str
    classification: str
    created_at: dt.datetime

    @staticmethod
    def resolve_addressee_organisations(obj: Recommendation) -> list[str]:
        return [o.key for o in obj.addressee_organisations.all()]

    @staticmethod
    def resolve_addressee_networks(obj: Recommendation) -> list[str]:
        return [n.key for n in obj.addressee_networks.all()]

    @staticmethod
    def resolve_country(obj: Recommendation) -> str | None:
        return obj.country.code if obj.country else None

    @staticmethod
    def resolve_actions(obj: Recommendation) -> list[int]:
        return [a.pk for a in obj.actions.all()]


class ChangeOut(Schema):
    at: dt.datetime
    actor: str | None
    changes: dict[str, Any]
    note: str

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.username if obj.actor else None


class PlanIn(Schema):
    key: str
    kind: str
    title: str
    coordinator: str = Field(description="organisation key")
    country: str | None = None
    network: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    title_translations: dict[str, str] = {}
    tlp: str = "GREEN"
    classification: str | None = None


class ObjectiveIn(Schema):
    code: str
    title: str


class ObjectiveOut(Schema):
    code: str
    title: str


class PlanOut(Schema):
    key: str
    kind: str
    title: str
    coordinator: str
    country: str | None
    network: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    tlp: str
    classification: str
    objectives: list[ObjectiveOut]

    @staticmethod
    def resolve_coordinator(obj: Plan) -> str:
        return obj.coordinator.key

    @staticmethod
    def resolve_country(obj: Plan) -> str | None:
        return obj.country.code if obj.country else None

    @staticmethod
    def resolve_network(obj: Plan) -> str | None:
        return obj.network.key if obj.network else None

    @staticmethod
    def resolve_objectives(obj: Plan) -> list[Objective]:
        return list(obj.objectives.all())


class ActionIn(Schema):
    objective: str = Field(description="objective code within the plan")
    code: str
    title: str
    owner: str = Field(description="organisation key")
    level: str
    contributors: list[str] = []
    priority: str = Priority.MEDIUM
    start: dt.date | None = None
    due: dt.date | None = None
    indicator: str = ""
    baseline: str = ""
    target: str = ""
    status: str = ActionStatus.NOT_STARTED
    description: str = ""
    recommendations: list[int] = []


class ActionFromRecommendationIn(Schema):
    plan: str
    objective: str
    code: str
    owner: str
    title: str = ""
    priority: str = Priority.MEDIUM
    start: dt.date | None = None
    due: dt.date | None = None
    indicator: str = ""
    baseline: str = ""
    target: str = ""


class ActionPatch(Schema):
    title: str | None = None
    description: str | None = None
    owner: str | None = None
    contributors: list[str] | None = None
    level: str | None = None
    priority: str | None = None
    start: dt.date | None = None
    due: dt.date | None = None
    indicator: str | None = None
    baseline: str | None = None
    target: str | None = None
    status: str | None = None
    recommendations: list[int] | None = None


class ActionOut(Schema):
    id: int
    plan: str
    objective: str
    code: str
    title: str
    description: str
    owner: str
    contributors: list[str]
    level: str
    priority: str
    start: dt.date | None
    due: dt.date | None
    indicator: str
    baseline: str
    target: str
    status: str
    recommendations: list[int]
    overdue: bool
    last_progress_at: dt.datetime | None

    @staticmethod
    def resolve_plan(obj: Action) -> str:
        return obj.plan.key

    @staticmethod
    def resolve_objective(obj: Action) -> str:
        return obj.objective.code

    @staticmethod
    def resolve_owner(obj: Action) -> str:
        return obj.owner.key

    @staticmethod
    def resolve_contributors(obj: Action) -> list[str]:
        return [o.key for o in obj.contributors.all()]

    @staticmethod
    def resolve_recommendations(obj: Action) -> list[int]:
        return [r.pk for r in obj.recommendations.all()]

    @staticmethod
    def resolve_overdue(obj: Action) -> bool:
        return obj.is_overdue(today())


class ProgressIn(Schema):
    text: str
    link: str = ""
    status: str = ""
    indicator_value: str = ""


class ProgressOut(Schema):
    id: int
    action: int = Field(alias="action_id")
    at: dt.datetime
    organisation: str
    text: str
    link: str
    document: str | None
    status_after: str
    indicator_value: str

    @staticmethod
    def resolve_organisation(obj: ProgressUpdate) -> str:
        return obj.organisation.key

    @staticmethod
    def resolve_document(obj: ProgressUpdate) -> str | None:
        return f"/coordination/progress/{obj.pk}/document/" if obj.document else None


class ImportOut(Schema):
    objectives_created: int
    created: int
    updated: int
    unchanged: int


class CountOut(Schema):
    label: str
    count: int


class DashboardOut(Schema):
    scope: str
    today: dt.date
    actions: int
    by_status: list[CountOut]
    by_level: list[CountOut]
    by_priority: list[CountOut]
    overdue: int
    overdue_actions: list[int]
    recommendations_without_action: int
    recommendation_ids_without_action: list[int]


def _plan(request: HttpRequest, key: str) -> Plan:
    return policy.get_visible_or_404(actor_of(request), Plan, key=key)


def _recs(actor: Any, ids: list[int]) -> list[Recommendation]:
    found = {r.pk: r for r in policy.visible_to(actor, Recommendation).filter(pk__in=ids)}
    for pk in ids:
        if pk not in found:
            raise Problem.field("recommendations", f"no recommendation R{pk}")
    return [found[pk] for pk in ids]


def _objective(plan: Plan, code: str) -> Objective:
    found = plan.objectives.filter(code=code).first()
    if found is None:
        raise Problem.field("objective", f"the plan has no objective {code!r}")
    return found


# --- recommendations --------------------------------------------------------------------


@router.get("/recommendations", response=list[RecommendationOut])
@paginate(LimitOffsetPagination)
def list_recommendations(request: HttpRequest, status: str | None = None) -> Any:
    recs = (
        policy.visible_to(actor_of(request), Recommendation)
        .prefetch_related("addressee_organisations", "addressee_networks", "actions")
        .select_related("country")
    )
    if status:
        recs = recs.filter(status=status)
    return recs.order_by("-created_at", "-pk")


@router.post("/recommendations", response={201: RecommendationOut})
def create_recommendation(request: HttpRequest, payload: RecommendationIn) -> Any:
    actor = actor_of(request)
    data = payload.dict()
    if data["event"] is not None:
        data["event"] = policy.visible_to(actor, Event).filter(pk=data["event"]).first()
        if data["event"] is None:
            raise Problem.field("event", f"no event {payload.event}")
    data["addressee_organisations"] = common.organisations(
        actor, data["addressee_organisations"], "addressee_organisations"
    )
    data["addressee_networks"] = common.networks(
        actor, data["addressee_networks"], "addressee_networks"
    )
    data["country"] = common.country(data["country"])
    return Status(201, services.create_recommendation(actor, **data))


@router.get("/recommendations/{rec_id}", response=RecommendationOut)
def get_recommendation(request: HttpRequest, rec_id: int) -> Any:
    return policy.get_visible_or_404(actor_of(request), Recommendation, pk=rec_id)


@router.patch("/recommendations/{rec_id}", response=RecommendationOut)
def update_recommendation(request: HttpRequest, rec_id: int, payload: RecommendationPatch) -> Any:
    actor = actor_of(request)
    rec = policy.get_visible_or_404(actor, Recommendation, pk=rec_id)
    data = payload.dict(exclude_unset=True)
    note = data.pop("note", "")
    orgs = data.pop("addressee_organisations", None)
    nets = data.pop("addressee_networks", None)
    if "superseded_by" in data and data["superseded_by"] is not None:
        data["superseded_by"] = _recs(actor, [data["superseded_by"]])[0]
    return services.update_recommendation(
        actor,
        rec,
        note=note,
        addressee_organisations=common.organisations(actor, orgs, "addressee_organisations")
        if orgs is not None
        else None,
        addressee_networks=common.networks(actor, nets, "addressee_networks")
        if nets is not None
        else None,
        **data,
    )


@router.get("/recommendations/{rec_id}/history", response=list[ChangeOut])
def recommendation_history(request: HttpRequest, rec_id: int) -> Any:
    rec = policy.get_visible_or_404(actor_of(request), Recommendation, pk=rec_id)
    return list(rec.history.select_related("actor"))


@router.post("/recommendations/{rec_id}/actions", response={201: ActionOut})
def recommendation_to_action(
    request: HttpRequest, rec_id: int, payload: ActionFromRecommendationIn
) -> Any:
    """Turn an agreed recommendation into an action of a plan."""
    actor = actor_of(request)
    rec = policy.get_visible_or_404(actor, Recommendation, pk=rec_id)
    data = payload.dict()
    plan = _plan(request, data.pop("plan"))
    objective = _objective(plan, data.pop("objective"))
    data["owner"] = common.organisation(actor, data["owner"], "owner")
    return Status(201, services.action_from_recommendation(actor, rec, objective, **data))


# --- plans and actions ------------------------------------------------------------------


@router.get("/plans", response=list[PlanOut])
@paginate(LimitOffsetPagination)
def list_plans(request: HttpRequest) -> Any:
    return policy.visible_to(actor_of(request), Plan).select_related(
        "coordinator", "country", "network"
    )


@router.post("/plans", response={201: PlanOut})
def create_plan(request: HttpRequest, payload: PlanIn) -> Any:
    actor = actor_of(request)
    data = payload.dict()
    data["coordinator"] = common.organisation(actor, data["coordinator"], "coordinator")
    data["country"] = common.country(data["country"])
    data["network"] = (
        common.networks(actor, [data["network"]], "network")[0] if data["network"] else None
    )
    return Status(201, services.create_plan(actor, **data))


@router.get("/plans/{key}", response=PlanOut)
def get_plan(request: HttpRequest, key: str) -> Any:
    return _plan(request, key)


@router.post("/plans/{key}/objectives", response={201: ObjectiveOut})
def add_objective(request: HttpRequest, key: str, payload: ObjectiveIn) -> Any:
    return Status(
        201, services.add_objective(actor_of(request), _plan(request, key), **payload.dict())
    )


@router.post("/plans/{key}/actions", response={201: ActionOut})
def create_action(request: HttpRequest, key: str, payload: ActionIn) -> Any:
    actor = actor_of(request)
    plan = _plan(request, key)
    data = payload.dict()
    objective = _objective(plan, data.pop("objective"))
    data["owner"] = common.organisation(actor, data["owner"], "owner")
    data["contributors"] = common.organisations(actor, data["contributors"], "contributors")
    data["recommendations"] = _recs(actor, data["recommendations"])
    return Status(201, services.create_action(actor, objective, **data))


@router.get("/actions", response=list[ActionOut])
@paginate(LimitOffsetPagination)
def list_actions(
    request: HttpRequest,
    plan: str | None = None,
    status: str | None = None,
    owner: str | None = None,
    overdue: bool = False,
) -> Any:
    """Actions visible to the caller; filter by plan key, status, owner key, overdue."""
    actions = (
        policy.visible_to(actor_of(request), Action)
        .select_related("plan", "objective", "owner")
        .prefetch_related("contributors", "recommendations")
    )
    if plan:
        actions = actions.filter(plan__key=plan)
    if status:
        actions = actions.filter(status=status)
    if owner:
        actions = actions.filter(owner__key=owner)
    if overdue:
        actions = services.overdue(actions, today())
    return actions.order_by("plan__key", "code")


def _action(request: HttpRequest, action_id: int) -> Action:
    return policy.get_visible_or_404(
        actor_of(request),
        Action.objects.select_related("plan", "objective", "owner"),
        pk=action_id,
    )


@router.get("/actions/{action_id}", response=ActionOut)
def get_action(request: HttpRequest, action_id: int) -> Any:
    return _action(request, action_id)


@router.patch("/actions/{action_id}", response=ActionOut)
def update_action(request: HttpRequest, action_id: int, payload: ActionPatch) -> Any:
    actor = actor_of(request)
    action = _action(request, action_id)
    data = payload.dict(exclude_unset=True)
    contributors = data.pop("contributors", None)
    recs = data.pop("recommendations", None)
    if "owner" in data:
        data["owner"] = common.organisation(actor, data["owner"], "owner")
    return services.update_action(
        actor,
        action,
        contributors=common.organisations(actor, contributors, "contributors")
        if contributors is not None
        else None,
        recommendations=_recs(actor, recs) if recs is not None else None,
        **data,
    )


@router.get("/actions/{action_id}/progress", response=list[ProgressOut])
@paginate(LimitOffsetPagination)
def list_progress(request: HttpRequest, action_id: int) -> Any:
    return _action(request, action_id).progress_updates.select_related("organisation")


@router.post("/actions/{action_id}/progress", response={201: ProgressOut})
def report_progress(
    request: HttpRequest,
    action_id: int,
    payload: Form[ProgressIn],
    document: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Any:
    """Report progress with evidence (multipart form: text, link, status, indicator_value,
    document). Only users of the action's owner organisation may; others get 403."""
    action = _action(request, action_id)
    return Status(
        201,
        services.report_progress(
            actor_of(request),
            action,
            document=document,
            **payload.dict(),
        ),
    )


@router.get("/plans/{key}/export")
def export_plan(request: HttpRequest, key: str, format: str = "csv") -> HttpResponse:
    plan = _plan(request, key)
    actor = actor_of(request)
    if format == "xlsx":
        response = HttpResponse(
            transfer.export_xlsx(actor, plan),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif format == "csv":
        response = HttpResponse(
            transfer.export_csv(actor, plan), content_type="text/csv; charset=utf-8"
        )
    else:
        raise Problem.field("format", "csv or xlsx")
    response["Content-Disposition"] = f'attachment; filename="{plan.key}.{format}"'
    return response


@router.post("/plans/{key}/import", response=ImportOut)
def import_plan(request: HttpRequest, key: str, file: File[UploadedFile]) -> Any:
    """Import a CSV or XLSX file (by its name's extension); all rows or none."""
    plan = _plan(request, key)
    name = (file.name or "").lower()
    fmt = "xlsx" if name.endswith(".xlsx") else "csv" if name.endswith(".csv") else ""
    if not fmt:
        raise Problem.field("file", "a .csv or .xlsx file")
    return transfer.import_plan(actor_of(request), plan, file.read(), fmt)


# --- dashboards -------------------------------------------------------------------------


def _dashboard_out(board: reports.Dashboard) -> dict[str, Any]:
    def counts(chart: Any) -> list[dict[str, Any]]:
        return [{"label": label, "count": n} for label, n in chart.rows]

    return {
        "scope": board.scope.label,
        "today": board.today,
        "actions": board.total,
        "by_status": counts(board.by_status),
        "by_level": counts(board.by_level),
        "by_priority": counts(board.by_priority),
        "overdue": board.overdue_count,
        "overdue_actions": [a.pk for a in board.overdue],
        "recommendations_without_action": board.unrealised_count,
        "recommendation_ids_without_action": [r.pk for r in board.unrealised],
    }


@router.get("/dashboards/countries/{code}", response=DashboardOut)
def country_dashboard(request: HttpRequest, code: str) -> Any:
    country = Country.objects.filter(code=code.upper()).first()
    if country is None:
        raise Http404
    return _dashboard_out(
        reports.dashboard(actor_of(request), reports.Scope(country=country), today=today())
    )


@router.get("/dashboards/networks/{key}", response=DashboardOut)
def network_dashboard(request: HttpRequest, key: str) -> Any:
    network = policy.get_visible_or_404(actor_of(request), Network, key=key)
    return _dashboard_out(
        reports.dashboard(actor_of(request), reports.Scope(network=network), today=today())
    )
