"""Attachments: streamed to disk encrypted, never held whole in memory.

Each file gets a random AES-256 key, itself sealed under the node master key. The plaintext is
cut into chunks of ``CHUNK`` bytes; chunk *i* is sealed with AES-256-GCM under the nonce
``prefix(8) || i(4)`` and the associated data ``uuid || i || last-flag``, so chunks cannot be
reordered, dropped or the file truncated without the tag check failing on download. The
SHA-256 of the plaintext is computed while streaming and signed with the message.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import struct
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.exchange import keys
from firstline.exchange.markings import EntityKind
from firstline.exchange.models import Attachment, Entity, Message

CHUNK = 1024 * 1024
# what is asked of the request stream at a time: small reads keep the server's own buffers
# (gunicorn copies each read through a BytesIO) small; the chunk is assembled in place
READ_SIZE = 256 * 1024


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


class Sealer:
    """Encrypts one file to disk as its bytes arrive, in pieces of any size.

    Memory stays flat whatever the file's size: one plaintext chunk and one sealed chunk,
    both reused (``encrypt_into``). A full chunk is sealed only once the next byte arrives,
    because the last chunk carries the last-flag. Checks that need no bytes (organisation,
    name, type, declared size) run in the constructor, before anything is read or written;
    ``finish`` records the attachment, ``abort`` removes the partial file.
    """

    def __init__(
        self,
        actor: Any,
        *,
        name: str,
        content_type: str = "application/octet-stream",
        declared_size: int | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        org = getattr(actor, "organisation_id", None)
        if not org:
            raise Problem.field(
                "organisation", "only members of an organisation upload", status=403
            )
        self.org: int = org
        check_declared(name, declared_size)
        self.at = now or clock.now()
        self.uploaded_by = str(getattr(actor, "actor_label", ""))
        self.name = Path(name).name[:255]
        self.content_type = (content_type or "application/octet-stream")[:255]
        self.file_id = uuid.uuid4()
        self.file_key = AESGCM.generate_key(bit_length=256)
        self.aead = AESGCM(self.file_key)
        self.prefix = os.urandom(8)
        self.relative = f"exchange/{self.file_id.hex[:2]}/{self.file_id.hex}.bin"
        self.path = _storage_path(self.relative)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.out = self.path.open("wb")
        self.plain = bytearray(CHUNK)
        self.sealed = bytearray(CHUNK + TAG)
        self.fill = 0
        self.index = 0
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        """Take the next bytes; a size over the node's limit raises 413 at once."""
        self.size += len(data)
        if self.size > settings.ATTACHMENT_MAX_BYTES:
            raise _too_large()
        self.digest.update(data)
        view = memoryview(data)
        while view:
            if self.fill == CHUNK:  # more bytes after a full chunk: it was not the last
                self._seal(last=False)
            taken = min(CHUNK - self.fill, len(view))
            self.plain[self.fill : self.fill + taken] = view[:taken]
            self.fill += taken
            view = view[taken:]

    def _seal(self, *, last: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        sealed = memoryview(self.sealed)[: self.fill + TAG]
        self.aead.encrypt_into(
            nonce,
            memoryview(self.plain)[: self.fill],
            _aad(self.file_id, self.index, last),
            sealed,
        )
        self.out.write(sealed)
        self.index += 1
        self.fill = 0

    def finish(self) -> Attachment:
        """Seal the last chunk and record the attachment (not yet sent)."""
        try:
            self._seal(last=True)
            self.out.close()
            with transaction.atomic():
                return Attachment.objects.create(
                    uuid=self.file_id,
                    organisation_id=self.org,
                    name=self.name,
                    content_type=self.content_type,
                    size=self.size,
                    sha256=self.digest.hexdigest(),
                    wrapped_key=keys.wrap(self.file_key, self.org, f"file:{self.file_id}"),
                    nonce_prefix=self.prefix,
                    chunk_size=CHUNK,
                    path=self.relative,
                    uploaded_at=self.at,
                    uploaded_by=self.uploaded_by,
                )
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Nothing half-written: close and remove the partial file."""
        self.out.close()
        self.path.unlink(missing_ok=True)


def store_upload(
    actor: Any,
    stream: Readable,
    *,
    name: str,
    content_type: str = "application/octet-stream",
    declared_size: int | None = None,
    now: dt.datetime | None = None,
) -> Attachment:
    """Encrypt ``stream`` to disk as it is read and record the attachment (not yet sent)."""
    sealer = Sealer(
        actor, name=name, content_type=content_type, declared_size=declared_size, now=now
    )
    try:
        while data := stream.read(READ_SIZE):
            sealer.write(data)
    except BaseException:
        sealer.abort()
        raise
    return sealer.finish()


class SealedFile(UploadedFile):
    """What ``request.FILES`` holds for a file the handler below already stored encrypted."""

    def __init__(self, attachment: Attachment) -> None:
        super().__init__(
            file=None,
            name=attachment.name,
            content_type=attachment.content_type,
            size=attachment.size,
        )
        self.attachment = attachment


class SealingUploadHandler(FileUploadHandler):
    """Multipart uploads of the pages: each file is encrypted to disk as its bytes arrive.

    Neither held in memory nor written as a plaintext temporary file (Django's default
    handlers do one or the other). A forbidden type is refused when the part's header names
    the file, a size over the limit at the byte that passes it: the file is skipped, the rest
    of the form is still read, and ``refused`` holds the Problem for the page to show.
    """

    def __init__(self, actor: Any, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.actor = actor
        self.sealer: Sealer | None = None
        self.refused: Problem | None = None
        self.stored: list[Attachment] = []

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        try:
            self.sealer = Sealer(
                self.actor,
                name=file_name,
                content_type=self.content_type or "application/octet-stream",
                declared_size=self.content_length,
            )
        except Problem as exc:
            self.refused = exc
            raise SkipFile from None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.sealer is not None:
            try:
                self.sealer.write(raw_data)
            except Problem as exc:
                self.upload_interrupted()
                self.refused = exc
                raise SkipFile from None
        return None  # consumed: no later handler sees the bytes

    def file_complete(self, file_size: int) -> SealedFile | None:
        if self.sealer is None:
            return None
        attachment = self.sealer.finish()
        self.sealer = None
        self.stored.append(attachment)
        return SealedFile(attachment)

    def upload_interrupted(self) -> None:
        if self.sealer is not None:
            self.sealer.abort()
            self.sealer = None

    def discard_unsent(self) -> None:
        """Remove what this request stored but did not send (a refused form, a failed check)."""
        self.upload_interrupted()
        for attachment in Attachment.objects.filter(pk__in=[a.pk for a in self.stored]):
            discard(attachment)


def sealing_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Install ``SealingUploadHandler`` on a page that takes files.

    The handlers must be set before anything reads the body, and the CSRF middleware reads
    it to find the token: so the check is made by ``csrf_protect`` inside, after the handler
    is in place (Django's documented pattern). Whatever the view did not send is discarded.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return protected(request, *args, **kwargs)
        handler = SealingUploadHandler(request.user, request)
        request.upload_handlers = [handler]
        try:
            return protected(request, *args, **kwargs)
        finally:
            handler.discard_unsent()

    return wrapper


def refused_upload(request: HttpRequest) -> Problem | None:
    """The Problem of a file the page's upload handler refused, if any."""
    for handler in request.upload_handlers:
        if isinstance(handler, SealingUploadHandler) and handler.refused is not None:
            return handler.refused
    return None


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


def log_download(
    actor: Any, attachment: Attachment, request: Any = None, *, justification: str = ""
) -> None:
    """A download is a consultation of whatever personal data the file holds: about the people
    its message names (``entity:<pk>``, as a consultation of the message names them).

    The entry names the file, then its message as ``message:<uuid>``; ``justification`` is
    only the reader's reason (given for a message carrying special categories), never this
    context."""
    message = attachment.message
    people = (
        Entity.objects.filter(message=message, kind=EntityKind.PERSON).values_list("pk", flat=True)
        if message is not None
        else []
    )
    with transaction.atomic():
        record(
            actor=actor,
            operation=Operation.CONSULT,
            object_type="exchange.attachment",
            object_ids=[attachment.uuid] + ([f"message:{message.uuid}"] if message else []),
            subjects=[f"entity:{pk}" for pk in people],
            justification=justification,
            request=request,
        )


def discard(attachment: Attachment) -> None:
    """Remove an upload that was never sent (its message failed validation)."""
    if attachment.message_id is None:
        if attachment.source_id is None:  # a forwarded file's bytes belong to its source
            _storage_path(attachment.path).unlink(missing_ok=True)
        attachment.delete()
