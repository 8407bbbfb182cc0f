"""In a real browser: compose a request with a person, the recipient reads it and replies in time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.exchange.models import Message, Receipt

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium"),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop; the ORM in the test thread is still synchronous
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield instance
        instance.close()


def _page_as(browser: Any, client: Client, base_url: str) -> Any:
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    return context.new_page()


@pytest.mark.django_db(transaction=True)
def test_request_read_and_answered_in_the_browser(
    browser: Any,
    live_server: Any,
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    sender = _page_as(browser, signed_in(albanian_officer), live_server.url)
    sender.goto(f"{live_server.url}/exchange/compose/")
    sender.select_option("#id_recipients", ["rs-moi"])
    sender.select_option("#id_message_type", "request")
    sender.select_option("#id_urgency", "other")
    sender.fill("#id_subject", "Travel of a person at risk")
    sender.fill("#id_body", "Did this person enter Serbia in March?")
    sender.select_option("#id_evaluation_source", "B")
    sender.select_option("#id_evaluation_information", "2")
    sender.click("button[name=add_person]")
    sender.fill("#id_person-0-names", "Arben Krasniqi")
    sender.select_option("#id_person-0-category", "person_at_risk")
    sender.fill("#id_person-0-purpose", "prevention of radicalisation")
    sender.fill("#id_person-0-legal_basis", "Law 108/2014, Art. 4")
    sender.fill("#id_person-0-review_date", "2027-01-31")
    sender.fill("#id_person-0-retention_end", "2030-01-31")
    sender.click("button[name=send]")
    sender.wait_for_url("**/exchange/threads/**")
    message = Message.objects.get()
    assert message.entities.get().label == "Arben Krasniqi"

    reader = _page_as(browser, signed_in(serbian_analyst), live_server.url)
    reader.goto(f"{live_server.url}/exchange/")
    reader.click(f"text={message.thread.reference}")
    assert reader.is_visible("text=Arben Krasniqi")
    reader.click("text=Reply")
    reader.fill("#id_body", "He entered on 3 March at Preševo.")
    reader.click("button[name=send]")
    reader.wait_for_url("**/exchange/threads/**")

    receipt = Receipt.objects.get(message=message)
    assert receipt.read_at is not None and receipt.replied_at is not None
    assert receipt.replied_at < receipt.due_at  # type: ignore[operator]
    sender.goto(f"{live_server.url}/exchange/threads/{message.thread.reference}/")
    table = sender.inner_text("table")
    assert "Ministry of Interior of Serbia" in table
    assert "—" not in table.splitlines()[-1]  # delivered, read and replied all filled in
