"""Directory pages: thin views over the policy door and ``queries``.

A page that shows people writes one CONSULT audit entry naming them, in the transaction that
read them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from firstline import policy
from firstline.core.problems import Problem
from firstline.directory import countries as country_table
from firstline.directory import queries, services
from firstline.directory.forms import (
    NetworkFilterForm,
    OrganisationFilterForm,
    OrganisationForm,
    PersonForm,
    ServiceForm,
    UnitForm,
)
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
MEMBERS_PAGE_SIZE = 100  # per list of a network's members


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
        request,
        "directory/organisations.html",
        {
            "form": form,
            "page": page,
            "can_add": policy.can(request.user, policy.ADD, Organisation),
        },
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
        "can_add_unit": policy.can(actor, policy.ADD, Unit(organisation=org)),
        "can_add_person": policy.can(actor, policy.ADD, Person(organisation=org)),
        "editable_people": {p.pk for p in people if policy.can(actor, policy.CHANGE, p)},
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
        members = policy.visible_to(actor, Membership).filter(network=net)
        # a regional network may have thousands of members: both lists come a page at a time,
        # and only the people on the page shown are read (and logged)
        organisations = Paginator(
            members.filter(organisation__isnull=False)
            .select_related("organisation__country")
            .order_by("role", "organisation__name", "start", "pk"),
            MEMBERS_PAGE_SIZE,
        ).get_page(request.GET.get("organisations"))
        people = Paginator(
            members.filter(person__isnull=False)
            .select_related("person__organisation")
            .order_by("role", "person__family_name", "person__given_name", "start", "pk"),
            MEMBERS_PAGE_SIZE,
        ).get_page(request.GET.get("people"))
        services.record_consultation(
            actor, [m.person_id for m in people.object_list], request=request
        )
    shown = [m.pk for m in (*organisations.object_list, *people.object_list)]
    current_ids = set(
        queries.current(Membership.objects.filter(pk__in=shown)).values_list("pk", flat=True)
    )
    return render(
        request,
        "directory/network.html",
        {
            "network": net,
            "organisation_page": organisations,
            "person_page": people,
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


# --- editing: administrators, through the same services as the API ----------------------------


def _form_page(
    request: HttpRequest,
    form: ServiceForm,
    save: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    back: str,
    done: str,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``save`` and go ``back``; a Problem goes by field."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.data_for_service())
        except Problem as problem:
            form.add_problem(problem.errors)
        else:
            messages.success(request, done)
            return redirect(back)
    return render(request, "directory/form.html", {"form": form, "title": title, "back": back})


def _confirm_delete(
    request: HttpRequest, delete: Callable[[], None], *, what: str, back: str, done: str
) -> HttpResponse:
    errors: list[dict[str, Any]] = []
    if request.method == "POST":
        try:
            delete()
        except Problem as problem:
            errors = problem.errors or [{"field": "", "reason": problem.detail}]
        else:
            messages.success(request, done)
            return redirect(back)
    return render(
        request, "directory/confirm_delete.html", {"what": what, "back": back, "errors": errors}
    )


def _require(actor: Any, action: str, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise PermissionDenied


def _org_url(org: Organisation) -> str:
    return reverse("directory:organisation", args=[org.key])


def _units_of(actor: Any, org: Organisation) -> list[tuple[str, str]]:
    return [
        (u.key, u.name)
        for u in policy.visible_to(actor, Unit).filter(organisation=org).order_by("name")
    ]


@login_required
def organisation_add(request: HttpRequest) -> HttpResponse:
    """A new organisation (node administrators)."""
    _require(request.user, policy.ADD, Organisation)
    form = OrganisationForm(request.POST or None, creating=True)
    return _form_page(
        request,
        form,
        lambda data: services.create_organisation(request.user, data, request=request),
        title=_("Add an organisation"),
        back=reverse("directory:organisations"),
        done=_("The organisation was added."),
    )


@login_required
def organisation_edit(request: HttpRequest, key: str) -> HttpResponse:
    org = policy.get_visible_or_404(request.user, Organisation, key=key)
    _require(request.user, policy.CHANGE, org)
    initial: dict[str, Any] = {
        "name": org.name,
        "acronym": org.acronym,
        "sector": org.sector,
        "level": org.level,
        "country": org.country.code if org.country else "",
        "municipality": org.municipality,
        "parent": org.parent.key if org.parent else "",
        "website": org.website,
        "email": org.email,
        "is_active": org.is_active,
        **{f"name_{lang}": text for lang, text in org.names.items()},
    }
    form = OrganisationForm(request.POST or None, initial=initial, creating=False)
    return _form_page(
        request,
        form,
        lambda data: services.update_organisation(request.user, org, data, request=request),
        title=_("Change %(name)s") % {"name": org.display_name},
        back=_org_url(org),
        done=_("The organisation was changed."),
    )


@login_required
def unit_add(request: HttpRequest, key: str) -> HttpResponse:
    org = policy.get_visible_or_404(request.user, Organisation, key=key)
    _require(request.user, policy.ADD, Unit(organisation=org))
    form = UnitForm(request.POST or None, units=_units_of(request.user, org), creating=True)
    return _form_page(
        request,
        form,
        lambda data: services.create_unit(
            request.user, {**data, "organisation": org.key}, request=request
        ),
        title=_("Add a unit to %(name)s") % {"name": org.display_name},
        back=_org_url(org),
        done=_("The unit was added."),
    )


@login_required
def unit_edit(request: HttpRequest, key: str, unit_key: str) -> HttpResponse:
    unit = policy.get_visible_or_404(request.user, Unit, key=unit_key, organisation__key=key)
    _require(request.user, policy.CHANGE, unit)
    units = [u for u in _units_of(request.user, unit.organisation) if u[0] != unit.key]
    initial = {"name": unit.name, "parent": unit.parent.key if unit.parent else ""}
    form = UnitForm(request.POST or None, initial=initial, units=units, creating=False)
    return _form_page(
        request,
        form,
        lambda data: services.update_unit(request.user, unit, data, request=request),
        title=_("Change the unit %(name)s") % {"name": unit.name},
        back=_org_url(unit.organisation),
        done=_("The unit was changed."),
    )


@login_required
def unit_delete(request: HttpRequest, key: str, unit_key: str) -> HttpResponse:
    unit = policy.get_visible_or_404(request.user, Unit, key=unit_key, organisation__key=key)
    _require(request.user, policy.DELETE, unit)
    return _confirm_delete(
        request,
        lambda: services.delete_unit(request.user, unit, request=request),
        what=_("the unit %(name)s") % {"name": unit.name},
        back=_org_url(unit.organisation),
        done=_("The unit was removed."),
    )


@login_required
def person_add(request: HttpRequest, key: str) -> HttpResponse:
    org = policy.get_visible_or_404(request.user, Organisation, key=key)
    _require(request.user, policy.ADD, Person(organisation=org))
    form = PersonForm(request.POST or None, units=_units_of(request.user, org), creating=True)
    return _form_page(
        request,
        form,
        lambda data: services.create_person(
            request.user, {**data, "organisation": org.key}, request=request
        ),
        title=_("Add a person to %(name)s") % {"name": org.display_name},
        back=_org_url(org),
        done=_("The person was added."),
    )


@login_required
def person_edit(request: HttpRequest, key: str, person_key: str) -> HttpResponse:
    actor = request.user
    with transaction.atomic():
        person = policy.get_visible_or_404(actor, Person, key=person_key, organisation__key=key)
        _require(actor, policy.CHANGE, person)
        if request.method != "POST":  # the form shows the person's data: a consultation
            services.record_consultation(actor, [person.pk], request=request)
    initial = {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "role": person.role,
        "unit": person.unit.key if person.unit else "",
        "email": person.email,
        "phone": person.phone,
    }
    form = PersonForm(
        request.POST or None,
        initial=initial,
        units=_units_of(actor, person.organisation),
        creating=False,
    )
    return _form_page(
        request,
        form,
        lambda data: services.update_person(actor, person, data, request=request),
        title=_("Change a person's details"),
        back=_org_url(person.organisation),
        done=_("The person's details were changed."),
    )


@login_required
def person_delete(request: HttpRequest, key: str, person_key: str) -> HttpResponse:
    person = policy.get_visible_or_404(request.user, Person, key=person_key, organisation__key=key)
    _require(request.user, policy.DELETE, person)
    return _confirm_delete(
        request,
        lambda: services.delete_person(request.user, person, request=request),
        what=_("this person, with their memberships and focal-point designations"),
        back=_org_url(person.organisation),
        done=_("The person was removed."),
    )
