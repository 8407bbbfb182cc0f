"""Attachments: streamed to disk encrypted, never held whole in memory.

Each file gets a random AES-256 key, itself sealed under the node master key. The plaintext is
cut into chunks of ``CHUNK`` bytes; chunk *i* is sealed with AES-256-GCM under the nonce
``prefix(8) || i(4)`` and the associated data ``uuid || i || last-flag``, so chunks cannot be
reordered, dropped or the file truncated without the tag check failing on download. The
SHA-256 of the plaintext is computed while streaming and signed with the message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction

from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange import keys
from firstline.exchange.models import Attachment, Message

CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


TAG = 16


def check_declared(name: str, size: int | None) -> None:
    """Refuse a forbidden type or a too-large size as soon as they are known (before reading)."""
    name = Path(name or "").name
    if not name:
        raise Problem.field("name", "the file needs a name", status=422)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext in settings.ATTACHMENT_FORBIDDEN_EXTENSIONS:
        raise Problem.field("name", f"files of type .{ext} are not accepted", status=415)
    if size is not None and size > settings.ATTACHMENT_MAX_BYTES:
        raise _too_large()


def _too_large() -> Problem:
    return Problem.field(
        "size", f"larger than the limit of {settings.ATTACHMENT_MAX_BYTES} bytes", status=413
    )


def _aad(file_id: uuid.UUID, index: int, last: bool) -> bytes:
    return file_id.bytes + struct.pack(">I?", index, last)


def _storage_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def store_upload(
    actor: Any,
    stream: Readable,
    *,
    name: str,
    content_type: str = "application/octet-stream",
    declared_size: int | None = None,
    now: dt.datetime | None = None,
) -> Attachment:
    """Encrypt ``stream`` to disk chunk by chunk and record the attachment (not yet sent)."""
    at = now or clock.now()
    org = getattr(actor, "organisation_id", None)
    if not org:
        raise Problem.field("organisation", "only members of an organisation upload", status=403)
    check_declared(name, declared_size)
    file_id = uuid.uuid4()
    file_key = AESGCM.generate_key(bit_length=256)
    aead = AESGCM(file_key)
    prefix = os.urandom(8)
    relative = f"exchange/{file_id.hex[:2]}/{file_id.hex}.bin"
    path = _storage_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    index = 0
    try:
        with path.open("wb") as out:
            # read one chunk ahead: the last chunk is sealed with the last-flag set
            current = stream.read(CHUNK)
            while True:
                following = stream.read(CHUNK) if current else b""
                size += len(current)
                if size > settings.ATTACHMENT_MAX_BYTES:
                    raise _too_large()
                digest.update(current)
                last = not following
                nonce = prefix + struct.pack(">I", index)
                out.write(aead.encrypt(nonce, current, _aad(file_id, index, last)))
                index += 1
                if last:
                    break
                current = following
        with transaction.atomic():
            attachment = Attachment.objects.create(
                uuid=file_id,
                organisation_id=org,
                name=Path(name).name[:255],
                content_type=(content_type or "application/octet-stream")[:255],
                size=size,
                sha256=digest.hexdigest(),
                wrapped_key=keys.wrap(file_key, org, f"file:{file_id}"),
                nonce_prefix=prefix,
                chunk_size=CHUNK,
                path=relative,
                uploaded_at=at,
                uploaded_by=str(getattr(actor, "actor_label", "")),
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return attachment


def stored_file(attachment: Attachment) -> Attachment:
    """The row holding the key and the bytes: the file itself, or the one it forwards."""
    return attachment.source if attachment.source_id else attachment  # type: ignore[return-value]


def forward_copies(actor: Any, message: Message, now: dt.datetime) -> list[Attachment]:
    """The files of ``message`` as uploads of the forwarding organisation, ready to be sent.

    Nothing is copied on disk: each new row points at the stored file (``source``), whose key,
    nonce prefix and ciphertext serve every message the file is passed on with. The rows are
    unsent until ``send_message`` binds them, so call this inside the forward's transaction.
    """
    org = getattr(actor, "organisation_id", None)
    if not org:
        raise Problem.field("organisation", "only members of an organisation forward", status=403)
    copies = []
    for original in message.attachments.select_related("source"):
        stored = stored_file(original)
        copies.append(
            Attachment.objects.create(
                organisation_id=org,
                name=original.name,
                content_type=original.content_type,
                size=original.size,
                sha256=original.sha256,
                wrapped_key=b"",  # the key stays with the source, sealed for its organisation
                nonce_prefix=stored.nonce_prefix,
                chunk_size=stored.chunk_size,
                path=stored.path,
                uploaded_at=now,
                uploaded_by=str(getattr(actor, "actor_label", "")),
                source=stored,
            )
        )
    return copies


def read_plaintext(attachment: Attachment) -> Iterator[bytes]:
    """Yield the decrypted chunks; a tampered, reordered or truncated file raises InvalidTag."""
    stored = stored_file(attachment)
    file_key = keys.unwrap(stored.wrapped_key, stored.organisation_id, f"file:{stored.uuid}")
    aead = AESGCM(file_key)
    prefix = bytes(stored.nonce_prefix)
    sealed_chunk = stored.chunk_size + TAG
    with _storage_path(stored.path).open("rb") as handle:
        index = 0
        current = handle.read(sealed_chunk)
        while True:
            following = handle.read(sealed_chunk)
            last = not following
            nonce = prefix + struct.pack(">I", index)
            yield aead.decrypt(nonce, current, _aad(stored.uuid, index, last))
            if last:
                return
            current = following
            index += 1


def log_download(actor: Any, attachment: Attachment, request: Any = None) -> None:
    """A download is a consultation of whatever personal data the file holds."""
    with transaction.atomic():
        record(
            actor=actor,
            operation=Operation.CONSULT,
            object_type="exchange.attachment",
            object_ids=[attachment.uuid],
            justification=f"attachment of message {attachment.message.uuid if attachment.message else ''}",
            request=request,
        )


def discard(attachment: Attachment) -> None:
    """Remove an upload that was never sent (its message failed validation)."""
    if attachment.message_id is None:
        if attachment.source_id is None:  # a forwarded file's bytes belong to its source
            _storage_path(attachment.path).unlink(missing_ok=True)
        attachment.delete()
