"""In Chromium: sign in with a password and a real TOTP code; no page breaks the CSP."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import User

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="Debian's chromium is not installed"
    ),
]


@contextmanager
def chromium() -> Iterator[tuple[Any, list[str]]]:
    """A phone-sized page and the console messages it logs.

    No database access inside: Playwright's sync API runs the test in a greenlet with its own
    context, where the ORM would open a second connection that nothing closes.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 400, "height": 800})
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        try:
            yield page, console
        finally:
            browser.close()


def csp_violations(console: list[str]) -> list[str]:
    return [line for line in console if "Content Security Policy" in line]


def test_a_person_signs_in_with_password_and_totp_in_chromium(
    live_server, albanian_officer: User, totp_code
) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.get(user=albanian_officer)
    with chromium() as (page, console):
        page.goto(live_server.url + "/directory/")
        page.get_by_label("Username").fill("al-officer")
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/accounts/verify/**")

        page.get_by_label("Code from your authenticator app, or a recovery code").fill(
            totp_code(device)
        )
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(live_server.url + "/directory/")
        assert page.get_by_role("link", name="My account").is_visible()
        assert csp_violations(console) == []


def test_enrolment_shows_the_qr_code_within_the_csp(live_server, albanian_officer: User) -> None:  # type: ignore[no-untyped-def]
    TOTPDevice.objects.filter(user=albanian_officer).delete()
    with chromium() as (page, console):
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill("al-officer")
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/accounts/enrol/**")
        qr = page.get_by_role("img", name="QR code holding the secret key shown below")
        assert qr.evaluate("img => img.complete && img.naturalWidth > 100")

        # type the key shown on the page into "the app", as a person would
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        page.get_by_label("The 6-digit code your app shows now").fill(f"{totp(key):06d}")
        page.get_by_role("button", name="Confirm").click()
        assert page.get_by_role("heading", name="Your recovery codes").is_visible()
        assert page.locator(".recovery-codes li").count() == 10
        assert csp_violations(console) == []
    assert TOTPDevice.objects.get(user=albanian_officer).confirmed
