"""Sign-in (password, then TOTP), sign-out and the user's own account page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_otp import login as otp_login
from django_otp.forms import OTPTokenForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: a TOTP code from the user's device."""
    form = OTPTokenForm(request.user, request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, request.user.otp_device)  # type: ignore[union-attr]
        return redirect(request.GET.get("next") or "core:dashboard")
    return render(request, "accounts/verify.html", {"form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {})
