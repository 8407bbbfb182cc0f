from django.contrib.auth import views as auth_views
from django.urls import path

from firstline.accounts import views, views_organisation

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("me/", views.account, name="account"),
    path("me/profile/", views.profile, name="profile"),
    path("me/password/", views.password, name="password"),
    path("me/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("me/authenticator/", views.replace_authenticator, name="replace_authenticator"),
    path("keys/", views_organisation.api_keys, name="api_keys"),
    path("keys/<str:prefix>/revoke/", views_organisation.revoke_api_key, name="revoke_api_key"),
    path("users/", views_organisation.users, name="users"),
    path(
        "users/<int:user_id>/access/",
        views_organisation.change_user_access,
        name="change_user_access",
    ),
]
