from django.urls import path

from firstline.exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("sent/", views.sent, name="sent"),
    path("overdue/", views.overdue, name="overdue"),
    path("compose/", views.compose, name="compose"),
    path("threads/<str:reference>/", views.thread, name="thread"),
    path("messages/<uuid:message_id>/reply/", views.reply, name="reply"),
    path("messages/<uuid:message_id>/signature/", views.signature, name="signature"),
    path("messages/<uuid:message_id>/forward/", views.forward, name="forward"),
    path("messages/<uuid:message_id>/recall/", views.recall, name="recall"),
    path("permissions/", views.permissions, name="permissions"),
    path("search/", views.search, name="search"),
]
