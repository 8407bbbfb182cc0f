"""What a recall (or a restricted entity) reaches (LED Art. 7(3)): the sealed envelope, the
files, pending H2 requests, every forwarded copy, and the overdue folder and digest."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory.models import Organisation
from firstline.exchange import attachments, followup
from firstline.exchange.followup import (
    correct_entity,
    decide_forward,
    forward_message,
    recall_message,
)
from firstline.exchange.models import (
    Attachment,
    EntityStatus,
    ForwardRequest,
    ForwardStatus,
    Message,
)
from firstline.exchange.tasks import enqueue_overdue_digests, send_overdue_digest

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
URL = "/api/v1/exchange"


def envelope_of(client: Client, message: Message) -> Any:
    return client.get(f"{URL}/messages/{message.uuid}/envelope")


def download(client: Client, message: Message) -> Any:
    file = Attachment.objects.filter(message=message).get()
    return client.get(f"{URL}/messages/{message.uuid}/attachments/{file.uuid}")


def thread_page(client: Client, message: Message) -> str:
    return client.get(f"/exchange/threads/{message.thread.reference}/").content.decode()


def forwarded(actor: User, message: Message, to: str) -> Message:
    copy = forward_message(actor, message, recipients=[to], now=NOW)
    assert isinstance(copy, Message)
    return copy


@pytest.fixture
def with_file(send: Callable[..., Message], albanian_officer: User) -> Callable[..., Message]:
    def _send(**overrides: object) -> Message:
        stored = attachments.store_upload(
            albanian_officer, io.BytesIO(b"scanned passport"), name="passport.pdf",
            content_type="application/pdf",
        )  # fmt: skip
        return send(attachments=[stored.uuid], now=NOW, **overrides)

    return _send


# --- the envelope and the files ---------------------------------------------------------------


def test_the_envelope_of_a_recalled_message_is_gone_for_recipients_and_kept_by_the_sender(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send(now=NOW)
    recipient, sender = signed_in(serbian_analyst), signed_in(albanian_officer)
    link = f"{URL}/messages/{message.uuid}/envelope"
    assert envelope_of(recipient, message).status_code == 200
    assert link in thread_page(recipient, message)

    recall_message(albanian_officer, message, reason="Wrong person.", now=LATER)

    refused = envelope_of(recipient, message)
    assert refused.status_code == 410
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"field": "message", "reason": "was recalled by its sender"}
    ]
    assert "ciphertext" not in refused.content.decode()
    assert link not in thread_page(recipient, message)
    # the sender keeps its evidence of what it sent (sealed to the recipients, not to it)
    assert envelope_of(sender, message).status_code == 200
    assert link in thread_page(sender, message)


def test_an_envelope_carrying_a_restricted_entity_is_withheld_from_recipients(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    """The envelope is the signed document as sent, all or nothing: it holds the entity."""
    message = send(entities=[{"kind": "vehicle", "registration": "AA 123 BB"}], evaluation=None)
    correct_entity(albanian_officer, message.entities.get(), reason="Unlawfully sent.", now=NOW)
    recipient = signed_in(serbian_analyst)

    refused = envelope_of(recipient, message)
    assert refused.status_code == 410
    assert refused.json()["errors"][0]["field"] == "entities[0]"
    assert f"{URL}/messages/{message.uuid}/envelope" not in thread_page(recipient, message)
    assert recipient.get(f"{URL}/messages/{message.uuid}").json()["body"]  # the rest still reads
    assert envelope_of(signed_in(albanian_officer), message).status_code == 200


def test_the_files_of_a_recalled_message_are_gone_for_recipients(
    with_file: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = with_file()
    assert download(signed_in(serbian_analyst), message).status_code == 200
    recall_message(albanian_officer, message, reason="Wrong person.", now=LATER)

    refused = download(signed_in(serbian_analyst), message)
    assert refused.status_code == 410
    assert refused.json()["errors"][0]["field"] == "message"
    assert "passport.pdf" not in thread_page(signed_in(serbian_analyst), message)
    assert download(signed_in(albanian_officer), message).status_code == 200


# --- H2 permission requests -------------------------------------------------------------------


def test_recall_refuses_pending_h2_requests_and_approving_then_releases_nothing(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(handling="H2", now=NOW)
    ask = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(ask, ForwardRequest)

    recall_message(albanian_officer, original, reason="Unlawfully sent.", now=LATER)
    closed = ForwardRequest.objects.get(pk=ask.pk)
    assert closed.status == ForwardStatus.REFUSED and closed.decided_at == LATER
    assert "recalled" in closed.decision_note
    assert AuditEntry.objects.filter(
        operation=Operation.PERMISSION_CHANGE, object_ids=[str(ask.pk)], at=LATER
    ).exists()

    with pytest.raises(Problem) as exc:  # ``ask`` in hand still says pending
        decide_forward(albanian_officer, ask, approve=True, now=LATER)
    assert exc.value.status == 409 and exc.value.errors[0]["field"] == "message"
    response = signed_in(albanian_officer).post(
        f"{URL}/permission-requests/{ask.pk}/decision",
        json.dumps({"approve": True}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "recalled" in response.json()["errors"][0]["reason"]

    assert not Message.objects.filter(forwarded_from=original).exists()
    assert not Message.objects.visible_to(kumanovo_coordinator).exists()
    assert ForwardRequest.objects.get(pk=ask.pk).forwarded is None


def test_a_request_left_pending_on_a_recalled_message_may_be_refused_but_not_approved(
    send: Callable[..., Message], albanian_officer: User, serbian_analyst: User
) -> None:
    """Requests asked before recall closed them stay open: approval must still be refused."""
    original = send(handling="H2", now=NOW)
    ask = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(ask, ForwardRequest)
    Message.objects.filter(pk=original.pk).update(recalled_at=NOW, recall_reason="earlier")

    with pytest.raises(Problem) as exc:
        decide_forward(albanian_officer, ask, approve=True, now=LATER)
    assert exc.value.errors[0]["field"] == "message"
    assert ForwardRequest.objects.get(pk=ask.pk).status == ForwardStatus.PENDING
    assert decide_forward(albanian_officer, ask, approve=False, now=LATER).status == (
        ForwardStatus.REFUSED
    )
    assert not Message.objects.filter(forwarded_from=original).exists()


# --- forwarded copies -------------------------------------------------------------------------


def test_recall_reaches_every_forwarded_copy_and_their_recipients(
    with_file: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = with_file()  # Albanian police → Serbian ministry
    first = forwarded(serbian_analyst, original, "mk-kumanovo")
    second = forwarded(kumanovo_coordinator, first, "al-asp-ctu")

    recall_message(albanian_officer, original, reason="Wrong person.", now=LATER)

    for message in (original, first, second):
        message.refresh_from_db()
        assert message.recalled_at == LATER
        assert set(message.entities.values_list("status", flat=True)) == {EntityStatus.RESTRICTED}
    # each copy's recipients are told in its thread, by the organisation that forwarded it
    for copy, teller, told in ((first, "rs-moi", "mk-kumanovo"), (second, "mk-kumanovo", "al-asp-ctu")):  # fmt: skip
        notice = Message.objects.get(thread=copy.thread, message_type="notification")
        assert notice.sender.key == teller
        assert [r.organisation.key for r in notice.receipts.all()] == [told]
        assert str(original.uuid) in notice.body and "Wrong person." in notice.body
    recalls = AuditEntry.objects.filter(
        operation=Operation.ALTER, object_type="exchange.message", at=LATER
    )
    assert sorted(e.object_ids[0] for e in recalls) == sorted(
        str(m.uuid) for m in (original, first, second)
    )

    # the forwarder's own copy no longer gives the content back to it, nor to its recipients
    for reader, copy in ((serbian_analyst, first), (kumanovo_coordinator, first), (kumanovo_coordinator, second)):  # fmt: skip
        client = signed_in(reader)
        shown = client.get(f"{URL}/messages/{copy.uuid}").json()
        assert shown["body"] == "" and shown["entities"] == [] and shown["attachments"] == []
        assert envelope_of(client, copy).status_code == 410
        assert download(client, copy).status_code == 410
        assert "Arben" not in thread_page(client, copy)
    recall_form = signed_in(serbian_analyst).get(f"/exchange/messages/{first.uuid}/recall/")
    assert "Arben" not in recall_form.content.decode()
    with pytest.raises(Problem):
        forward_message(kumanovo_coordinator, first, recipients=["al-asp-ctu"], now=LATER)


def test_a_recall_that_fails_for_one_copy_recalls_nothing(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_municipality: Organisation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = send(now=NOW)
    copy = forwarded(serbian_analyst, original, "mk-kumanovo")
    before = AuditEntry.objects.count()
    real = followup._notify

    def failing(actor: Any, message: Message, *args: Any) -> Message:
        if message == copy:
            raise RuntimeError("signing key unavailable")
        return real(actor, message, *args)

    monkeypatch.setattr(followup, "_notify", failing)
    with pytest.raises(RuntimeError):
        recall_message(albanian_officer, original, reason="Wrong person.", now=LATER)
    assert not Message.objects.filter(recalled_at__isnull=False).exists()
    assert not Message.objects.filter(message_type="notification").exists()
    assert AuditEntry.objects.count() == before


def test_a_forwarder_recalling_its_copy_keeps_it_and_leaves_the_original_alone(
    send: Callable[..., Message],
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(now=NOW)
    copy = forwarded(serbian_analyst, original, "mk-kumanovo")
    recall_message(serbian_analyst, copy, reason="Not for the municipality.", now=LATER)
    original.refresh_from_db()
    assert original.recalled_at is None
    assert signed_in(serbian_analyst).get(f"{URL}/messages/{copy.uuid}").json()["body"]
    assert signed_in(kumanovo_coordinator).get(f"{URL}/messages/{copy.uuid}").json()["body"] == ""


def test_correcting_an_entity_reaches_the_forwarded_copies_that_carry_it(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(now=NOW)
    first = forwarded(serbian_analyst, original, "mk-kumanovo")
    second = forwarded(kumanovo_coordinator, first, "al-asp-ctu")

    correct_entity(
        albanian_officer,
        original.entities.get(),
        reason="Date of birth was wrong.",
        correction={"date_of_birth": "1998-04-12"},
        now=LATER,
    )
    for copy, teller in ((first, "rs-moi"), (second, "mk-kumanovo")):
        entity = copy.entities.get()
        assert entity.status == EntityStatus.CORRECTED
        assert entity.data["date_of_birth"] == "1998-04-12"
        assert entity.history[0]["date_of_birth"] == "1998-04-02"
        notice = Message.objects.get(thread=copy.thread, message_type="notification")
        assert notice.sender.key == teller and "corrected" in notice.body
    assert (
        AuditEntry.objects.filter(operation=Operation.ALTER, object_type="exchange.entity").count()
        == 3
    )

    correct_entity(albanian_officer, original.entities.get(), reason="Unlawful.", now=LATER)
    assert second.entities.get().status == EntityStatus.RESTRICTED
    client = signed_in(kumanovo_coordinator)
    assert client.get(f"{URL}/messages/{first.uuid}").json()["entities"] == []
    assert envelope_of(client, first).status_code == 410


def test_a_copy_whose_forwarder_changed_the_entity_is_left_to_the_forwarder(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_municipality: Organisation,
) -> None:
    original = send(now=NOW)
    copy = forwarded(serbian_analyst, original, "mk-kumanovo")
    correct_entity(
        serbian_analyst,
        copy.entities.get(),
        reason="Place of birth completed.",
        correction={"place_of_birth": "Kukës, Albania"},
        now=NOW,
    )
    correct_entity(
        albanian_officer,
        original.entities.get(),
        reason="Date of birth was wrong.",
        correction={"date_of_birth": "1998-04-12"},
        now=LATER,
    )
    kept = copy.entities.get()
    assert kept.data["date_of_birth"] == "1998-04-02"  # other data now, the forwarder's own
    assert kept.data["place_of_birth"] == "Kukës, Albania"


# --- overdue ----------------------------------------------------------------------------------


def test_a_recalled_request_is_overdue_nowhere(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    serbian_analyst.email = "analyst@mup.example"
    serbian_analyst.save()
    late = send(urgency="urgent_direct", now=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    client = signed_in(serbian_analyst)
    assert [m["id"] for m in client.get(f"{URL}/messages?folder=overdue").json()["items"]] == [
        str(late.uuid)
    ]

    recall_message(albanian_officer, late, reason="Sent to the wrong ministry.")

    assert client.get(f"{URL}/messages?folder=overdue").json()["items"] == []
    assert late.thread.reference not in client.get("/exchange/overdue/").content.decode()
    inbox = client.get("/exchange/").content.decode()
    assert late.thread.reference in inbox and "OVERDUE" not in inbox
    listed = client.get(f"{URL}/messages?folder=inbox").json()["items"]
    assert [m["overdue"] for m in listed if m["id"] == str(late.uuid)] == [False]
    read = client.get(f"{URL}/messages/{late.uuid}").json()
    assert read["overdue"] is False and read["receipts"][0]["overdue"] is False
    assert "OVERDUE" not in thread_page(client, late)
    assert enqueue_overdue_digests() == []
    assert send_overdue_digest.call(serbian_analyst.organisation_id, "2026-03-20") == 0
    assert mail.outbox == []
    reply = client.post(
        f"{URL}/messages",
        json.dumps(
            {
                "recipients": [],
                "message_type": "reply",
                "in_reply_to": str(late.uuid),
                "body": "Noted; erased.",
                "tlp": "AMBER",
                "handling": "H0",
                "classification": "RESTRICTED",
            }
        ),
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content  # no late reason asked for
