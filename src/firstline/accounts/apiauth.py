"""API authentication: the browser session (with CSRF) or an organisation API key."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import SessionAuth

from firstline.accounts.middleware import needs_second_factor


class VerifiedSessionAuth(SessionAuth):
    """A signed-in session that has passed the second factor."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or needs_second_factor(request):
            return None
        return user


api_auth: list[Any] = [VerifiedSessionAuth()]
