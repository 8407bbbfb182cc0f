"""What the coordination pages share: running a service for a form, files, errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from firstline.coordination.forms import apply_problem
from firstline.core.problems import Problem


def run_service(form: forms.Form, call: Callable[[], Any]) -> tuple[Any, int]:
    """Call a service for a valid form; its Problem becomes form errors, its refusal a 403.

    Returns the service's result (None on failure) and the status the page should answer with.
    """
    try:
        return call(), 200
    except Problem as problem:
        apply_problem(form, problem)
        return None, problem.status if problem.status >= 400 else 400
    except PermissionDenied as denied:
        form.add_error(None, str(denied) or "Not allowed")
        return None, 403


def render_form(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    form = context.get("form")
    if form is not None and form.is_bound and form.errors and status == 200:
        status = 400
    return render(request, template, context, status=status)


def download(file_field: Any, filename: str, content_type: str = "") -> FileResponse:
    """A stored file as an attachment (never rendered inline: it came from a user)."""
    response = FileResponse(
        file_field.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def bytes_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A signed-in page whose service errors render as a page naming the field and the reason
    (a Problem with its status; a refusal as 403 with the reason), never as a bare error."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Problem as problem:
            return render(
                request,
                "coordination/problem.html",
                {"title": problem.title, "detail": problem.detail, "errors": problem.errors},
                status=problem.status,
            )
        except PermissionDenied as denied:
            return render(
                request,
                "coordination/problem.html",
                {"title": _("Not allowed"), "detail": str(denied) or _("Not allowed")},
                status=403,
            )

    return wrapped


def posted(request: HttpRequest) -> Any:
    """A form's data on POST, nothing on GET: an empty POST is still a submission."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> tuple[Any, Any]:
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)
