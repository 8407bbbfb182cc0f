"""In a real browser: an organiser sets up a workshop with an agenda, a police officer registers,
the organiser records an agreed recommendation and turns it into an action, the officer reports
progress with evidence, and the country report shows it."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline.accounts.models import User
from firstline.coordination.models import Action, Objective, ProgressUpdate, Registration
from firstline.core import clock

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
# beside it without this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def signed_in_page(browser: Any, live_server: Any, user: User) -> Any:
    """A page whose browser carries a session that passed both sign-in factors."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_from_workshop_to_reported_progress(
    browser: Any,
    live_server: Any,
    organiser: User,
    police_officer: User,
    objective: Objective,
    albanian_police: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    day = (clock.now() + dt.timedelta(days=30)).date().isoformat()

    # the organiser creates a national workshop
    organiser_page = signed_in_page(browser, live_server, organiser)
    organiser_page.goto("/coordination/events/new/")
    organiser_page.get_by_label("Kind").select_option("national_workshop")
    organiser_page.get_by_label("Title:", exact=True).fill("Workshop on returnees")
    organiser_page.get_by_label("Country").select_option(label="Albania")
    organiser_page.get_by_label("Venue").fill("Tirana, Rogner Hotel")
    organiser_page.get_by_label("Start (local time)").fill(f"{day}T09:00")
    organiser_page.get_by_label("End (local time)").fill(f"{day}T17:00")
    organiser_page.get_by_label("Time zone").select_option("Europe/Tirane")
    organiser_page.get_by_label("Capacity").fill("30")
    organiser_page.get_by_role("button", name="Save").click()
    organiser_page.wait_for_url(re.compile(r"/coordination/events/\d+/$"))
    event_url = organiser_page.url
    assert "Workshop on returnees" in organiser_page.locator("h1").inner_text()

    # ...with an agenda: a session, and an item with a guest speaker
    organiser_page.get_by_role("link", name="Add a session").click()
    organiser_page.get_by_label("Title:", exact=True).fill("Returnees and their families")
    organiser_page.get_by_label("Start (local time)").fill(f"{day}T09:30")
    organiser_page.get_by_label("End (local time)").fill(f"{day}T11:00")
    organiser_page.get_by_label("Returnees", exact=True).check()
    organiser_page.get_by_role("button", name="Add session").click()
    organiser_page.wait_for_url(event_url)
    organiser_page.get_by_role("link", name="Add an item").click()
    organiser_page.get_by_label("Title:", exact=True).fill("The Kukës reintegration case")
    organiser_page.get_by_label("Start (local time)").fill(f"{day}T09:30")
    organiser_page.get_by_label("End (local time)").fill(f"{day}T10:15")
    organiser_page.get_by_label("Guest speakers").fill("Ana Rossi | OSCE")
    organiser_page.get_by_role("button", name="Add item").click()
    organiser_page.wait_for_url(event_url)
    agenda = organiser_page.locator("main").inner_text()
    assert "09:30\u201311:00 · Returnees and their families" in agenda
    assert "The Kukës reintegration case" in agenda and "Ana Rossi (OSCE)" in agenda

    # a police officer registers
    officer_page = signed_in_page(browser, live_server, police_officer)
    officer_page.goto(event_url)
    officer_page.get_by_role("link", name="Register").click()
    officer_page.get_by_label("Dietary needs").fill("Vegetarian")
    officer_page.get_by_label("Show my name and organisation on the participant list").check()
    officer_page.get_by_role("button", name="Register").click()
    officer_page.wait_for_url(event_url)
    assert "You are registered" in officer_page.locator(".messages").inner_text()
    assert Registration.objects.get(user=police_officer).dietary_needs == "Vegetarian"

    # the organiser records an agreed recommendation and turns it into an action
    organiser_page.goto(event_url)
    organiser_page.get_by_role("link", name="Record a recommendation").click()
    organiser_page.get_by_label("Recommendation:", exact=True).fill(
        "Assign a community police officer to every returnee family."
    )
    organiser_page.get_by_label("Level").select_option("operational")
    organiser_page.get_by_label("Status").select_option("agreed")
    organiser_page.get_by_role("button", name="Record").click()
    organiser_page.wait_for_url(re.compile(r"/coordination/recommendations/\d+/$"))
    assert organiser_page.locator("#rec-status").inner_text() == "Agreed"
    organiser_page.get_by_role("link", name="Turn into an action").click()
    organiser_page.get_by_label("Objective").select_option(str(objective.pk))
    organiser_page.get_by_label("Code").fill("1.5")
    organiser_page.get_by_label("Owner organisation").select_option(str(albanian_police.pk))
    organiser_page.get_by_label("Due").fill(day)
    organiser_page.get_by_role("button", name="Save").click()
    organiser_page.wait_for_url(re.compile(r"/coordination/actions/\d+/$"))
    action = Action.objects.get(code="1.5")
    assert action.recommendations.get().status == "agreed"

    # the owner reports progress with evidence
    officer_page.goto(f"/coordination/actions/{action.pk}/")
    officer_page.get_by_label("Progress:", exact=True).fill(
        "Officers assigned to 12 families in Kukës and Elbasan."
    )
    officer_page.get_by_label("Evidence link").fill("https://asp.gov.al/returnees")
    officer_page.get_by_label("Evidence document").set_input_files(
        files=[{"name": "assignments.txt", "mimeType": "text/plain", "buffer": b"12 families"}]
    )
    officer_page.get_by_label("Status after this update").select_option("in_progress")
    officer_page.get_by_role("button", name="Report progress").click()
    officer_page.wait_for_url(re.compile(rf"/coordination/actions/{action.pk}/$"))
    assert "Progress recorded." in officer_page.locator(".messages").inner_text()
    assert officer_page.locator("#action-status").inner_text() == "In progress"
    assert ProgressUpdate.objects.get().document_name.endswith(".txt")

    # the country report shows it
    organiser_page.goto("/coordination/reports/countries/al/")
    report = organiser_page.locator("main").inner_text()
    assert "Officers assigned to 12 families in Kukës and Elbasan." in report
    assert "1.5 Assign a community police officer" in report
    figure = organiser_page.locator("#chart-status")
    assert figure.locator("svg title").text_content() == "Actions by status"
    assert "In progress" in figure.locator("table").inner_text()
