"""Two-factor sign-in is required for every account (demo accounts excepted in demo mode)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

# Paths a signed-in but not yet verified user may reach: the two-factor steps themselves.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/i18n/", "/api/")


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    if settings.DEMO_MODE and getattr(user, "is_demo", False):
        return False
    return not getattr(user, "is_verified", lambda: False)()


class TwoFactorRequiredMiddleware:
    """Sends a password-only session to the TOTP step (or enrolment) before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_second_factor(request) and not request.path.startswith(OPEN_PREFIXES):
            return redirect("accounts:verify")
        return self.get_response(request)
