"""System check: the log key loads (``firstline check --deploy`` and every start-up)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register


@register("audit")
def log_key_loads(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from firstline.audit import keys

    try:
        keys.private_key()
    except (ValueError, OSError) as exc:
        return [
            Error(
                f"The audit log key cannot be used: {exc}",
                hint="Set FIRSTLINE_LOG_KEY or FIRSTLINE_LOG_KEY_FILE to an Ed25519 PEM key "
                "(openssl genpkey -algorithm ed25519).",
                id="audit.E001",
            )
        ]
    return []
