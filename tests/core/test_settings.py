"""Settings come from FIRSTLINE_* variables (or *_FILE files) and fail fast, naming the variable."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import firstline.settings
from firstline.core.env import (
    MissingSetting,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
)

# --- the typed helpers ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on", " On "])
def test_env_bool_reads_true(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("FIRSTLINE_FLAG", raw)
    assert env_bool("FLAG") is True


@pytest.mark.parametrize("raw", ["0", "false", "no", "off", "OFF"])
def test_env_bool_reads_false(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("FIRSTLINE_FLAG", raw)
    assert env_bool("FLAG", True) is False


def test_env_bool_falls_back_to_the_default_when_unset_or_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FIRSTLINE_FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FIRSTLINE_FLAG", "")
    assert env_bool("FLAG", True) is True


def test_env_bool_rejects_anything_else_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIRSTLINE_FLAG", "maybe")
    with pytest.raises(MissingSetting, match="FIRSTLINE_FLAG must be true or false, not 'maybe'"):
        env_bool("FLAG")


def test_env_int_reads_a_whole_number_or_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIRSTLINE_COUNT", "42")
    assert env_int("COUNT", 1) == 42
    monkeypatch.setenv("FIRSTLINE_COUNT", "4.2")
    with pytest.raises(MissingSetting, match="FIRSTLINE_COUNT must be a whole number"):
        env_int("COUNT", 1)
    monkeypatch.delenv("FIRSTLINE_COUNT")
    assert env_int("COUNT", 7) == 7


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRSTLINE_HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("FIRSTLINE_HOSTS", "  ")
    assert env_list("HOSTS", ["fallback"]) == ["fallback"]


def test_env_str_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIRSTLINE_NAME", raising=False)
    assert env_str("NAME", "default") == "default"


def test_a_secret_may_come_from_a_file_named_by_the_file_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.delenv("FIRSTLINE_SECRET", raising=False)
    monkeypatch.setenv("FIRSTLINE_SECRET_FILE", str(secret))
    assert env_required("SECRET", "it signs") == "from-the-file"  # trailing newline stripped


def test_the_variable_itself_wins_over_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from-the-file", encoding="utf-8")
    monkeypatch.setenv("FIRSTLINE_SECRET", "from-the-variable")
    monkeypatch.setenv("FIRSTLINE_SECRET_FILE", str(secret))
    assert env_str("SECRET") == "from-the-variable"


def test_an_unreadable_secret_file_stops_start_up_naming_the_file_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FIRSTLINE_SECRET", raising=False)
    monkeypatch.setenv("FIRSTLINE_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(MissingSetting, match=r"FIRSTLINE_SECRET_FILE names .*absent"):
        env_str("SECRET")


def test_a_missing_required_value_names_the_variable_and_its_file_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FIRSTLINE_SECRET", raising=False)
    monkeypatch.delenv("FIRSTLINE_SECRET_FILE", raising=False)
    with pytest.raises(MissingSetting) as raised:
        env_required("SECRET", "it signs sessions")
    assert "Set FIRSTLINE_SECRET (or FIRSTLINE_SECRET_FILE" in str(raised.value)
    assert "it signs sessions" in str(raised.value)


# --- the settings module, loaded afresh under a given environment ------------------------------


@pytest.fixture
def load_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Any:  # a callable: (**FIRSTLINE_* without the prefix) -> the settings namespace
    def _load(**variables: str) -> dict[str, Any]:
        for key in list(os.environ):
            if key.startswith("FIRSTLINE_"):
                monkeypatch.delenv(key)
        monkeypatch.setenv("FIRSTLINE_VAR_DIR", str(tmp_path / "var"))
        for name, value in variables.items():
            monkeypatch.setenv(f"FIRSTLINE_{name}", value)
        return runpy.run_path(firstline.settings.__file__)

    return _load


def test_production_refuses_to_start_without_a_secret_key(load_settings: Any) -> None:
    with pytest.raises(MissingSetting, match="Set FIRSTLINE_SECRET_KEY"):
        load_settings(ALLOWED_HOSTS="node.example")


def test_production_refuses_to_start_without_allowed_hosts(load_settings: Any) -> None:
    with pytest.raises(MissingSetting, match="Set FIRSTLINE_ALLOWED_HOSTS"):
        load_settings(SECRET_KEY="s" * 50)


def test_production_is_the_default_mode_and_takes_its_secrets_from_files(
    load_settings: Any, tmp_path: Path, production_secrets: dict[str, str]
) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 50, encoding="utf-8")
    master_file = tmp_path / "master_key"
    master_file.write_text("m" * 43, encoding="utf-8")
    log_key_file = tmp_path / "log_key.pem"
    log_key_file.write_text(production_secrets["FIRSTLINE_LOG_KEY"], encoding="utf-8")
    loaded = load_settings(
        SECRET_KEY_FILE=str(key_file),
        ALLOWED_HOSTS="node.example",
        MASTER_KEY_FILE=str(master_file),
        LOG_KEY_FILE=str(log_key_file),
    )
    assert loaded["MODE"] == "production"
    assert loaded["SECRET_KEY"] == "k" * 50
    assert loaded["ALLOWED_HOSTS"] == ["node.example"]
    assert loaded["MASTER_KEY"] == "m" * 43
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["WHITENOISE_USE_FINDERS"] is False


def test_an_unknown_mode_is_refused(load_settings: Any) -> None:
    with pytest.raises(MissingSetting, match="FIRSTLINE_MODE must be"):
        load_settings(MODE="staging")


def test_demo_mode_generates_a_local_secret_once_and_keeps_it(
    load_settings: Any, tmp_path: Path
) -> None:
    first = load_settings(MODE="demo")["SECRET_KEY"]
    assert (tmp_path / "var" / ".secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(MODE="demo")["SECRET_KEY"] == first
    assert len(first) >= 50


def test_the_database_is_sqlite_under_var_unless_a_url_is_given(
    load_settings: Any, tmp_path: Path
) -> None:
    sqlite = load_settings(MODE="development")["DATABASES"]["default"]
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == str(tmp_path / "var" / "firstline.sqlite3")
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    postgres = load_settings(
        MODE="development", DATABASE_URL="postgres://firstline@db.example:5432/firstline"
    )["DATABASES"]["default"]
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["HOST"], postgres["NAME"]) == ("db.example", "firstline")


def test_serve_reads_its_address_and_worker_count(load_settings: Any) -> None:
    loaded = load_settings(MODE="development", BIND="unix:/run/fl.sock", WEB_WORKERS="5")
    assert (loaded["BIND"], loaded["WEB_WORKERS"]) == ("unix:/run/fl.sock", 5)


def test_the_command_line_stops_with_the_variable_to_set(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIRSTLINE_")}
    env["FIRSTLINE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "firstline.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("firstline: cannot start: Set FIRSTLINE_SECRET_KEY")
