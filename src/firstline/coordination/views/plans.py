"""Pages from outcome to action: recommendations, plans, actions, progress, overdue, files."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from firstline import policy
from firstline.coordination.forms import (
    ActionForm,
    ImportForm,
    ObjectiveForm,
    PlanForm,
    ProgressForm,
    RecommendationForm,
    RecommendationStatusForm,
    plans_changeable_by,
)
from firstline.coordination.models import (
    Action,
    Event,
    Objective,
    Plan,
    ProgressUpdate,
    Recommendation,
    RecommendationStatus,
)
from firstline.coordination.policy import PROGRESS
from firstline.coordination.services import actions as action_services
from firstline.coordination.services import transfer
from firstline.coordination.services.common import require, today
from firstline.coordination.views.common import (
    bytes_response,
    download,
    page,
    posted,
    posted_files,
    render_form,
    run_service,
)
from firstline.core.problems import Problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@page
def recommendation_list(request: HttpRequest) -> HttpResponse:
    recs = (
        policy.visible_to(request.user, Recommendation)
        .select_related("event", "country")
        .annotate(n_actions=Count("actions"))
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in RecommendationStatus.values:
        recs = recs.filter(status=status)
    return render(
        request,
        "coordination/recommendation_list.html",
        {
            "recommendations": recs[:500],
            "status": status,
            "statuses": RecommendationStatus.choices,
            "can_add": policy.can(request.user, policy.ADD, Recommendation),
        },
    )


@page
def recommendation_create(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, policy.ADD, Recommendation):
        raise PermissionDenied(_("Only coordinators and administrators record recommendations."))
    initial = {}
    if request.GET.get("event", "").isdigit():
        event = policy.visible_to(request.user, Event).filter(pk=request.GET["event"]).first()
        if event is not None:
            initial = {
                "event": event,
                "country": event.country,
                "tlp": event.tlp,
                "classification": event.classification,
            }
    form = RecommendationForm(posted(request), actor=request.user, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        rec, status = run_service(
            form,
            lambda: action_services.create_recommendation(request.user, **form.service_kwargs()),
        )
        if rec is not None:
            messages.success(request, _("Recommendation R%(pk)d recorded.") % {"pk": rec.pk})
            return redirect("coordination:recommendation", pk=rec.pk)
    return render_form(request, "coordination/recommendation_form.html", {"form": form}, status)


@page
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = policy.get_visible_or_404(request.user, Recommendation, pk=pk)
    can_change = policy.can(request.user, policy.CHANGE, rec)
    form = RecommendationStatusForm(
        posted(request), actor=request.user, recommendation=rec, initial={"status": rec.status}
    )
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(_("Only its recording organisation may change it."))
        if form.is_valid():
            changes = {"status": form.cleaned_data["status"]}
            if form.cleaned_data["superseded_by"] is not None:
                changes["superseded_by"] = form.cleaned_data["superseded_by"]
            updated, status = run_service(
                form,
                lambda: action_services.update_recommendation(
                    request.user, rec, note=form.cleaned_data["note"], **changes
                ),
            )
            if updated is not None:
                messages.success(request, _("Recommendation updated."))
                return redirect("coordination:recommendation", pk=rec.pk)
    return render_form(
        request,
        "coordination/recommendation_detail.html",
        {
            "rec": rec,
            "form": form,
            "can_change": can_change,
            "history": rec.history.select_related("actor"),
            "actions": policy.visible_to(request.user, rec.actions.select_related("plan", "owner")),
            "can_act": rec.status == RecommendationStatus.AGREED
            and plans_changeable_by(request.user).exists(),
        },
        status,
    )


@page
def recommendation_to_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn an agreed recommendation into an action of a plan the user coordinates."""
    rec = policy.get_visible_or_404(request.user, Recommendation, pk=pk)
    plans = plans_changeable_by(request.user)
    if not plans.exists():  # nobody may open a form they could never submit
        raise PermissionDenied(
            _("Only a plan's coordinators may turn a recommendation into an action.")
        )
    initial = {"title": rec.text[:500], "level": rec.level, "recommendations": [rec]}
    form = ActionForm(posted(request), actor=request.user, plans=plans, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        objective = data.pop("objective")
        data["recommendations"] = list({r.pk: r for r in [rec, *data["recommendations"]]}.values())
        action, status = run_service(
            form,
            lambda: _create_from_recommendation(request.user, rec, objective, data),
        )
        if action is not None:
            messages.success(request, _("Action %(code)s created.") % {"code": action.code})
            return redirect("coordination:action", pk=action.pk)
    return render_form(request, "coordination/action_form.html", {"form": form, "rec": rec}, status)


def _create_from_recommendation(
    actor: Any, rec: Recommendation, objective: Objective, data: dict[str, Any]
) -> Action:
    recs = data.pop("recommendations")
    action = action_services.action_from_recommendation(actor, rec, objective, **data)
    if len(recs) > 1:
        action = action_services.update_action(actor, action, recommendations=recs)
    return action


@page
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = (
        policy.visible_to(request.user, Plan)
        .select_related("country", "network", "coordinator")
        .annotate(n_actions=Count("actions"))
    )
    return render(
        request,
        "coordination/plan_list.html",
        {"plans": plans, "can_add": policy.can(request.user, policy.ADD, Plan)},
    )


@page
def plan_create(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, policy.ADD, Plan):
        raise PermissionDenied(_("Only coordinators and administrators create plans."))
    form = PlanForm(posted(request), actor=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        plan, status = run_service(
            form, lambda: action_services.create_plan(request.user, **form.cleaned_data)
        )
        if plan is not None:
            messages.success(request, _("Plan created. Now add its objectives."))
            return redirect("coordination:plan", key=plan.key)
    return render_form(request, "coordination/plan_form.html", {"form": form}, status)


@page
def plan_detail(request: HttpRequest, key: str) -> HttpResponse:
    plan = policy.get_visible_or_404(request.user, Plan, key=key)
    day = today()
    actions = plan.actions.select_related("owner").order_by("code")
    objectives = plan.objectives.prefetch_related(Prefetch("actions", queryset=actions))
    can_change = policy.can(request.user, policy.CHANGE, plan)
    form = ObjectiveForm(posted(request))
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(_("Only the plan's coordinators may change it."))
        if form.is_valid():
            objective, status = run_service(
                form, lambda: action_services.add_objective(request.user, plan, **form.cleaned_data)
            )
            if objective is not None:
                messages.success(request, _("Objective added."))
                return redirect("coordination:plan", key=plan.key)
    return render_form(
        request,
        "coordination/plan_detail.html",
        {
            "plan": plan,
            "objectives": objectives,
            "can_change": can_change,
            "form": form,
            "today": day,
        },
        status,
    )


@page
def action_create(request: HttpRequest, key: str) -> HttpResponse:
    plan = policy.get_visible_or_404(request.user, Plan, key=key)
    require(request.user, policy.CHANGE, plan, _("Only the plan's coordinators may add actions."))
    form = ActionForm(posted(request), actor=request.user, plans=Plan.objects.filter(pk=plan.pk))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        objective = data.pop("objective")
        action, status = run_service(
            form, lambda: action_services.create_action(request.user, objective, **data)
        )
        if action is not None:
            messages.success(request, _("Action %(code)s created.") % {"code": action.code})
            return redirect("coordination:action", pk=action.pk)
    return render_form(
        request, "coordination/action_form.html", {"form": form, "plan": plan}, status
    )


@page
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = policy.get_visible_or_404(request.user, Action, pk=pk)
    require(
        request.user, policy.CHANGE, action, _("Only the plan's coordinators may change actions.")
    )
    initial = {
        name: getattr(action, name)
        for name in (
            "objective",
            "code",
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
        )
    }
    initial["contributors"] = list(action.contributors.all())
    initial["recommendations"] = list(action.recommendations.all())
    form = ActionForm(
        posted(request),
        actor=request.user,
        plans=Plan.objects.filter(pk=action.plan_id),
        initial=initial,
    )
    form.fields["code"].disabled = True
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        data.pop("code")
        contributors, recs = data.pop("contributors"), data.pop("recommendations")
        updated, status = run_service(
            form,
            lambda: action_services.update_action(
                request.user, action, contributors=contributors, recommendations=recs, **data
            ),
        )
        if updated is not None:
            messages.success(request, _("Action saved."))
            return redirect("coordination:action", pk=action.pk)
    return render_form(
        request,
        "coordination/action_form.html",
        {"form": form, "plan": action.plan, "action": action},
        status,
    )


@page
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = policy.get_visible_or_404(
        request.user, Action.objects.select_related("plan", "owner", "objective"), pk=pk
    )
    form = ProgressForm(*posted_files(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        update, status = run_service(
            form, lambda: action_services.report_progress(request.user, action, **form.cleaned_data)
        )
        if update is not None:
            messages.success(request, _("Progress recorded."))
            return redirect("coordination:action", pk=action.pk)
    return render_form(
        request,
        "coordination/action_detail.html",
        {
            "action": action,
            "plan": action.plan,
            "form": form,
            "can_report": policy.can(request.user, PROGRESS, action),
            "can_change": policy.can(request.user, policy.CHANGE, action),
            "overdue": action.is_overdue(today()),
            "updates": action.progress_updates.select_related("author", "organisation")[:200],
            "contributors": action.contributors.all(),
            "recommendations": policy.visible_to(request.user, action.recommendations.all()),
        },
        status,
    )


@page
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    update = policy.get_visible_or_404(request.user, ProgressUpdate, pk=pk)
    if not update.document:
        raise Http404
    return download(update.document, update.document_name or "evidence")


@page
def overdue(request: HttpRequest) -> HttpResponse:
    """Overdue actions the user's organisation owns, and those of plans it coordinates."""
    day = today()
    org = request.user.organisation_id  # type: ignore[union-attr]
    visible = policy.visible_to(request.user, Action).select_related("plan", "owner")
    late = action_services.overdue(visible, day).order_by("due", "pk")
    return render(
        request,
        "coordination/overdue.html",
        {
            "today": day,
            "owned": late.filter(owner_id=org)[:500] if org else [],
            "coordinated": late.filter(plan__coordinator_id=org).exclude(owner_id=org)[:500]
            if org
            else [],
            "all_visible": late[:500] if request.user.role == "node_admin" else [],  # type: ignore[union-attr]
        },
    )


@page
def plan_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    plan = policy.get_visible_or_404(request.user, Plan, key=key)
    if fmt == "xlsx":
        return bytes_response(transfer.export_xlsx(request.user, plan), f"{plan.key}.xlsx", XLSX)
    return bytes_response(
        transfer.export_csv(request.user, plan), f"{plan.key}.csv", "text/csv; charset=utf-8"
    )


@page
def plan_import(request: HttpRequest, key: str) -> HttpResponse:
    plan = policy.get_visible_or_404(request.user, Plan, key=key)
    require(
        request.user, policy.CHANGE, plan, _("Only the plan's coordinators may import into it.")
    )
    form = ImportForm(*posted_files(request))
    status = 200
    errors: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = "xlsx" if upload.name.lower().endswith(".xlsx") else "csv"
        try:
            result = transfer.import_plan(request.user, plan, upload.read(), fmt)
        except Problem as problem:
            errors = problem.errors
            status = problem.status
        else:
            messages.success(
                request,
                _("Imported: %(c)d created, %(u)d updated, %(n)d unchanged, %(o)d new objectives.")
                % {
                    "c": result.created,
                    "u": result.updated,
                    "n": result.unchanged,
                    "o": result.objectives_created,
                },
            )
            return redirect("coordination:plan", key=plan.key)
    return render_form(
        request,
        "coordination/plan_import.html",
        {"form": form, "plan": plan, "errors": errors, "columns": transfer.COLUMNS},
        status,
    )
