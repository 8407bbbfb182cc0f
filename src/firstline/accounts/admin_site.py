"""The Django admin behind the one policy door.

Only a node administrator who is also staff, signed in with both factors, reaches /admin/.
Every model registered on the site (by any domain, or by a third-party app such as django-otp)
is wrapped in ``PolicyAdminMixin``: its lists come from ``policy.visible_to`` and every
view/add/change/delete permission from ``policy.can``, so Django's own permission tables and
``is_superuser`` decide nothing, and a model without a policy rule shows nothing.

The admin reads records like any other page, so it logs them like any other page: every list,
record, history and delete-confirmation screen writes one CONSULT entry naming the records it
shows (and the people they are about), in the transaction that read them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from firstline import policy
from firstline.accounts.middleware import needs_second_factor
from firstline.audit.reads import consulted


def may_use_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and getattr(user, "role", None) == "node_admin"
        and not needs_second_factor(request)
    )


class PolicyAdminMixin:
    """Routes a ModelAdmin's querysets and permissions through ``firstline.policy``."""

    model: type[Model]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return policy.visible_to(request.user, qs, policy.VIEW)

    def _can(self, request: HttpRequest, action: str, obj: Model | None) -> bool:
        return policy.can(request.user, action, obj if obj is not None else self.model)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can(request, policy.VIEW, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._can(request, policy.ADD, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can(request, policy.CHANGE, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._can(request, policy.DELETE, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    # -- every screen that shows records logs them ------------------------------------------
    def _logged(self, request: HttpRequest, show: Callable[[], Any], *names: str) -> Any:
        """Run an admin view and log the records its page shows (``names`` in its context)."""
        with transaction.atomic():
            response = show()
            context = getattr(response, "context_data", None) or {}
            shown: list[Model] = []
            for name in names:
                value = context.get(name)
                if name == "cl" and value is not None:
                    shown.extend(value.result_list)  # evaluated once; the page reuses it
                elif isinstance(value, Model):
                    shown.append(value)
            if request.method == "GET":
                consulted(request, shown, object_type=self.model._meta.label_lower)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        show = super().changelist_view  # type: ignore[misc]
        return self._logged(request, lambda: show(request, extra_context), "cl")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        show = super().change_view  # type: ignore[misc]
        return self._logged(
            request, lambda: show(request, object_id, form_url, extra_context), "original"
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        show = super().history_view  # type: ignore[misc]
        return self._logged(request, lambda: show(request, object_id, extra_context), "object")

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        show = super().delete_view  # type: ignore[misc]
        return self._logged(request, lambda: show(request, object_id, extra_context), "object")


class FirstLineAdminSite(admin.AdminSite):
    site_header = "First Line administration"
    site_title = "First Line"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Refuse a signed-in, verified person who is not a node administrator with 403 at once,
        rather than sending them round the admin's login page."""
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if (
                request.user.is_authenticated
                and not needs_second_factor(request)
                and not self.has_permission(request)
                and request.path != reverse("admin:logout", current_app=self.name)
            ):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return guarded

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The admin has no sign-in of its own: it would bypass the lockout and the second
        factor. Anyone signed in who is not a node administrator is refused."""
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(
            request.GET.get("next", reverse("admin:index")), reverse("accounts:login")
        )

    def password_change(  # type: ignore[override]  # a redirect, not a TemplateResponse
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """One place to change one's password (audited): the account page."""
        return redirect("accounts:account")

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, PolicyAdminMixin):
            base = type(f"Policy{base.__name__}", (PolicyAdminMixin, base), {})
        super().register(model_or_iterable, base, **options)
