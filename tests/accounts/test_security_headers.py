"""Cookies, security headers and the Content Security Policy; no inline code in any template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import firstline
from firstline.accounts.models import User

SRC = Path(firstline.__file__).resolve().parent


def directives(csp: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_a_page_carries_the_security_headers(signed_in, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(albanian_officer).get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]  # signed-in pages stay out of caches


def test_the_content_security_policy_allows_no_inline_script(client: Client, db: None) -> None:
    csp = directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["img-src"] == ["'self'", "data:"]  # the enrolment QR code is a data: image
    assert csp["form-action"] == ["'self'"]


def test_the_session_and_csrf_cookies_are_httponly_and_samesite(
    client: Client, albanian_officer: User, password_step
) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/accounts/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Strict"
    response = password_step(client, "al-officer")
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_production_cookies_are_secure(tmp_path: Path, production_secrets: dict[str, str]) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTLINE_")}
    env.update(
        **production_secrets,
        FIRSTLINE_MODE="production",
        FIRSTLINE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="firstline.settings",
    )
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER is not None,"
        " s.PASSWORD_HASHERS[0].endswith('Argon2PasswordHasher'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 6


# --- no inline code in templates --------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.I | re.S)
TAG = re.compile(r"<[a-zA-Z][^<>]*>", re.S)
HANDLER_OR_STYLE = re.compile(r"""[\s"'/}](?P<name>on[a-z]+|style)\s*=""", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)


def inline_code(html: str) -> list[str]:
    """What in ``html`` a CSP without 'unsafe-inline' would block (or that invites it)."""
    found = []
    html = TEMPLATE_COMMENT.sub("", html)  # never rendered
    for match in INLINE_SCRIPT.finditer(html):
        if match["body"].strip():
            found.append(f"inline <script> body: {match['body'].strip()[:60]!r}")
        elif "src=" not in match["attrs"]:
            found.append("<script> without src")
    for tag in TAG.finditer(html):
        for attr in HANDLER_OR_STYLE.finditer(tag.group()):
            found.append(f"{attr['name']}= attribute in {tag.group()[:80]!r}")
    if STYLE_ELEMENT.search(html):
        found.append("<style> element")
    if JS_URL.search(html):
        found.append("javascript: URL")
    return found


@pytest.mark.parametrize(
    "bad",
    [
        "<script>alert(1)</script>",
        '<script type="module">\n import x from "y";\n</script>',
        '<button onclick="go()">',
        '<div class="x" style="color: red">',
        "<body onload='x()'>",
        "<img src=x onerror=alert(1)>",
        "<style>p { color: red }</style>",
        '<a href="javascript:void(0)">',
        '<p {% if x %}style="display:none"{% endif %}>',
    ],
)
def test_the_scanner_catches_inline_code(bad: str) -> None:
    assert inline_code(bad), bad


def test_the_scanner_accepts_external_scripts_and_look_alikes() -> None:
    ok = (
        "{# no <style> here #}{% comment %}<script>x()</script>{% endcomment %}"
        "<script src=\"{% static 'firstline/site.js' %}\" defer></script>"
        '<select data-autosubmit name="online">'
        '<p class="stylesheet">one=1</p>'
    )
    assert inline_code(ok) == []


def test_no_template_in_src_has_inline_script_handlers_or_styles() -> None:
    # *_pdf.html templates are rendered by WeasyPrint into PDF files and never served to a
    # browser, so the Content Security Policy does not apply to them (they may carry <style>).
    templates = sorted(
        p for p in SRC.rglob("templates/**/*.html") if not p.name.endswith("_pdf.html")
    )
    assert len(templates) > 5  # the scan finds the templates at all
    offences = {
        str(path.relative_to(SRC)): found
        for path in templates
        if (found := inline_code(path.read_text(encoding="utf-8")))
    }
    assert offences == {}
