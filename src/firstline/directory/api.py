"""Directory API: readable by every signed-in actor, writable by administrators.

Organisations, units, people and networks are addressed by their ``key``; memberships and
focal points by ``id``. Reads go through ``policy.visible_to``; writes call
``directory.services``, which check ``policy`` and answer a refusal with 403. Responses that
show people write one CONSULT audit entry per request naming them.
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict

from firstline import policy
from firstline.directory import queries, services
from firstline.directory.models import (
    Country,
    FocalPoint,
    Membership,
    Network,
    Organisation,
    Person,
    Unit,
)

router = Router(tags=["directory"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _key(obj: Model | None) -> str | None:
    return getattr(obj, "key", None) if obj is not None else None


class AuditedPagination(LimitOffsetPagination):
    """Limit/offset pages that write one CONSULT entry naming the people on the page."""

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        with transaction.atomic():
            page = super().paginate_queryset(queryset, pagination, request, **params)
            items = list(page["items"])
            people = [
                item.pk if isinstance(item, Person) else item.person_id
                for item in items
                if isinstance(item, Person) or getattr(item, "person_id", None)
            ]
            services.record_consultation(_actor(request), people, request=request)
        page["items"] = items
        return page


class Strict(Schema):
    """Input schemas refuse fields they do not know (a typo is an error, not a no-op)."""

    model_config = ConfigDict(extra="forbid")


# --- countries -----------------------------------------------------------------------------


class CountryOut(Schema):
    code: str
    name: str
    names: dict[str, str]
    is_beneficiary: bool


@router.get("/countries", response=list[CountryOut])
@paginate(LimitOffsetPagination)
def list_countries(request: HttpRequest, beneficiary: bool | None = None) -> Any:
    qs = policy.visible_to(_actor(request), Country)
    if beneficiary is not None:
        qs = qs.filter(is_beneficiary=beneficiary)
    return qs.order_by("code")


@router.get("/countries/{code}", response=CountryOut)
def get_country(request: HttpRequest, code: str) -> Any:
    return policy.get_visible_or_404(_actor(request), Country, code=code.upper())


# --- organisations -------------------------------------------------------------------------


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
    website: str
    email: str
    is_active: bool

    @staticmethod
    def resolve_country(obj: Organisation) -> str | None:
        return obj.country.code if obj.country is not None else None

    @staticmethod
    def resolve_parent(obj: Organisation) -> str | None:
        return _key(obj.parent)


class OrganisationIn(Strict):
    key: str
    name: str
    names: dict[str, str] = {}
    acronym: str = ""
    sector: str
    level: str
    country: str | None = None
    municipality: str = ""
    parent: str | None = None
    website: str = ""
    email: str = ""
    is_active: bool = True


class OrganisationPatch(Strict):
    name: str | None = None
    names: dict[str, str] | None = None
    acronym: str | None = None
    sector: str | None = None
    level: str | None = None
    country: str | None = None
    municipality: str | None = None
    parent: str | None = None
    website: str | None = None
    email: str | None = None
    is_active: bool | None = None


class OrganisationFilter(Schema):
    country: str | None = None
    sector: str | None = None
    level: str | None = None
    parent: str | None = None
    q: str | None = None


def _organisations(request: HttpRequest) -> QuerySet[Organisation]:
    return policy.visible_to(_actor(request), Organisation).select_related("country", "parent")


@router.get("/organisations", response=list[OrganisationOut])
@paginate(LimitOffsetPagination)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilter]) -> Any:
    return queries.filter_organisations(_organisations(request), **filters.model_dump()).order_by(
        "key"
    )


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    org = services.create_organisation(_actor(request), payload.model_dump(), request=request)
    return Status(201, org)


@router.get("/organisations/{key}", response=OrganisationOut)
def get_organisation(request: HttpRequest, key: str) -> Any:
    return policy.get_visible_or_404(_actor(request), _organisations(request), key=key)


@router.patch("/organisations/{key}", response=OrganisationOut)
def update_organisation(request: HttpRequest, key: str, payload: OrganisationPatch) -> Any:
    org = policy.get_visible_or_404(_actor(request), Organisation, key=key)
    return services.update_organisation(
        _actor(request), org, payload.model_dump(exclude_unset=True), request=request
    )


@router.delete("/organisations/{key}", response={204: None})
def delete_organisation(request: HttpRequest, key: str) -> Any:
    org = policy.get_visible_or_404(_actor(request), Organisation, key=key)
    services.delete_organisation(_actor(request), org, request=request)
    return Status(204, None)


# --- units ---------------------------------------------------------------------------------


class UnitOut(Schema):
    key: str
    name: str
    organisation: str
    parent: str | None

    @staticmethod
    def resolve_organisation(obj: Unit) -> str:
        return obj.organisation.key

    @staticmethod
    def resolve_parent(obj: Unit) -> str | None:
        return _key(obj.parent)


class UnitIn(Strict):
    key: str
    name: str
    organisation: str
    parent: str | None = None


class UnitPatch(Strict):
    name: str | None = None
    organisation: str | None = None
    parent: str | None = None


def _units(request: HttpRequest) -> QuerySet[Unit]:
    return policy.visible_to(_actor(request), Unit).select_related("organisation", "parent")


@router.get("/units", response=list[UnitOut])
@paginate(LimitOffsetPagination)
def list_units(request: HttpRequest, organisation: str | None = None) -> Any:
    qs = _units(request)
    if organisation:
        qs = qs.filter(organisation__key=organisation)
    return qs.order_by("key")


@router.post("/units", response={201: UnitOut})
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    return Status(201, services.create_unit(_actor(request), payload.model_dump(), request=request))


@router.get("/units/{key}", response=UnitOut)
def get_unit(request: HttpRequest, key: str) -> Any:
    return policy.get_visible_or_404(_actor(request), _units(request), key=key)


@router.patch("/units/{key}", response=UnitOut)
def update_unit(request: HttpRequest, key: str, payload: UnitPatch) -> Any:
    unit = policy.get_visible_or_404(_actor(request), Unit, key=key)
    return services.update_unit(
        _actor(request), unit, payload.model_dump(exclude_unset=True), request=request
    )


@router.delete("/units/{key}", response={204: None})
def delete_unit(request: HttpRequest, key: str) -> Any:
    unit = policy.get_visible_or_404(_actor(request), Unit, key=key)
    services.delete_unit(_actor(request), unit, request=request)
    return Status(204, None)


# --- people --------------------------------------------------------------------------------


class PersonOut(Schema):
    key: str
    organisation: str
    unit: str | None
    given_name: str
    family_name: str
    role: str
    email: str
    phone: str

    @staticmethod
    def resolve_organisation(obj: Person) -> str:
        return obj.organisation.key

    @staticmethod
    def resolve_unit(obj: Person) -> str | None:
        return _key(obj.unit)


class PersonIn(Strict):
    key: str
    organisation: str
    unit: str | None = None
    given_name: str
    family_name: str
    role: str = ""
    email: str = ""
    phone: str = ""


class PersonPatch(Strict):
    organisation: str | None = None
    unit: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None


def _people(request: HttpRequest) -> QuerySet[Person]:
    return policy.visible_to(_actor(request), Person).select_related("organisation", "unit")


def _consulted(request: HttpRequest, person: Person) -> Person:
    with transaction.atomic():
        services.record_consultation(_actor(request), [person.pk], request=request)
    return person


@router.get("/people", response=list[PersonOut])
@paginate(AuditedPagination)
def list_people(
    request: HttpRequest,
    organisation: str | None = None,
    unit: str | None = None,
    q: str | None = None,
) -> Any:
    qs = _people(request)
    if organisation:
        qs = qs.filter(organisation__key=organisation)
    if unit:
        qs = qs.filter(unit__key=unit)
    if q:
        qs = qs.filter(
            Q(given_name__icontains=q) | Q(family_name__icontains=q) | Q(role__icontains=q)
        )
    return qs.order_by("key")


@router.post("/people", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    return Status(
        201, services.create_person(_actor(request), payload.model_dump(), request=request)
    )


@router.get("/people/{key}", response=PersonOut)
def get_person(request: HttpRequest, key: str) -> Any:
    return _consulted(
        request, policy.get_visible_or_404(_actor(request), _people(request), key=key)
    )


@router.patch("/people/{key}", response=PersonOut)
def update_person(request: HttpRequest, key: str, payload: PersonPatch) -> Any:
    person = policy.get_visible_or_404(_actor(request), Person, key=key)
    return services.update_person(
        _actor(request), person, payload.model_dump(exclude_unset=True), request=request
    )


@router.delete("/people/{key}", response={204: None})
def delete_person(request: HttpRequest, key: str) -> Any:
    person = policy.get_visible_or_404(_actor(request), Person, key=key)
    services.delete_person(_actor(request), person, request=request)
    return Status(204, None)


# --- networks ------------------------------------------------------------------------------


class NetworkOut(Schema):
    key: str
    name: str
    names: dict[str, str]
    acronym: str
    level: str
    country: str | None
    description: str

    @staticmethod
    def resolve_country(obj: Network) -> str | None:
        return obj.country.code if obj.country is not None else None


class NetworkIn(Strict):
    key: str
    name: str
    names: dict[str, str] = {}
    acronym: str = ""
    level: str
    country: str | None = None
    description: str = ""


class NetworkPatch(Strict):
    name: str | None = None
    names: dict[str, str] | None = None
    acronym: str | None = None
    level: str | None = None
    country: str | None = None
    description: str | None = None


def _networks(request: HttpRequest) -> QuerySet[Network]:
    return policy.visible_to(_actor(request), Network).select_related("country")


@router.get("/networks", response=list[NetworkOut])
@paginate(LimitOffsetPagination)
def list_networks(
    request: HttpRequest, level: str | None = None, country: str | None = None
) -> Any:
    qs = _networks(request)
    if level:
        qs = qs.filter(level=level)
    if country:
        qs = (
            qs.filter(country__isnull=True)
            if country.lower() == "none"
            else qs.filter(country__code=country.upper())
        )
    return qs.order_by("key")


@router.post("/networks", response={201: NetworkOut})
def create_network(request: HttpRequest, payload: NetworkIn) -> Any:
    return Status(
        201, services.create_network(_actor(request), payload.model_dump(), request=request)
    )


@router.get("/networks/{key}", response=NetworkOut)
def get_network(request: HttpRequest, key: str) -> Any:
    return policy.get_visible_or_404(_actor(request), _networks(request), key=key)


@router.patch("/networks/{key}", response=NetworkOut)
def update_network(request: HttpRequest, key: str, payload: NetworkPatch) -> Any:
    network = policy.get_visible_or_404(_actor(request), Network, key=key)
    return services.update_network(
        _actor(request), network, payload.model_dump(exclude_unset=True), request=request
    )


@router.delete("/networks/{key}", response={204: None})
def delete_network(request: HttpRequest, key: str) -> Any:
    network = policy.get_visible_or_404(_actor(request), Network, key=key)
    services.delete_network(_actor(request), network, request=request)
    return Status(204, None)


# --- memberships ---------------------------------------------------------------------------


class MembershipOut(Schema):
    id: int
    network: str
    organisation: str | None
    person: str | None
    role: str
    start: dt.date | None
    end: dt.date | None

    @staticmethod
    def resolve_network(obj: Membership) -> str:
        return obj.network.key

    @staticmethod
    def resolve_organisation(obj: Membership) -> str | None:
        return _key(obj.organisation)

    @staticmethod
    def resolve_person(obj: Membership) -> str | None:
        return _key(obj.person)


class MembershipIn(Strict):
    network: str
    organisation: str | None = None
    person: str | None = None
    role: str
    start: dt.date | None = None
    end: dt.date | None = None


class MembershipPatch(Strict):
    role: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


class MembershipFilter(Schema):
    network: str | None = None
    organisation: str | None = None
    person: str | None = None
    current: bool | None = None


def _memberships(request: HttpRequest) -> QuerySet[Membership]:
    return policy.visible_to(_actor(request), Membership).select_related(
        "network", "organisation", "person"
    )


@router.get("/memberships", response=list[MembershipOut])
@paginate(AuditedPagination)
def list_memberships(request: HttpRequest, filters: Query[MembershipFilter]) -> Any:
    qs = _memberships(request)
    if filters.network:
        qs = qs.filter(network__key=filters.network)
    if filters.organisation:
        qs = qs.filter(organisation__key=filters.organisation)
    if filters.person:
        qs = qs.filter(person__key=filters.person)
    if filters.current:
        qs = queries.current(qs)
    return qs.order_by("pk")


@router.post("/memberships", response={201: MembershipOut})
def create_membership(request: HttpRequest, payload: MembershipIn) -> Any:
    return Status(
        201, services.create_membership(_actor(request), payload.model_dump(), request=request)
    )


@router.get("/memberships/{membership_id}", response=MembershipOut)
def get_membership(request: HttpRequest, membership_id: int) -> Any:
    membership = policy.get_visible_or_404(_actor(request), _memberships(request), pk=membership_id)
    with transaction.atomic():
        if membership.person_id:
            services.record_consultation(_actor(request), [membership.person_id], request=request)
    return membership


@router.patch("/memberships/{membership_id}", response=MembershipOut)
def update_membership(request: HttpRequest, membership_id: int, payload: MembershipPatch) -> Any:
    membership = policy.get_visible_or_404(_actor(request), Membership, pk=membership_id)
    return services.update_membership(
        _actor(request), membership, payload.model_dump(exclude_unset=True), request=request
    )


@router.delete("/memberships/{membership_id}", response={204: None})
def delete_membership(request: HttpRequest, membership_id: int) -> Any:
    membership = policy.get_visible_or_404(_actor(request), Membership, pk=membership_id)
    services.delete_membership(_actor(request), membership, request=request)
    return Status(204, None)


# --- focal points --------------------------------------------------------------------------


class FocalPointOut(Schema):
    id: int
    country: str
    topic: str
    person: str
    start: dt.date | None
    end: dt.date | None

    @staticmethod
    def resolve_country(obj: FocalPoint) -> str:
        return obj.country.code

    @staticmethod
    def resolve_person(obj: FocalPoint) -> str:
        return obj.person.key


class FocalPointIn(Strict):
    country: str
    topic: str
    person: str
    start: dt.date | None = None
    end: dt.date | None = None


class FocalPointPatch(Strict):
    topic: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def _focal_points(request: HttpRequest) -> QuerySet[FocalPoint]:
    return policy.visible_to(_actor(request), FocalPoint).select_related("country", "person")


@router.get("/focal-points", response=list[FocalPointOut])
@paginate(AuditedPagination)
def list_focal_points(
    request: HttpRequest,
    country: str | None = None,
    topic: str | None = None,
    person: str | None = None,
) -> Any:
    qs = _focal_points(request)
    if country:
        qs = qs.filter(country__code=country.upper())
    if topic:
        qs = qs.filter(topic__iexact=topic)
    if person:
        qs = qs.filter(person__key=person)
    return qs.order_by("country__code", "topic", "person__key")


@router.post("/focal-points", response={201: FocalPointOut})
def create_focal_point(request: HttpRequest, payload: FocalPointIn) -> Any:
    return Status(
        201, services.create_focal_point(_actor(request), payload.model_dump(), request=request)
    )


@router.get("/focal-points/{focal_point_id}", response=FocalPointOut)
def get_focal_point(request: HttpRequest, focal_point_id: int) -> Any:
    focal_point = policy.get_visible_or_404(
        _actor(request), _focal_points(request), pk=focal_point_id
    )
    with transaction.atomic():
        services.record_consultation(_actor(request), [focal_point.person_id], request=request)
    return focal_point


@router.patch("/focal-points/{focal_point_id}", response=FocalPointOut)
def update_focal_point(request: HttpRequest, focal_point_id: int, payload: FocalPointPatch) -> Any:
    focal_point = policy.get_visible_or_404(_actor(request), FocalPoint, pk=focal_point_id)
    return services.update_focal_point(
        _actor(request), focal_point, payload.model_dump(exclude_unset=True), request=request
    )


@router.delete("/focal-points/{focal_point_id}", response={204: None})
def delete_focal_point(request: HttpRequest, focal_point_id: int) -> Any:
    focal_point = policy.get_visible_or_404(_actor(request), FocalPoint, pk=focal_point_id)
    services.delete_focal_point(_actor(request), focal_point, request=request)
    return Status(204, None)
