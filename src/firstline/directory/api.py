"""Directory API: readable by every signed-in actor, writable by administrators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from firstline import policy
from firstline.directory.models import Organisation

router = Router(tags=["directory"])


class OrganisationOut(Schema):
    key: str
    name: str
    names: dict[str, str]
    acronym: str
    sector: str
    level: str
    country: str | None
    municipality: str
    parent: str | None

    @staticmethod
    def resolve_country(obj: Organisation) -> str | None:
        return obj.country.code if obj.country_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_parent(obj: Organisation) -> str | None:
        return obj.parent.key if obj.parent_id else None  # type: ignore[union-attr]


@router.get("/organisations", response=list[OrganisationOut])
@paginate(LimitOffsetPagination)
def list_organisations(request: HttpRequest) -> Any:
    actor = request.auth  # type: ignore[attr-defined]
    return policy.visible_to(actor, Organisation).select_related("country", "parent")
