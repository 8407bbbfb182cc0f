"""Two-factor sign-in is required for every account (demo accounts excepted in demo mode)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a signed-in but not yet verified user may reach: the sign-in steps themselves, and
# what needs no account. The API authenticates for itself (a verified session or a key).
# The account page is NOT here: a password alone must not change a password or a device.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/verify/",
    "/accounts/enrol/",
    "/static/",
    "/healthz",
    "/readyz",
    "/i18n/",
    "/api/",
)


def needs_second_factor(request: HttpRequest) -> bool:
    """Signed in with a password but not yet with a second factor."""
    user = request.user
    if not user.is_authenticated:
        return False
    if settings.DEMO_MODE and getattr(user, "is_demo", False):
        return False
    return not getattr(user, "is_verified", lambda: False)()


class TwoFactorRequiredMiddleware:
    """Sends a password-only session to the code step, or to enrolment if the account has no
    second factor yet, before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_second_factor(request) and not request.path.startswith(OPEN_PREFIXES):
            from firstline.accounts.services import has_second_factor

            step = "accounts:verify" if has_second_factor(request.user) else "accounts:enrol"  # type: ignore[arg-type]
            target = reverse(step)
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)
