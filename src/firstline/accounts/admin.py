from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from firstline.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "organisation", "role", "clearance", "is_active")
    list_filter = ("role", "clearance", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("First Line", {"fields": ("organisation", "role", "clearance", "language", "is_demo")}),
    )
