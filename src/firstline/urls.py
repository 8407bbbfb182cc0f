from django.contrib import admin
from django.urls import include, path

from firstline.api import api

urlpatterns = [
    path("", include("firstline.core.urls")),
    path("accounts/", include("firstline.accounts.urls")),
    path("directory/", include("firstline.directory.urls")),
    path("audit/", include("firstline.audit.urls")),
    path("exchange/", include("firstline.exchange.urls")),
    path("coordination/", include("firstline.coordination.urls")),
    path("knowledge/", include("firstline.knowledge.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
