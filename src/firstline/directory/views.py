"""Directory pages: thin views over the policy door and ``queries``.

A page that shows people writes one CONSULT audit entry naming them, in the transaction that
read them.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from firstline import policy
from firstline.directory import countries as country_table
from firstline.directory import queries, services
from firstline.directory.forms import NetworkFilterForm, OrganisationFilterForm
from firstline.directory.models import (
    Country,
    FocalPoint,
    Membership,
    Network,
    Organisation,
    Person,
    Unit,
)

PAGE_SIZE = 25


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    """Browse and filter organisations by country, sector, level and text."""
    form = OrganisationFilterForm(request.user, request.GET or None)
    orgs = policy.visible_to(request.user, Organisation).select_related("country")
    if form.is_valid():
        orgs = queries.filter_organisations(orgs, **form.cleaned_data)
    page = Paginator(orgs.order_by("country__code", "name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "directory/organisations.html", {"form": form, "page": page, "organisations": page}
    )


@login_required
def organisation(request: HttpRequest, key: str) -> HttpResponse:
    """One organisation: parent and children, units, people, networks and focal points."""
    actor = request.user
    with transaction.atomic():
        org = policy.get_visible_or_404(
            actor, Organisation.objects.select_related("country", "parent"), key=key
        )
        people = list(
            policy.visible_to(actor, Person).filter(organisation=org).select_related("unit")
        )
        focal_points = list(
            policy.visible_to(actor, FocalPoint)
            .filter(person__organisation=org)
            .select_related("country", "person")
        )
        services.record_consultation(
            actor, [p.pk for p in people] + [f.person_id for f in focal_points], request=request
        )
    context = {
        "organisation": org,
        "children": policy.visible_to(actor, Organisation).filter(parent=org).order_by("name"),
        "units": policy.visible_to(actor, Unit).filter(organisation=org).select_related("parent"),
        "people": people,
        "memberships": policy.visible_to(actor, Membership)
        .filter(organisation=org)
        .select_related("network")
        .order_by("network__level", "network__name", "start"),
        "focal_points": focal_points,
        "can_change": policy.can(actor, policy.CHANGE, org),
    }
    return render(request, "directory/organisation.html", context)


@login_required
def networks(request: HttpRequest) -> HttpResponse:
    """All networks, filterable by level, with their current member count."""
    form = NetworkFilterForm(request.GET or None)
    nets = (
        policy.visible_to(request.user, Network)
        .select_related("country")
        .annotate(member_count=Count("memberships", distinct=True))
    )
    if form.is_valid() and form.cleaned_data["level"]:
        nets = nets.filter(level=form.cleaned_data["level"])
    return render(request, "directory/networks.html", {"form": form, "networks": nets})


@login_required
def network(request: HttpRequest, key: str) -> HttpResponse:
    """One network: its members (organisations and people) with roles and periods."""
    actor = request.user
    with transaction.atomic():
        net = policy.get_visible_or_404(actor, Network.objects.select_related("country"), key=key)
        memberships = list(
            policy.visible_to(actor, Membership)
            .filter(network=net)
            .select_related("organisation__country", "person__organisation")
            .order_by("role", "organisation__name", "person__family_name", "start")
        )
        services.record_consultation(
            actor, [m.person_id for m in memberships if m.person_id], request=request
        )
    current_ids = set(
        queries.current(Membership.objects.filter(network=net)).values_list("pk", flat=True)
    )
    return render(
        request,
        "directory/network.html",
        {
            "network": net,
            "organisation_members": [m for m in memberships if m.organisation_id],
            "person_members": [m for m in memberships if m.person_id],
            "current_ids": current_ids,
        },
    )


@login_required
def countries(request: HttpRequest) -> HttpResponse:
    """Countries with organisations in the directory, each linking to its stakeholder map."""
    listed = (
        policy.visible_to(request.user, Country)
        .annotate(
            organisation_count=Count("organisations", distinct=True),
            network_count=Count("networks", distinct=True),
        )
        .filter(Q(is_beneficiary=True) | Q(organisation_count__gt=0))
        .order_by("-is_beneficiary", "name")
    )
    return render(
        request,
        "directory/countries.html",
        {"countries": listed, "kosovo_footnote": country_table.KOSOVO_FOOTNOTE},
    )


@login_required
def country_map(request: HttpRequest, code: str) -> HttpResponse:
    """A country's organisations and the networks joining them: an SVG and the same as a table."""
    if len(code) != 2:
        raise Http404
    country = policy.get_visible_or_404(request.user, Country, code=code.upper())
    stakeholder_map = queries.country_map(request.user, country)
    net_boxes, org_boxes = stakeholder_map.boxes()
    return render(
        request,
        "directory/country_map.html",
        {
            "country": country,
            "map": stakeholder_map,
            "net_boxes": net_boxes,
            "org_boxes": org_boxes,
            "lines": stakeholder_map.lines(),
            "width": queries.WIDTH,
            "org_x": queries.ORG_X,
            "box_h": queries.BOX_H,
            "kosovo_footnote": country_table.KOSOVO_FOOTNOTE if country.code == "XK" else "",
        },
    )
