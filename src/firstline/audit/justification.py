"""Justification before a sensitive record is shown: a reason from a list, plus free text.

Pages::

    justification = require_justification(request, record_obj)
    if isinstance(justification, HttpResponse):
        return justification  # the form; it posts back here, then redirects to this page
    with transaction.atomic():
        record(actor=request.user, operation=Operation.CONSULT, ..., justification=justification)
        ...  # read and render the record

The justification is kept in the session for that one object for ``GRANT_SECONDS`` so that
reloading the page does not ask again; every view is still logged with it.

API: the caller sends ``X-Justification-Reason`` (one of the reasons, as listed in
``settings.AUDIT_JUSTIFICATION_REASONS``) and ``X-Justification`` (free text, percent-encoded
UTF-8 where it is not plain ASCII); :func:`justification_from_headers` returns the text for
``record`` or raises a 428 problem listing the reasons (400 when a reason is not on the list).
:func:`justification_for_api` also accepts the grant a page of the same session holds for the
object, so that links from that page (files, downloads) open without headers.

The reasons come from ``FIRSTLINE_AUDIT_JUSTIFICATION_REASONS`` (comma-separated).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from firstline.audit.log import ref
from firstline.core.problems import Problem

GRANT_SECONDS = 600
SESSION_KEY = "audit_justifications"
REASON_HEADER = "X-Justification-Reason"
TEXT_HEADER = "X-Justification"
MAX_TEXT = 1000


def reasons() -> list[str]:
    return list(settings.AUDIT_JUSTIFICATION_REASONS)


def compose(reason: str, text: str) -> str:
    """The one string that goes into the entry."""
    return f"{reason}: {text.strip()}"


class JustificationForm(forms.Form):
    justification_reason = forms.ChoiceField(label=_("Reason"), choices=())
    justification_text = forms.CharField(
        label=_("Explain"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why you need this record now. It is written to the audit log."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["justification_reason"].choices = [("", "—")] + [(r, r) for r in reasons()]  # type: ignore[attr-defined]

    def justification(self) -> str:
        return compose(
            self.cleaned_data["justification_reason"], self.cleaned_data["justification_text"]
        )


def granted(request: HttpRequest, obj: Any) -> str | None:
    """The justification this session gave for ``obj`` on a page, while the grant lasts."""
    session = getattr(request, "session", None)
    grant = session.get(SESSION_KEY, {}).get(ref(obj)) if session is not None else None
    if grant is not None and grant["until"] > time.time():
        return str(grant["text"])
    return None


def require_justification(request: HttpRequest, obj: Any, *, label: str = "") -> str | HttpResponse:
    """The justification for showing ``obj`` now, or the page that asks for it."""
    if request.method == "POST" and "justification_reason" in request.POST:
        form = JustificationForm(request.POST)
        if form.is_valid():
            now = time.time()
            grants = {
                k: v for k, v in request.session.get(SESSION_KEY, {}).items() if v["until"] > now
            }
            grants[ref(obj)] = {"text": form.justification(), "until": now + GRANT_SECONDS}
            request.session[SESSION_KEY] = grants
            return redirect(request.get_full_path())
    else:
        grant = granted(request, obj)
        if grant is not None:
            return grant
        form = JustificationForm()
    return render(
        request,
        "audit/justify.html",
        {"form": form, "label": label or str(obj)},
        status=400 if form.is_bound else 200,
    )


def justification_from_headers(request: HttpRequest) -> str:
    """The justification an API caller sent, or a 428/400 problem saying what is needed."""
    reason = request.headers.get(REASON_HEADER, "").strip()
    text = unquote(request.headers.get(TEXT_HEADER, "")).strip()
    allowed = reasons()
    if not reason or not text:
        missing = [h for h, value in ((REASON_HEADER, reason), (TEXT_HEADER, text)) if not value]
        raise Problem(
            "Justification required",
            status=428,
            detail=(
                f"This record is sensitive: send {REASON_HEADER} (one of: "
                f"{'; '.join(allowed)}) and {TEXT_HEADER} (why, percent-encoded UTF-8)"
            ),
            errors=[{"field": h, "reason": "is required"} for h in missing],
        )
    matched = next((r for r in allowed if r.casefold() == reason.casefold()), None)
    if matched is None:
        raise Problem.field(REASON_HEADER, f"must be one of: {'; '.join(allowed)}")
    if len(text) > MAX_TEXT:
        raise Problem.field(TEXT_HEADER, f"must be at most {MAX_TEXT} characters")
    return compose(matched, text)


def justification_for_api(request: HttpRequest, obj: Any) -> str:
    """The justification of an API read of sensitive ``obj``: the headers, or else the one
    this session gave on the page that asked for ``obj`` (a file or download linked from that
    page is opened by the browser, which sends no headers). Raises the 428/400 problem of
    :func:`justification_from_headers` when there is neither."""
    sent = request.headers.get(REASON_HEADER) or request.headers.get(TEXT_HEADER)
    if not sent:
        grant = granted(request, obj)
        if grant is not None:
            return grant
    return justification_from_headers(request)
