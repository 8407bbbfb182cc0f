"""Messages carrying special categories of personal data (LED Art. 10) are sensitive reads.

The thread page asks for a justification (a reason from the node's list, and free text) before
it shows them; the API asks for it in the ``X-Justification-Reason`` and ``X-Justification``
headers (428 problem+json listing the reasons without them) on every endpoint that hands out
the content: the message, its thread, its files and its envelope. The consultation entry of
the read carries the justification. Other messages read as before.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.exchange import attachments
from firstline.exchange.models import Message, Receipt

from .conftest import person

REASON = "Threat or risk assessment"
WHY = {"justification_reason": REASON, "justification_text": "Case 2026/17, care plan"}
HEADERS = {
    "HTTP_X_JUSTIFICATION_REASON": REASON,
    "HTTP_X_JUSTIFICATION": "Case%202026%2F17%2C%20care%20plan",
}
JUSTIFICATION = f"{REASON}: Case 2026/17, care plan"
HEALTH = person(special_categories=["health"], special_justification="Needed for the care plan.")


@pytest.fixture
def sensitive(send: Callable[..., Message], albanian_officer: User) -> Message:
    """A message about a person with a health condition, with a file."""
    upload = attachments.store_upload(
        albanian_officer, io.BytesIO(b"medical notes"), name="notes.txt"
    )
    return send(entities=[HEALTH], attachments=[upload.uuid])


def consultations() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation=Operation.CONSULT).order_by("seq"))


def api_paths(message: Message) -> dict[str, str]:
    file = message.attachments.get()
    base = f"/api/v1/exchange/messages/{message.uuid}"
    return {
        "message": base,
        "thread": f"/api/v1/exchange/threads/{message.thread.reference}",
        "file": f"{base}/attachments/{file.uuid}",
        "envelope": f"{base}/envelope",
    }


def test_the_thread_page_asks_why_before_showing_special_categories(
    sensitive: Message, serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(serbian_analyst)
    url = f"/exchange/threads/{sensitive.thread.reference}/"
    form = client.get(url)
    assert form.status_code == 200
    assert "Justification required" in form.content.decode()
    assert REASON in form.content.decode()
    assert "Arben Krasniqi" not in form.content.decode()
    assert consultations() == []
    assert Receipt.objects.get(message=sensitive).read_at is None  # not read yet

    refused = client.post(url, {"justification_reason": REASON, "justification_text": ""})
    assert refused.status_code == 400
    assert "Arben Krasniqi" not in refused.content.decode()
    assert consultations() == []

    accepted = client.post(url, WHY)
    assert (accepted.status_code, accepted["Location"]) == (302, url)
    page = client.get(url)
    assert "Arben Krasniqi" in page.content.decode()
    (entry,) = consultations()
    assert entry.justification == JUSTIFICATION
    assert entry.actor_user == f"user:{serbian_analyst.pk}"
    assert entry.object_ids == [str(sensitive.uuid)]
    assert entry.subjects == [f"entity:{sensitive.entities.get().pk}"]
    assert Receipt.objects.get(message=sensitive).read_at is not None


def test_the_page_s_links_open_with_the_justification_given_on_the_page(
    sensitive: Message, serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    """The browser follows the file link of the thread page without headers: the session's
    justification for the thread covers it, and goes into the download's entry."""
    client = signed_in(serbian_analyst)
    client.post(f"/exchange/threads/{sensitive.thread.reference}/", WHY)
    download = client.get(api_paths(sensitive)["file"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"medical notes"  # type: ignore[attr-defined]
    entry = consultations()[-1]
    assert entry.object_type == "exchange.attachment"
    assert entry.justification == JUSTIFICATION


@pytest.mark.parametrize("endpoint", ["message", "thread", "file", "envelope"])
def test_the_api_needs_the_justification_headers(
    endpoint: str,
    sensitive: Message,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(serbian_analyst)
    path = api_paths(sensitive)[endpoint]
    missing = client.get(path)
    assert missing.status_code == 428
    assert missing["Content-Type"] == "application/problem+json"
    problem = missing.json()
    assert REASON in problem["detail"] and "Case work on this person" in problem["detail"]
    assert {e["field"] for e in problem["errors"]} == {"X-Justification-Reason", "X-Justification"}
    assert "Krasniqi" not in missing.content.decode()
    assert consultations() == []

    unknown = client.get(path, HTTP_X_JUSTIFICATION_REASON="curiosity", HTTP_X_JUSTIFICATION="x")
    assert unknown.status_code == 400
    assert consultations() == []

    shown = client.get(path, **HEADERS)
    assert shown.status_code == 200
    if hasattr(shown, "streaming_content"):
        b"".join(shown.streaming_content)
    (entry,) = consultations()
    assert entry.justification == JUSTIFICATION
    assert entry.actor_user == f"user:{serbian_analyst.pk}"
    assert f"entity:{sensitive.entities.get().pk}" in entry.subjects


def test_messages_without_special_categories_read_as_before(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    upload = attachments.store_upload(albanian_officer, io.BytesIO(b"notes"), name="notes.txt")
    message = send(attachments=[upload.uuid])
    client = signed_in(serbian_analyst)
    page = client.get(f"/exchange/threads/{message.thread.reference}/")
    assert "Arben Krasniqi" in page.content.decode()
    paths = api_paths(message)
    responses: dict[str, Any] = {name: client.get(path) for name, path in paths.items()}
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(paths, 200)
    # the page, the message, the thread and the file are consultations; the envelope (sealed
    # to the recipients' keys) is not logged
    kinds = [(e.object_type, e.justification) for e in consultations()]
    assert kinds == [
        ("exchange.message", "read in the exchange"),
        ("exchange.message", "read in the exchange"),
        ("exchange.message", "read in the exchange"),
        ("exchange.attachment", ""),
    ]


def test_a_download_names_the_people_of_its_message_and_only_the_reason_as_justification(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    upload = attachments.store_upload(albanian_officer, io.BytesIO(b"notes"), name="notes.txt")
    message = send(
        attachments=[upload.uuid],
        entities=[person(), {"kind": "vehicle", "registration": "AA123BB"}],
    )
    signed_in(serbian_analyst).get(api_paths(message)["file"])
    (entry,) = consultations()
    people = message.entities.filter(kind="person")
    assert entry.subjects == [f"entity:{e.pk}" for e in people]
    assert entry.object_ids == [str(upload.uuid), f"message:{message.uuid}"]
    assert entry.justification == ""
