"""API authentication: an organisation API key (``Authorization: Bearer``) or the browser
session (with CSRF) once it has passed the second factor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from firstline.accounts import apikeys
from firstline.accounts.middleware import needs_second_factor


class ApiKeyAuth(HttpBearer):
    """An organisation's key; the request acts as an ``ApiKeyActor``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return apikeys.authenticate(token)


class VerifiedSessionAuth(SessionAuth):
    """A signed-in session that has passed the second factor."""

    def __call__(self, request: HttpRequest) -> Any:
        # A request presenting a key is judged by the key alone: a revoked key must get 401,
        # not fall back to a cookie, nor fail the session's CSRF check with 403.
        if "Authorization" in request.headers:
            return None
        # No session cookie, nothing to check (and no CSRF to enforce).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or needs_second_factor(request):
            return None
        return user


api_auth: list[Any] = [ApiKeyAuth(), VerifiedSessionAuth()]
