"""Accounts in the admin site (node administrators only; see ``accounts.admin_site``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from firstline.accounts import services
from firstline.accounts.admin_site import PolicyAdminMixin
from firstline.accounts.models import ApiKey, LoginThrottle, User
from firstline.audit.log import record
from firstline.audit.models import Operation


@admin.register(User)
class UserAdmin(PolicyAdminMixin, BaseUserAdmin):
    list_display = ("username", "organisation", "role", "clearance", "is_active")
    list_filter = ("role", "clearance", "is_active")
    # No is_superuser, groups or permissions: the policy decides, not Django's permission tables.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "language")}),
        (
            _("Access"),
            {"fields": ("organisation", "role", "clearance", "is_active", "is_staff", "is_demo")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Every change of access is audited, in the admin's own transaction."""
        before = None
        if change:
            stored = User.objects.get(pk=obj.pk)
            before = {f: getattr(stored, f) for f in services.ACCESS_FIELDS}
        super().save_model(request, obj, form, change)
        services.record_access_change(actor=request.user, user=obj, before=before, request=request)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                record(
                    actor=request.user,
                    operation=Operation.KEY_CHANGE,
                    object_type="accounts.password",
                    object_ids=[id],
                    subjects=[f"user:{id}"],
                    request=request,
                    outcome="password_set_by_administrator",
                )
        return response


@admin.register(ApiKey)
class ApiKeyAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Read-only: keys are created by organisation administrators; here they can be revoked."""

    list_display = (
        "name",
        "prefix",
        "organisation",
        "role",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("organisation",)
    readonly_fields = (
        "organisation",
        "name",
        "prefix",
        "role",
        "clearance",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("secret_hash",)
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            services.revoke_api_key(actor=request.user, key=key, request=request)
        messages.success(request, _("Keys revoked."))


@admin.register(LoginThrottle)
class LoginThrottleAdmin(PolicyAdminMixin, admin.ModelAdmin):
    """Lockouts in force; deleting one lifts it."""

    list_display = ("kind", "key", "failures", "last_failure_at", "locked_until")
    list_filter = ("kind",)
    readonly_fields = ("kind", "key", "failures", "last_failure_at", "locked_until")
