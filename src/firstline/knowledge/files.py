"""Upload checks for attachments: a size limit and a short list of document types.

The type is decided by the file's first bytes, not by the name or the browser's claim, and the
extension must agree with it, so a renamed executable or an HTML page posing as a PDF is refused.
"""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from firstline.core.problems import Problem

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# extension → (content type, magic prefixes; None = text, checked as UTF-8)
_ZIP = (b"PK\x03\x04",)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ZIP,
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
}


def max_bytes() -> int:
    return int(getattr(settings, "KNOWLEDGE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_upload(upload: UploadedFile) -> str:
    """The file's content type if it is allowed; else a Problem naming the ``file`` field."""
    size = upload.size or 0
    if size == 0:
        raise Problem.field("file", "the file is empty")
    limit = max_bytes()
    if size > limit:
        raise Problem.field(
            "file", f"{size} bytes is larger than the limit of {limit} bytes", status=413
        )
    suffix = PurePath(str(upload.name or "")).suffix.lower()
    if suffix not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise Problem.field("file", f"type {suffix or '(none)'} is not accepted; use {allowed}")
    content_type, magics = ALLOWED[suffix]
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if magics is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the 4096th byte is not an error
            if exc.start < len(head) - 3:
                raise Problem.field("file", f"a {suffix} file must be UTF-8 text") from None
        if b"\x00" in head:
            raise Problem.field("file", f"a {suffix} file must be text")
    elif not any(head.startswith(magic) for magic in magics):
        raise Problem.field("file", f"the content is not a {suffix} file")
    return content_type
