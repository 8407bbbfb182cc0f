"""Attachments: streamed and encrypted at rest, bound to the signed message, checked on download."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.exchange import attachments
from firstline.exchange.models import Attachment, Message

from .test_pages import compose_data

CONTENT = os.urandom(attachments.CHUNK * 2 + 12345)  # three chunks, the last one short


def upload(client: Client, content: bytes, name: str = "report.pdf") -> object:
    return client.post(
        f"/api/v1/exchange/attachments?name={name}", data=content, content_type="application/pdf"
    )


def stored_path(attachment: Attachment) -> Path:
    return Path(settings.MEDIA_ROOT) / attachment.path


def test_upload_send_and_download(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    response = upload(signed_in(albanian_officer), CONTENT)
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["size"] == len(CONTENT)
    assert body["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    attachment = Attachment.objects.get()
    on_disk = stored_path(attachment).read_bytes()
    assert CONTENT[:64] not in on_disk
    assert len(on_disk) == len(CONTENT) + 3 * attachments.TAG

    message = send(attachments=[body["id"]])
    from firstline.exchange import envelope
    from firstline.exchange.models import OrganisationKey

    document = envelope.open_envelope(
        message.envelope,
        OrganisationKey.objects.get(organisation__key="rs-moi", use="enc"),
        OrganisationKey.objects.get(kid=message.signing_kid),
    )
    assert document["attachments"][0]["sha256"] == body["sha256"]

    url = f"/api/v1/exchange/messages/{message.uuid}/attachments/{body['id']}"
    download = signed_in(serbian_analyst).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == CONTENT  # type: ignore[attr-defined]
    assert download["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(
        operation=Operation.CONSULT, object_type="exchange.attachment"
    ).exists()
    assert signed_in(kumanovo_coordinator).get(url).status_code == 404
    detail = signed_in(serbian_analyst).get(f"/api/v1/exchange/messages/{message.uuid}").json()
    assert detail["attachments"][0]["name"] == "report.pdf"


def test_an_empty_file_round_trips(albanian_officer: User) -> None:
    stored = attachments.store_upload(albanian_officer, io.BytesIO(b""), name="empty.txt")
    assert b"".join(attachments.read_plaintext(stored)) == b""


@pytest.mark.parametrize("damage", ["flip", "truncate", "swap"])
def test_a_tampered_file_fails_on_download(albanian_officer: User, damage: str) -> None:
    stored = attachments.store_upload(albanian_officer, io.BytesIO(CONTENT), name="a.bin")
    path = stored_path(stored)
    data = bytearray(path.read_bytes())
    sealed = attachments.CHUNK + attachments.TAG
    if damage == "flip":
        data[100] ^= 1
    elif damage == "truncate":
        data = data[: 2 * sealed]  # the last chunk dropped: the new last was not sealed as last
    else:
        data = data[sealed : 2 * sealed] + data[:sealed] + data[2 * sealed :]
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidTag):
        b"".join(attachments.read_plaintext(stored))


def test_a_forbidden_type_is_refused_before_reading(
    albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    response = upload(signed_in(albanian_officer), b"MZ", name="tool.exe")
    assert response.status_code == 415  # type: ignore[attr-defined]
    assert response.json()["errors"][0]["field"] == "name"  # type: ignore[attr-defined]
    assert Attachment.objects.count() == 0


def test_a_declared_size_over_the_limit_is_refused(
    albanian_officer: User, signed_in: Callable[[User], Client], settings: object
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000  # type: ignore[attr-defined]
    response = upload(signed_in(albanian_officer), b"x" * 1001)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["errors"][0]["field"] == "size"  # type: ignore[attr-defined]


def test_an_undeclared_stream_over_the_limit_stops_and_leaves_nothing(
    albanian_officer: User, settings: object
) -> None:
    settings.ATTACHMENT_MAX_BYTES = attachments.CHUNK + 10  # type: ignore[attr-defined]
    with pytest.raises(Problem) as exc:
        attachments.store_upload(albanian_officer, io.BytesIO(CONTENT), name="big.bin")
    assert exc.value.status == 413
    assert Attachment.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)  # type: ignore[attr-defined]
    assert not any(p.is_file() for p in media.rglob("*"))


def test_only_the_uploading_organisation_can_send_its_file(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    theirs = attachments.store_upload(serbian_analyst, io.BytesIO(b"x"), name="x.txt")
    with pytest.raises(Problem) as exc:
        send(attachments=[theirs.uuid])
    assert exc.value.errors[0]["field"] == "attachments[0]"
    with pytest.raises(Problem):
        send(attachments=["not-a-uuid"])


def test_a_file_is_sent_once(send: Callable[..., Message], albanian_officer: User) -> None:
    mine = attachments.store_upload(albanian_officer, io.BytesIO(b"x"), name="x.txt")
    send(attachments=[mine.uuid])
    with pytest.raises(Problem):
        send(attachments=[mine.uuid])


def test_compose_page_attaches_a_file(
    albanian_officer: User,
    serbian_ministry: object,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    data = compose_data(attachment=SimpleUploadedFile("notes.txt", b"meeting notes", "text/plain"))
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.attachments.get().name == "notes.txt"
    page = (
        signed_in(serbian_analyst)
        .get(f"/exchange/threads/{message.thread.reference}/")
        .content.decode()
    )
    assert "notes.txt" in page


def test_compose_page_refuses_a_forbidden_file_and_keeps_nothing(
    albanian_officer: User, serbian_ministry: object, signed_in: Callable[[User], Client]
) -> None:
    data = compose_data(attachment=SimpleUploadedFile("run.bat", b"echo", "text/plain"))
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert response.status_code == 200
    assert "attachment" in response.context["form"].errors
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0


def test_unsent_uploads_are_purged_after_a_day(
    send: Callable[..., Message], albanian_officer: User
) -> None:
    import datetime as dt

    from firstline.exchange.tasks import purge_unsent_uploads

    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    unsent = attachments.store_upload(albanian_officer, io.BytesIO(b"x"), name="x.txt", now=old)
    sent = attachments.store_upload(albanian_officer, io.BytesIO(b"y"), name="y.txt", now=old)
    send(attachments=[sent.uuid])
    assert purge_unsent_uploads.call() == 1
    assert list(Attachment.objects.all()) == [sent]
    assert not stored_path(unsent).exists() and stored_path(sent).exists()


def test_the_api_sends_an_uploaded_file_with_a_message(
    albanian_officer: User, serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    import json

    from .conftest import message_fields

    client = signed_in(albanian_officer)
    uploaded = upload(client, b"%PDF-1.7 minutes").json()  # type: ignore[attr-defined]
    response = client.post(
        "/api/v1/exchange/messages",
        json.dumps({**message_fields(), "attachments": [uploaded["id"]]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert [a["id"] for a in response.json()["attachments"]] == [uploaded["id"]]
    message = Message.objects.get()
    url = f"/api/v1/exchange/messages/{message.uuid}/attachments/{uploaded['id']}"
    download = signed_in(serbian_analyst).get(url)
    assert b"".join(download.streaming_content) == b"%PDF-1.7 minutes"  # type: ignore[attr-defined]
    refused = client.post(
        "/api/v1/exchange/messages",
        json.dumps({**message_fields(), "attachments": [uploaded["id"]]}),
        content_type="application/json",
    )
    assert refused.status_code == 422  # sent once only
    assert refused.json()["errors"][0]["field"] == "attachments[0]"


@pytest.mark.parametrize(
    "size", [1, attachments.CHUNK - 1, attachments.CHUNK, attachments.CHUNK * 2 + 1]
)
def test_pieces_of_any_size_make_the_same_file(albanian_officer: User, size: int) -> None:
    content = os.urandom(size)
    sealer = attachments.Sealer(albanian_officer, name="pieces.bin")
    for start in range(0, size, 7777):  # neither a divisor nor a multiple of the chunk size
        sealer.write(content[start : start + 7777])
    stored = sealer.finish()
    chunks = max(1, -(-size // attachments.CHUNK))
    assert stored_path(stored).stat().st_size == size + chunks * attachments.TAG
    assert b"".join(attachments.read_plaintext(stored)) == content
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


def test_the_compose_page_encrypts_the_file_as_it_arrives(
    albanian_officer: User,
    serbian_ministry: object,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
    settings: object,
) -> None:
    # Django's own handlers would write this file, in clear, to a temporary file
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # type: ignore[attr-defined]
    data = compose_data(attachment=SimpleUploadedFile("scan.pdf", CONTENT, "application/pdf"))
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert response.status_code == 302
    received = response.wsgi_request.FILES["attachment"]  # type: ignore[attr-defined]
    assert isinstance(received, attachments.SealedFile)  # not a TemporaryUploadedFile
    message = Message.objects.get()
    url = f"/api/v1/exchange/messages/{message.uuid}/attachments/{message.attachments.get().uuid}"
    download = signed_in(serbian_analyst).get(url)
    assert b"".join(download.streaming_content) == CONTENT  # type: ignore[attr-defined]


def test_the_compose_page_stops_a_file_over_the_limit_and_keeps_nothing(
    albanian_officer: User,
    serbian_ministry: object,
    signed_in: Callable[[User], Client],
    settings: object,
) -> None:
    settings.ATTACHMENT_MAX_BYTES = attachments.CHUNK  # type: ignore[attr-defined]
    data = compose_data(attachment=SimpleUploadedFile("big.pdf", CONTENT, "application/pdf"))
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert response.status_code == 200
    assert "larger than the limit" in str(response.context["form"].errors["attachment"])
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)  # type: ignore[attr-defined]
    assert not any(p.is_file() for p in media.rglob("*"))


def test_a_compose_page_that_fails_keeps_no_file(
    albanian_officer: User, serbian_ministry: object, signed_in: Callable[[User], Client]
) -> None:
    data = compose_data(
        body="", attachment=SimpleUploadedFile("notes.txt", b"meeting notes", "text/plain")
    )
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert response.status_code == 200
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not any(p.is_file() for p in media.rglob("*"))


def test_the_compose_page_still_checks_csrf(
    albanian_officer: User, serbian_ministry: object, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(albanian_officer)
    client.handler.enforce_csrf_checks = True  # type: ignore[attr-defined]
    data = compose_data(attachment=SimpleUploadedFile("notes.txt", b"meeting notes", "text/plain"))
    response = client.post("/exchange/compose/", data)
    assert response.status_code == 403
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0
