"""PDF export of an item or a selection, with its marking, under the reader's visibility."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.test import Client
from pypdf import PdfReader

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry
from firstline.knowledge.models import Item


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_item_exports_with_its_text_and_marking(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(
        albanian_officer,
        language="sr",
        title="Школа и заједница",
        fields={"description": "Наставници и родитељи заједно.", "aims": "Ђаци без страха."},
        tlp="AMBER",
        scope="national",
        classification="RESTRICTED",
    )
    response = signed_in(albanian_officer).get(f"/knowledge/{item.pk}/export.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "Школа и заједница" in text
    assert "Ђаци без страха." in text
    assert "TLP:AMBER" in text and "RESTRICTED" in text


def test_a_selection_exports_every_item_once(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    first = write_item(albanian_officer, title="Shkolla dhe komuniteti")
    second = write_item(albanian_officer, title="Training first-line practitioners")
    client = signed_in(albanian_officer)
    response = client.get(f"/knowledge/export.pdf?ids={first.pk}&ids={second.pk}")
    text = _text(response.content)
    assert "Shkolla dhe komuniteti" in text and "Training first-line practitioners" in text
    api = client.get(f"/api/v1/knowledge/export.pdf?ids={first.pk}&ids={second.pk}")
    assert api.status_code == 200 and len(PdfReader(io.BytesIO(api.content)).pages) == 2


def test_a_selection_with_an_invisible_item_exports_nothing(
    signed_in: Callable[[User], Client],
    albanian_officer: User,
    kumanovo_coordinator: User,
    write_item: Callable[..., Item],
) -> None:
    public = write_item(albanian_officer, title="Public practice")
    internal = write_item(
        albanian_officer, title="Internal practice", tlp="AMBER", scope="organisation"
    )
    client = signed_in(kumanovo_coordinator)
    assert (
        client.get(f"/api/v1/knowledge/export.pdf?ids={public.pk}&ids={internal.pk}").status_code
        == 404
    )
    assert client.get(f"/api/v1/knowledge/items/{internal.pk}/export.pdf").status_code == 404
    assert client.get(f"/knowledge/export.pdf?ids={public.pk}&ids={internal.pk}").status_code == 404
    assert client.get(f"/knowledge/{public.pk}/export.pdf").status_code == 200


def test_exporting_a_restricted_item_is_audited(
    signed_in: Callable[[User], Client], albanian_officer: User, write_item: Callable[..., Item]
) -> None:
    item = write_item(albanian_officer, title="Red lesson", tlp="RED", scope="organisation")
    before = AuditEntry.objects.filter(operation="export").count()
    signed_in(albanian_officer).get(f"/knowledge/{item.pk}/export.pdf")
    entry = AuditEntry.objects.filter(operation="export").latest("seq")
    assert AuditEntry.objects.filter(operation="export").count() == before + 1
    assert entry.object_ids == [str(item.pk)] and entry.actor_user == f"user:{albanian_officer.pk}"


def test_an_empty_or_oversized_selection_is_refused(
    signed_in: Callable[[User], Client], albanian_officer: User
) -> None:
    client = signed_in(albanian_officer)
    too_many = "&".join(f"ids={n}" for n in range(1, 102))
    response = client.get(f"/api/v1/knowledge/export.pdf?{too_many}")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "ids"
    assert client.get("/api/v1/knowledge/export.pdf").status_code == 422


def test_an_api_key_exports_only_with_the_knowledge_export_scope(
    albanian_org_admin: User, write_item: Callable[..., Item]
) -> None:
    from firstline.accounts.apikeys import available_scopes
    from firstline.accounts.services import create_api_key

    assert "knowledge.export" in available_scopes()
    assert "directory.export" not in available_scopes()  # only the domain that has it
    item = write_item(albanian_org_admin, title="Shkolla dhe komuniteti")
    path = f"/api/v1/knowledge/items/{item.pk}/export.pdf"
    for scopes, status in (
        (["knowledge.view"], 404),
        (["knowledge.view", "knowledge.export"], 200),
    ):
        _, secret = create_api_key(
            actor=albanian_org_admin,
            name=f"library system {len(scopes)}",
            role="analyst",
            clearance="RESTRICTED",
            scopes=scopes,
        )
        response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert response.status_code == status, scopes
    assert "Shkolla dhe komuniteti" in _text(response.content)
