from django.urls import path

from firstline.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.organisations, name="organisations"),
    path("organisations/<slug:key>/", views.organisation, name="organisation"),
    path("networks/", views.networks, name="networks"),
    path("networks/<slug:key>/", views.network, name="network"),
    path("countries/", views.countries, name="countries"),
    path("countries/<str:code>/map/", views.country_map, name="country_map"),
]
