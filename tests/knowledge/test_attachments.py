"""Attachments: stored under MEDIA_ROOT, checked for size and type, read like their item."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from firstline.accounts.models import User
from firstline.knowledge.models import Attachment, Item

PDF = b"%PDF-1.4\n%minimal\n"


def test_an_attachment_is_stored_and_read_like_its_item(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
) -> None:
    item = write_item(albanian_officer, tlp="AMBER", scope="organisation")
    client = signed_in(albanian_officer)
    response = client.post(
        f"/api/v1/knowledge/items/{item.pk}/attachments",
        {"file": SimpleUploadedFile("../../evil/report.pdf", PDF, content_type="text/html")},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["content_type"], body["size"]) == (
        "report.pdf",
        "application/pdf",
        len(PDF),
    )
    stored = Attachment.objects.get()
    assert Path(stored.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    download = client.get(body["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert signed_in(kumanovo_coordinator).get(body["url"]).status_code == 404
    assert (
        signed_in(kumanovo_coordinator).get(f"/knowledge/attachments/{stored.key}/").status_code
        == 404
    )


def test_a_file_of_the_wrong_type_or_too_large_is_refused(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    write_item: Callable[..., Item],
    settings: object,
) -> None:
    item = write_item(albanian_officer)
    client = signed_in(albanian_officer)
    url = f"/api/v1/knowledge/items/{item.pk}/attachments"
    cases = [
        (SimpleUploadedFile("tool.exe", b"MZ\x90\x00"), 400, "type .exe is not accepted"),
        (SimpleUploadedFile("fake.pdf", b"<html>"), 400, "the content is not a .pdf file"),
        (SimpleUploadedFile("empty.txt", b""), 400, "the file is empty"),
    ]
    for upload, status, reason in cases:
        response = client.post(url, {"file": upload})
        assert response.status_code == status
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == ["file"] and errors[0]["reason"].startswith(reason)
    settings.KNOWLEDGE_ATTACHMENT_MAX_BYTES = 10  # type: ignore[attr-defined]
    response = client.post(url, {"file": SimpleUploadedFile("big.pdf", PDF)})
    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_only_the_owner_organisation_attaches_files(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
) -> None:
    item = write_item(albanian_officer)
    response = signed_in(kumanovo_coordinator).post(
        f"/api/v1/knowledge/items/{item.pk}/attachments", {"file": SimpleUploadedFile("r.pdf", PDF)}
    )
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_the_detail_page_lists_and_accepts_attachments(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer, tlp="CLEAR")
    client = signed_in(albanian_officer)
    client.post(
        f"/knowledge/{item.pk}/attachments/",
        {"file": SimpleUploadedFile("notes.txt", "Škola\n".encode())},
    )
    attachment = Attachment.objects.get()
    assert (
        f"/knowledge/attachments/{attachment.key}/"
        in client.get(f"/knowledge/{item.pk}/").content.decode()
    )
    public = Client().get(f"/knowledge/public/attachments/{attachment.key}/")
    assert public.status_code == 200
