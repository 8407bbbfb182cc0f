from django.urls import path

from firstline.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.organisations, name="organisations"),
    path("add-organisation/", views.organisation_add, name="organisation_add"),
    path("organisations/<slug:key>/", views.organisation, name="organisation"),
    path("organisations/<slug:key>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<slug:key>/units/add/", views.unit_add, name="unit_add"),
    path(
        "organisations/<slug:key>/units/<slug:unit_key>/edit/",
        views.unit_edit,
        name="unit_edit",
    ),
    path(
        "organisations/<slug:key>/units/<slug:unit_key>/delete/",
        views.unit_delete,
        name="unit_delete",
    ),
    path("organisations/<slug:key>/people/add/", views.person_add, name="person_add"),
    path(
        "organisations/<slug:key>/people/<slug:person_key>/edit/",
        views.person_edit,
        name="person_edit",
    ),
    path(
        "organisations/<slug:key>/people/<slug:person_key>/delete/",
        views.person_delete,
        name="person_delete",
    ),
    path("networks/", views.networks, name="networks"),
    path("networks/<slug:key>/", views.network, name="network"),
    path("countries/", views.countries, name="countries"),
    path("countries/<str:code>/map/", views.country_map, name="country_map"),
]
