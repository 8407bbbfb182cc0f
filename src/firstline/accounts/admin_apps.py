"""The app config that replaces ``django.contrib.admin`` in INSTALLED_APPS.

A module of its own: ``accounts.apps`` must declare only the accounts app config.
"""

from django.contrib.admin.apps import AdminConfig


class FirstLineAdminConfig(AdminConfig):
    """Django's admin, with a site that asks the policy door (see ``accounts.admin_site``)."""

    default_site = "firstline.accounts.admin_site.FirstLineAdminSite"
