"""Accounts API: who am I, the organisation's API keys, and users' access."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from firstline import policy
from firstline.accounts import services
from firstline.accounts.models import ApiKey, User
from firstline.core.problems import Problem

router = Router(tags=["accounts"])


class ActorOut(Schema):
    kind: str = Field(description="'user' or 'apikey'")
    label: str
    organisation: str | None
    role: str
    clearance: str
    scopes: list[str] | None = Field(description="the key's scopes; null for a user")


@router.get("/me", response=ActorOut, summary="Who the request acts as")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = request.auth  # type: ignore[attr-defined]
    organisation = getattr(actor, "organisation", None)
    is_user = isinstance(actor, User)
    return {
        "kind": "user" if is_user else "apikey",
        "label": actor.get_username() if is_user else actor.actor_label,
        "organisation": organisation.key if organisation is not None else None,
        "role": actor.role,
        "clearance": actor.clearance,
        "scopes": None if is_user else sorted(actor.scopes),
    }


class ApiKeyOut(Schema):
    prefix: str
    name: str
    organisation: str
    role: str
    clearance: str
    scopes: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_organisation(obj: ApiKey) -> str:
        return obj.organisation.key


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The key itself. Shown only in this response; store it now.")


class ApiKeyIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    role: str
    clearance: str
    scopes: list[str] = Field(min_length=1)


@router.get("/keys", response=list[ApiKeyOut], summary="API keys the caller manages")
@paginate(LimitOffsetPagination)
def list_keys(request: HttpRequest) -> Any:
    actor = request.auth  # type: ignore[attr-defined]
    policy.require(actor, policy.VIEW, ApiKey)
    return policy.visible_to(actor, ApiKey).select_related("organisation")


@router.post("/keys", response={201: ApiKeyCreatedOut}, summary="Create a key (shown once)")
def create_key(request: HttpRequest, payload: ApiKeyIn) -> Status:
    actor = request.auth  # type: ignore[attr-defined]
    key, secret = services.create_api_key(actor=actor, request=request, **payload.dict())
    key.key = secret  # type: ignore[attr-defined]  # on this response only; never stored
    return Status(201, key)


@router.get("/keys/{prefix}", response=ApiKeyOut, summary="One key")
def get_key(request: HttpRequest, prefix: str) -> ApiKey:
    actor = request.auth  # type: ignore[attr-defined]
    return policy.get_visible_or_404(
        actor, ApiKey.objects.select_related("organisation"), prefix=prefix
    )


@router.post("/keys/{prefix}/revoke", response=ApiKeyOut, summary="Revoke a key")
def revoke_key(request: HttpRequest, prefix: str) -> ApiKey:
    actor = request.auth  # type: ignore[attr-defined]
    key = policy.get_visible_or_404(
        actor, ApiKey.objects.select_related("organisation"), policy.CHANGE, prefix=prefix
    )
    return services.revoke_api_key(actor=actor, key=key, request=request)


class AccessIn(Schema):
    role: str | None = None
    clearance: str | None = None


class AccessOut(Schema):
    id: int
    username: str
    organisation: str | None
    role: str
    clearance: str

    @staticmethod
    def resolve_organisation(obj: User) -> str | None:
        return obj.organisation.key if obj.organisation_id else None  # type: ignore[union-attr]


@router.patch(
    "/users/{user_id}/access", response=AccessOut, summary="Change a user's role or clearance"
)
def change_access(request: HttpRequest, user_id: int, payload: AccessIn) -> User:
    actor = request.auth  # type: ignore[attr-defined]
    if payload.role is None and payload.clearance is None:
        raise Problem.field("role", "give a role, a clearance or both")
    user = policy.get_visible_or_404(
        actor, User.objects.select_related("organisation"), policy.CHANGE, pk=user_id
    )
    return services.change_access(
        actor=actor, user=user, role=payload.role, clearance=payload.clearance, request=request
    )
