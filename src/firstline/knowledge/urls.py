from django.urls import path

app_name = "knowledge"
urlpatterns = [path("", lambda r: None, name="list")]
