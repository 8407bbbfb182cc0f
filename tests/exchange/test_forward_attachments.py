"""Forwarding carries the files: the new recipients download them, under the same markings."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory.models import Organisation
from firstline.exchange import attachments, envelope
from firstline.exchange.followup import decide_forward, forward_message
from firstline.exchange.models import (
    Attachment,
    ForwardRequest,
    ForwardStatus,
    Message,
    OrganisationKey,
)

from .conftest import add_user

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
CONTENT = os.urandom(attachments.CHUNK + 4321)  # two chunks


@pytest.fixture
def with_file(send: Callable[..., Message], albanian_officer: User) -> Callable[..., Message]:
    """A message from the Albanian police to the Serbian ministry with one file."""

    def _send(**overrides: object) -> Message:
        stored = attachments.store_upload(
            albanian_officer, io.BytesIO(CONTENT), name="photos.zip", content_type="application/zip"
        )
        return send(attachments=[stored.uuid], now=NOW, **overrides)

    return _send


def download(client: Client, message: Message) -> tuple[int, bytes]:
    """The first file of ``message`` as ``client`` gets it: (status, bytes)."""
    files = list(Attachment.objects.filter(message=message))
    assert files, "the message carries no file"
    response = client.get(f"/api/v1/exchange/messages/{message.uuid}/attachments/{files[0].uuid}")
    if response.status_code != 200:
        return response.status_code, b""
    return 200, b"".join(response.streaming_content)  # type: ignore[attr-defined]


def disclosures_of_files() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(operation=Operation.DISCLOSE, object_type="exchange.attachment")
    )


def test_a_forwarded_message_carries_its_files(
    with_file: Callable[..., Message],
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = with_file()
    forwarded = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(forwarded, Message)

    file = forwarded.attachments.get()
    source = original.attachments.get()
    assert (file.name, file.size, file.sha256) == (source.name, source.size, source.sha256)
    assert file.source == source and file.organisation.key == "rs-moi"
    assert file.path == source.path  # passed on, not copied: one ciphertext on disk
    stored = list(Path(settings.MEDIA_ROOT).rglob("*.bin"))
    assert len(stored) == 1

    assert download(signed_in(kumanovo_coordinator), forwarded) == (200, CONTENT)
    assert download(signed_in(serbian_analyst), original) == (200, CONTENT)  # still there

    # the forwarded message's signed document names the file and its digest
    document = envelope.open_envelope(
        forwarded.envelope,
        OrganisationKey.objects.get(organisation__key="mk-kumanovo", use="enc"),
        OrganisationKey.objects.get(kid=forwarded.signing_kid),
    )
    assert document["attachments"] == [
        {
            "id": str(file.uuid),
            "name": "photos.zip",
            "content_type": "application/zip",
            "size": len(CONTENT),
            "sha256": hashlib.sha256(CONTENT).hexdigest(),
        }
    ]
    # the disclosure of the files names the new recipient; the download is a consultation
    (disclosed,) = disclosures_of_files()
    assert disclosed.recipients == ["mk-kumanovo"]
    assert str(file.uuid) in disclosed.object_ids
    downloads = AuditEntry.objects.filter(
        operation=Operation.CONSULT, object_type="exchange.attachment"
    )
    # the file, then the message it was read with
    assert [str(file.uuid), f"message:{forwarded.uuid}"] in [e.object_ids for e in downloads]
    assert forwarded.receipts.get().organisation.key == "mk-kumanovo"


def test_a_forward_of_a_forward_still_reads_the_first_file(
    with_file: Callable[..., Message],
    serbian_analyst: User,
    kumanovo_coordinator: User,
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = with_file()
    first = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(first, Message)
    second = forward_message(kumanovo_coordinator, first, recipients=["al-asp-ctu"], now=NOW)
    assert isinstance(second, Message)
    assert second.attachments.get().source == original.attachments.get()
    assert download(signed_in(albanian_officer), second) == (200, CONTENT)


def test_h2_approval_releases_the_files_and_refusal_releases_nothing(
    with_file: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    refused = forward_message(
        serbian_analyst, with_file(handling="H2"), recipients=["mk-kumanovo"], now=NOW
    )
    approved = forward_message(
        serbian_analyst, with_file(handling="H2"), recipients=["mk-kumanovo"], now=NOW
    )
    assert isinstance(refused, ForwardRequest) and isinstance(approved, ForwardRequest)
    assert Attachment.objects.count() == 2  # asking passes nothing on
    assert download(signed_in(kumanovo_coordinator), refused.message)[0] == 404

    decide_forward(albanian_officer, refused, approve=False, now=NOW)
    assert Attachment.objects.count() == 2
    assert disclosures_of_files() == []
    assert not Message.objects.visible_to(kumanovo_coordinator).exists()

    decided = decide_forward(albanian_officer, approved, approve=True, now=NOW)
    assert decided.status == ForwardStatus.APPROVED and decided.forwarded is not None
    assert download(signed_in(kumanovo_coordinator), decided.forwarded) == (200, CONTENT)
    assert download(signed_in(kumanovo_coordinator), refused.message)[0] == 404
    (disclosed,) = disclosures_of_files()
    assert disclosed.recipients == ["mk-kumanovo"]
    assert Attachment.objects.filter(message=decided.forwarded).get().organisation.key == "rs-moi"


def test_a_recipient_not_cleared_for_the_marking_cannot_download(
    with_file: Callable[..., Message],
    serbian_analyst: User,
    kumanovo_coordinator: User,
    kumanovo_municipality: Organisation,
    signed_in: Callable[[User], Client],
) -> None:
    clerk = add_user(kumanovo_municipality, "mk-clerk", clearance="UNCLASSIFIED")
    forwarded = forward_message(serbian_analyst, with_file(), recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(forwarded, Message) and forwarded.classification == "RESTRICTED"
    consulted = AuditEntry.objects.filter(operation=Operation.CONSULT).count()
    assert download(signed_in(clerk), forwarded)[0] == 404
    assert AuditEntry.objects.filter(operation=Operation.CONSULT).count() == consulted
    assert download(signed_in(kumanovo_coordinator), forwarded) == (200, CONTENT)


def test_a_failed_forward_leaves_no_file_behind(
    with_file: Callable[..., Message], serbian_analyst: User
) -> None:
    original = with_file()
    with pytest.raises(Problem) as exc:
        forward_message(serbian_analyst, original, recipients=["xx-nobody"], now=NOW)
    assert exc.value.errors[0]["field"] == "recipients[0]"
    assert Attachment.objects.count() == 1
    assert Message.objects.count() == 1
    assert disclosures_of_files() == []


def test_an_unsent_forward_row_is_discarded_without_its_source(
    with_file: Callable[..., Message], serbian_analyst: User
) -> None:
    original = with_file()
    (copy,) = attachments.forward_copies(serbian_analyst, original, NOW)
    attachments.discard(copy)
    source = original.attachments.get()
    assert (Path(settings.MEDIA_ROOT) / source.path).exists()
    assert b"".join(attachments.read_plaintext(source)) == CONTENT
