from django.urls import path

from firstline.knowledge import views
from firstline.knowledge.feeds import PublicCatalogueFeed

app_name = "knowledge"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("new/", views.choose_kind, name="choose_kind"),
    path("new/<slug:kind>/", views.item_create, name="create"),
    path("export.pdf", views.export_selection, name="export_selection"),
    path("translations/", views.queue_default, name="queue_default"),
    path("translations/<str:language>/", views.queue, name="queue"),
    path("attachments/<str:key>/", views.attachment_download, name="attachment"),
    path("public/", views.public_list, name="public_list"),
    path("public/feed.atom", PublicCatalogueFeed(), name="public_feed"),
    path("public/<int:pk>/", views.public_detail, name="public_detail"),
    path("public/<int:pk>/export.pdf", views.public_export, name="public_export"),
    path("public/attachments/<str:key>/", views.public_attachment, name="public_attachment"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/edit/", views.item_edit, name="edit"),
    path("<int:pk>/translate/<str:language>/", views.item_translate, name="translate"),
    path("<int:pk>/history/", views.item_history, name="history"),
    path("<int:pk>/diff/", views.item_diff, name="diff"),
    path("<int:pk>/attachments/", views.attachment_add, name="attach"),
    path("<int:pk>/export.pdf", views.export_item, name="export"),
]
