"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

- ``browser_page``: a fresh page (its own cookies) whose relative URLs go to the live server,
  which listens on 127.0.0.1 with a transactional test database and serves static files.
  The test fails if the page raised a JavaScript error or the Content Security Policy blocked
  something: both are bugs a user would meet.
- ``sign_in(page, user)``: signs in through the real forms, password then a current TOTP code.

We never run ``playwright install``: Chromium comes from Debian (``apt-get install chromium``).
Without /usr/bin/chromium these tests skip, except in CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path(os.environ.get("FIRSTLINE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TIMEOUT_MS = 20_000  # generous: the machine's two cores are shared
TEST_PASSWORD = "correct horse battery staple"  # what tests/conftest.py's make_user sets


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ is a browser test (so ``-m browser`` selects them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, on 127.0.0.1 only (its default is ``localhost``)."""
    server = LiveServer(request.config.getvalue("liveserver") or "127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched once per test module."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium"
        if IN_CI:
            pytest.fail(f"browser tests must run in CI, but {reason}")
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the dev extra is not installed
        if IN_CI:
            pytest.fail(f"browser tests must run in CI, but Playwright is missing: {exc}")
        pytest.skip(f"Playwright is missing: {exc}")

    # Playwright's sync API keeps an event loop in this thread; Django would then refuse the
    # test's own database calls as "async unsafe". They are not async, so allow them, for the
    # life of this module only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    """A new page in its own browser context, relative URLs on the live server."""
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)


def current_totp(user: Any) -> str:
    """The code the user's authenticator app shows now, from their confirmed TOTP device."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """Sign ``user`` in on ``page`` through the forms: password, then a current TOTP code."""
    import re

    def _sign_in(page: Any, user: Any, password: str = TEST_PASSWORD) -> None:
        page.goto("/accounts/login/")
        main = page.get_by_role("main")
        main.get_by_label("Username").fill(user.username)
        main.get_by_label("Password").fill(password)
        main.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/accounts/verify/"))
        main.get_by_label(re.compile("Code from your authenticator app")).fill(current_totp(user))
        main.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()
        page.wait_for_url(lambda url: "/accounts/" not in url)

    return _sign_in
