"""Errors as application/problem+json (RFC 9457), naming the field and the reason."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised by services and endpoints; rendered as problem+json by the API.

    ``errors`` is a list of ``{"field": ..., "reason": ...}``; a page renders the same list
    beside the form fields.
    """

    def __init__(
        self,
        title: str,
        *,
        status: int = 400,
        detail: str = "",
        errors: list[dict[str, Any]] | None = None,
        type_: str = "about:blank",
    ) -> None:
        super().__init__(detail or title)
        self.title = title
        self.status = status
        self.detail = detail or title
        self.errors = errors or []
        self.type = type_

    @classmethod
    def field(cls, field: str, reason: str, *, status: int = 400) -> Problem:
        """One bad field: the commonest case."""
        return cls(
            "Invalid input",
            status=status,
            detail=f"{field}: {reason}",
            errors=[{"field": field, "reason": reason}],
        )


def problem_response(
    request: HttpRequest | None,
    *,
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, Any]] | None = None,
    type_: str = "about:blank",
) -> JsonResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if request is not None:
        body["instance"] = request.path
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def render_problem(request: HttpRequest | None, problem: Problem) -> JsonResponse:
    return problem_response(
        request,
        status=problem.status,
        title=problem.title,
        detail=problem.detail,
        errors=problem.errors,
        type_=problem.type,
    )
