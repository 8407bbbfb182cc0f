"""Settings refuse to start outside demo mode without their secrets, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def firstline_check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """``python -m firstline.cli check`` in a clean environment holding only ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTLINE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(FIRSTLINE_VAR_DIR=str(tmp_path / "var"), **variables)
    return subprocess.run(
        [sys.executable, "-m", "firstline.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("missing", ["FIRSTLINE_MASTER_KEY", "FIRSTLINE_LOG_KEY"])
def test_production_without_a_node_key_stops_and_names_it(
    tmp_path: Path, production_secrets: dict[str, str], missing: str
) -> None:
    variables = {k: v for k, v in production_secrets.items() if k != missing}
    result = firstline_check(tmp_path, FIRSTLINE_MODE="production", **variables)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_a_secret_key_stops_and_names_it(tmp_path: Path) -> None:
    result = firstline_check(
        tmp_path, FIRSTLINE_MODE="production", FIRSTLINE_ALLOWED_HOSTS="node.example.org"
    )
    assert result.returncode != 0
    assert "FIRSTLINE_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_allowed_hosts_stops_and_names_it(tmp_path: Path) -> None:
    result = firstline_check(tmp_path, FIRSTLINE_MODE="production", FIRSTLINE_SECRET_KEY="k" * 50)
    assert result.returncode != 0
    assert "FIRSTLINE_ALLOWED_HOSTS" in result.stderr
    assert "FIRSTLINE_SECRET_KEY" not in result.stderr


def test_the_mode_defaults_to_production(tmp_path: Path) -> None:
    result = firstline_check(tmp_path)
    assert result.returncode != 0
    assert "FIRSTLINE_SECRET_KEY" in result.stderr


def test_the_secret_key_may_come_from_a_file(
    tmp_path: Path, production_secrets: dict[str, str]
) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("f" * 50 + "\n", encoding="utf-8")
    result = firstline_check(
        tmp_path,
        FIRSTLINE_MODE="production",
        FIRSTLINE_SECRET_KEY_FILE=str(secret),
        FIRSTLINE_ALLOWED_HOSTS="node.example.org",
        FIRSTLINE_MASTER_KEY=production_secrets["FIRSTLINE_MASTER_KEY"],
        FIRSTLINE_LOG_KEY=production_secrets["FIRSTLINE_LOG_KEY"],
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_an_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    result = firstline_check(
        tmp_path,
        FIRSTLINE_MODE="production",
        FIRSTLINE_SECRET_KEY_FILE=str(tmp_path / "missing"),
        FIRSTLINE_ALLOWED_HOSTS="node.example.org",
    )
    assert result.returncode != 0
    assert "FIRSTLINE_SECRET_KEY_FILE" in result.stderr


def test_demo_mode_starts_without_secrets(tmp_path: Path) -> None:
    result = firstline_check(tmp_path, FIRSTLINE_MODE="demo")
    assert result.returncode == 0, result.stderr
    # the generated secret is kept under var/, private to the node's user
    secret = tmp_path / "var" / ".secret_key"
    assert secret.exists() and (secret.stat().st_mode & 0o077) == 0
