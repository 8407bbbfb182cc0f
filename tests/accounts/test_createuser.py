"""``firstline createuser``: every argument validated, with a clear message."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.directory.models import Organisation


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text("a long and unusual passphrase\n", encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("createuser", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_user_in_an_organisation(
    albanian_police: Organisation, password_file: Path
) -> None:
    output = run(
        "--username",
        "ana",
        "--organisation",
        "al-asp-ctu",
        "--role",
        "analyst",
        "--clearance",
        "RESTRICTED",
        "--email",
        "ana@example.org",
        "--password-file",
        str(password_file),
    )
    user = User.objects.get(username="ana")
    assert (user.organisation, user.role, user.clearance, user.email) == (
        albanian_police,
        Role.ANALYST,
        "RESTRICTED",
        "ana@example.org",
    )
    assert user.check_password("a long and unusual passphrase")
    assert not user.is_staff
    assert "Created ana in al-asp-ctu as analyst" in output
    entry = AuditEntry.objects.get()
    assert (entry.operation, entry.actor_user, entry.outcome) == (
        Operation.PERMISSION_CHANGE,
        "console:createuser",
        "created",
    )


def test_a_node_admin_needs_no_organisation_and_is_staff(db: None, password_file: Path) -> None:
    run("--username", "root-ops", "--role", "node_admin", "--password-file", str(password_file))
    user = User.objects.get(username="root-ops")
    assert user.organisation is None and user.is_staff
    assert user.clearance == "UNCLASSIFIED"  # the lowest unless said otherwise


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss"], "--role: 'boss' is not a role; use one of practitioner"),
        (
            ["--clearance", "SECRET"],
            "--clearance: 'SECRET' is not a classification level; use one of UNCLASSIFIED",
        ),
        (
            ["--organisation", "xx-nowhere"],
            "--organisation: no organisation has the key 'xx-nowhere'",
        ),
        (["--organisation", ""], "--organisation: required for every role but node_admin"),
        (["--email", "not-an-address"], "--email: 'not-an-address' is not an e-mail address"),
        (["--username", "has space"], "--username: Enter a valid username"),
        (["--username", "al-officer"], "--username: already taken"),
    ],
)
def test_it_names_the_bad_argument(
    albanian_officer: User, password_file: Path, args: list[str], message: str
) -> None:
    arguments = {
        "--username": "ana",
        "--organisation": "al-asp-ctu",
        "--role": "analyst",
        "--password-file": str(password_file),
    }
    arguments.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in arguments.items() for item in pair]
    with pytest.raises(CommandError) as raised:
        run(*flat)
    assert message in str(raised.value)
    assert not User.objects.filter(username="ana").exists()


def test_a_node_admin_has_no_organisation(
    albanian_police: Organisation, password_file: Path
) -> None:
    with pytest.raises(CommandError, match="--organisation: a node administrator has none"):
        run(
            "--username",
            "x",
            "--organisation",
            "al-asp-ctu",
            "--role",
            "node_admin",
            "--password-file",
            str(password_file),
        )


def test_it_refuses_a_weak_password(albanian_police: Organisation, tmp_path: Path) -> None:
    weak = tmp_path / "weak"
    weak.write_text("password\n", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run(
            "--username",
            "ana",
            "--organisation",
            "al-asp-ctu",
            "--role",
            "analyst",
            "--password-file",
            str(weak),
        )
    assert "--password: This password is too short" in str(raised.value)


def test_it_explains_a_missing_or_empty_password_file(
    albanian_police: Organisation, tmp_path: Path
) -> None:
    base = ["--username", "ana", "--organisation", "al-asp-ctu", "--role", "analyst"]
    with pytest.raises(CommandError, match="--password-file: cannot read"):
        run(*base, "--password-file", str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="is empty"):
        run(*base, "--password-file", str(tmp_path / "empty"))


def test_without_a_terminal_it_wants_a_password_file(
    albanian_police: Organisation, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", StringIO(""))
    with pytest.raises(CommandError, match="--password-file: required when not run at a terminal"):
        run("--username", "ana", "--organisation", "al-asp-ctu", "--role", "analyst")


def test_at_a_terminal_it_asks_for_the_password_twice(
    albanian_police: Organisation, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    answers = iter(["a long and unusual passphrase", "a long and unusual passphrase"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    run("--username", "ana", "--organisation", "al-asp-ctu", "--role", "analyst")
    assert User.objects.get(username="ana").check_password("a long and unusual passphrase")


def test_two_different_passwords_at_the_terminal_create_nothing(
    albanian_police: Organisation, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    answers = iter(["a long and unusual passphrase", "a different passphrase"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="the two passwords differ"):
        run("--username", "ana", "--organisation", "al-asp-ctu", "--role", "analyst")
    assert not User.objects.filter(username="ana").exists()
