"""Template context every page needs: node name, demo banner, languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def node(request: HttpRequest) -> dict[str, Any]:
    return {
        "NODE_NAME": settings.NODE_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
    }
