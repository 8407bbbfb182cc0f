"""The JSON API under /api/v1/: one NinjaAPI, one router per domain, errors as problem+json."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from firstline.accounts.apiauth import api_auth
from firstline.core.problems import Problem, problem_response, render_problem

api = NinjaAPI(
    title="First Line API",
    version="1",
    description=(
        "Directory, audit and exchange for the prevention of violent extremism. "
        "Authenticate with a session (pages) or an organisation API key "
        "(`Authorization: Bearer <key>`). Errors are application/problem+json (RFC 9457)."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=api_auth,
)


def _field_name(loc: list[Any]) -> str:
    # ninja reports ("body", "payload", "name"); the person reading wants "name"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(list(e.get("loc", []))), "reason": e.get("msg", "invalid")}
        for e in exc.errors
    ]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem_response(
        request, status=422, title="Invalid input", detail=detail, errors=errors
    )


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return render_problem(request, exc)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(
        request, status=404, title="Not found", detail="No such object, or not visible to you"
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(
        request, status=403, title="Forbidden", detail=str(exc) or "Not allowed"
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        request,
        status=401,
        title="Unauthorized",
        detail="Sign in, or send an organisation API key as 'Authorization: Bearer <key>'",
    )
    response["WWW-Authenticate"] = 'Bearer realm="firstline"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(request, status=exc.status_code, title=str(exc.message))


def _register_routers() -> None:
    from firstline.accounts.api import router as accounts_router
    from firstline.audit.api import router as audit_router
    from firstline.coordination.api import router as coordination_router
    from firstline.directory.api import router as directory_router
    from firstline.exchange.api import router as exchange_router
    from firstline.knowledge.api import router as knowledge_router

    api.add_router("/directory/", directory_router)
    api.add_router("/audit/", audit_router)
    api.add_router("/exchange/", exchange_router)
    api.add_router("/accounts/", accounts_router)
    api.add_router("/coordination/", coordination_router)
    api.add_router("/knowledge/", knowledge_router)


_register_routers()
