"""Pages for organisation administrators: their organisation's API keys and users."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firstline import policy
from firstline.accounts import services
from firstline.accounts.forms import AccessForm, ApiKeyForm
from firstline.accounts.models import ApiKey, User
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core.problems import Problem


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """List the keys the actor manages; create one (its secret is shown once, here)."""
    actor = request.user
    if not policy.can(actor, policy.VIEW, ApiKey):
        raise PermissionDenied
    may_add = policy.can(actor, policy.ADD, ApiKey)
    form = ApiKeyForm(actor, data=request.POST or None) if may_add else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                key, secret = services.create_api_key(
                    actor=actor, request=request, **form.cleaned_data
                )
            except Problem as problem:
                for error in problem.errors:
                    form.add_error(
                        error["field"] if error["field"] in form.fields else None, error["reason"]
                    )
            else:
                return render(
                    request, "accounts/api_key_created.html", {"key": key, "secret": secret}
                )
        status = 400
    keys = policy.visible_to(actor, ApiKey).select_related("organisation")
    return render(request, "accounts/api_keys.html", {"keys": keys, "form": form}, status=status)


@login_required
@require_POST
def revoke_api_key(request: HttpRequest, prefix: str) -> HttpResponse:
    key = policy.get_visible_or_404(request.user, ApiKey, policy.CHANGE, prefix=prefix)
    services.revoke_api_key(actor=request.user, key=key, request=request)
    messages.success(request, _("The key %(prefix)s is revoked.") % {"prefix": key.prefix})
    return redirect("accounts:api_keys")


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """The organisation's users, for its administrator (a node administrator sees all)."""
    actor = request.user
    if not policy.can(actor, policy.CHANGE, User):
        raise PermissionDenied
    with transaction.atomic():
        shown = list(
            policy.visible_to(actor, User, policy.CHANGE)
            .select_related("organisation")
            .order_by("organisation__key", "username")
        )
        # names and e-mail addresses of colleagues are personal data: the consultation is logged
        record(
            actor=actor,
            operation=Operation.CONSULT,
            object_type="accounts.user",
            object_ids=[u.pk for u in shown],
            subjects=list(shown),
            request=request,
        )
    rows = [
        (
            u,
            AccessForm(
                actor, initial={"role": u.role, "clearance": u.clearance}, prefix=f"u{u.pk}"
            ),
        )
        for u in shown
    ]
    return render(request, "accounts/users.html", {"rows": rows})


@login_required
@require_POST
def change_user_access(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = request.user
    user = policy.get_visible_or_404(actor, User, policy.CHANGE, pk=user_id)
    form = AccessForm(actor, data=request.POST, prefix=f"u{user.pk}")
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
        return redirect("accounts:users")
    try:
        services.change_access(actor=actor, user=user, request=request, **form.cleaned_data)
    except Problem as problem:
        messages.error(request, problem.detail)
    else:
        messages.success(
            request, _("Access of %(username)s is changed.") % {"username": user.username}
        )
    return redirect("accounts:users")
