from django.urls import path

from firstline.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.csv", views.export, name="export"),
    path("entries/<int:seq>/proof.json", views.entry_proof, name="proof"),
    path("me/", views.my_history, name="me"),
]
