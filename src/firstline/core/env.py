"""Typed readers for the environment: the only place settings come from.

Every setting of First Line is a ``FIRSTLINE_*`` environment variable. Secrets may instead be
read from a file named by ``FIRSTLINE_<NAME>_FILE`` (Docker/systemd credentials style), so they
never need to appear in a process listing or a shell history.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

PREFIX = "FIRSTLINE_"


class MissingSetting(Exception):
    """A required setting is absent; the message names the variable to set."""


def _raw(name: str) -> str | None:
    key = PREFIX + name
    value = os.environ.get(key)
    if value is not None:
        return value
    file_name = os.environ.get(key + "_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingSetting(
                f"{key}_FILE names {file_name!r}, which cannot be read: {exc}"
            ) from exc
    return None


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_required(name: str, reason: str) -> str:
    value = _raw(name)
    if not value:
        raise MissingSetting(
            f"Set {PREFIX}{name} (or {PREFIX}{name}_FILE pointing to a file holding it): {reason}"
        )
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise MissingSetting(f"{PREFIX}{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise MissingSetting(f"{PREFIX}{name} must be a whole number, not {value!r}") from None


def env_time(name: str, default: str) -> str:
    """A time of day, HH:MM (24 hours), checked at startup; returned as written."""
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        dt.time.fromisoformat(value.strip())
    except ValueError:
        raise MissingSetting(
            f"{PREFIX}{name} must be a time of day like 07:00, not {value!r}"
        ) from None
    return value.strip()


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]
