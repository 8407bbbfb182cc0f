from django.urls import path

from firstline.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.organisations, name="organisations"),
    path("organisations/<slug:key>/", views.organisation, name="organisation"),
    path("networks/", views.networks, name="networks"),
]
