"""In Chromium: sign in with a password and a real TOTP code; no page breaks the CSP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
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


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[str]]]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's guard against ORM use inside a loop is lifted for it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 400, "height": 800})
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        yield page, console
        browser.close()


def test_a_person_signs_in_with_password_and_totp_in_chromium(
    live_server, albanian_officer: User, browser_page, totp_code
) -> None:  # type: ignore[no-untyped-def]
    page, console = browser_page
    page.goto(live_server.url + "/directory/")
    page.get_by_label("Username").fill("al-officer")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/verify/**")

    code = totp_code(TOTPDevice.objects.get(user=albanian_officer))
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(live_server.url + "/directory/")
    assert page.get_by_role("link", name="My account").is_visible()
    assert not [line for line in console if "Content Security Policy" in line]


def test_enrolment_shows_the_qr_code_within_the_csp(
    live_server, albanian_officer: User, browser_page, totp_code
) -> None:  # type: ignore[no-untyped-def]
    TOTPDevice.objects.filter(user=albanian_officer).delete()
    page, console = browser_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("al-officer")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/enrol/**")
    qr = page.get_by_role("img", name="QR code holding the secret key shown below")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")

    code = totp_code(TOTPDevice.objects.get(user=albanian_officer, confirmed=False))
    page.get_by_label("The 6-digit code your app shows now").fill(code)
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    assert page.locator(".recovery-codes li").count() == 10
    assert not [line for line in console if "Content Security Policy" in line]
