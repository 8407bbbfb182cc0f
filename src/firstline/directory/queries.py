"""Reads shared by the pages and the API: filters, and the stakeholder map of a country.

Every function takes a queryset the caller has already restricted with ``policy.visible_to``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from firstline import policy
from firstline.directory.models import Country, Membership, Network, NetworkLevel, Organisation


def filter_organisations(
    qs: QuerySet[Organisation],
    *,
    country: str | None = None,
    sector: str | None = None,
    level: str | None = None,
    q: str | None = None,
    parent: str | None = None,
) -> QuerySet[Organisation]:
    """Organisations by country code (``"none"`` for international ones), sector, level, text."""
    if country:
        if country.lower() == "none":
            qs = qs.filter(country__isnull=True)
        else:
            qs = qs.filter(country__code=country.upper())
    if sector:
        qs = qs.filter(sector=sector)
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__key=parent)
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(acronym__icontains=q)
            | Q(key__icontains=q)
            | Q(municipality__icontains=q)
        )
    return qs


def current(qs: QuerySet[Membership], today: dt.date | None = None) -> QuerySet[Membership]:
    """Memberships running today: started (or no start) and not ended (or no end)."""
    today = today or timezone.localdate()
    return qs.filter(Q(start__isnull=True) | Q(start__lte=today)).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )


# --- the stakeholder map -------------------------------------------------------------------

# Colours per network level (dark enough for 4.5:1 against white where used as text or lines).
LEVEL_COLOURS: dict[str, tuple[str, str]] = {
    NetworkLevel.POLITICAL: ("#6a2c91", "#efe5f6"),
    NetworkLevel.STRATEGIC: ("#0b4f8a", "#e3eef8"),
    NetworkLevel.OPERATIONAL: ("#9a4a00", "#fbeadb"),
    NetworkLevel.NATIONAL_PLATFORM: ("#1b6b35", "#e2f2e6"),
    NetworkLevel.LOCAL_SAFETY_COUNCIL: ("#4a4a4a", "#ececec"),
}
# Line style per membership role: (stroke width, dash pattern)
ROLE_STROKES = {
    "chair": ("3.5", ""),
    "member": ("1.5", ""),
    "observer": ("1.5", "6 4"),
    "focal_point": ("2", "2 3"),
}

WIDTH = 960
NET_W = 270
ORG_W = 390
BOX_H = 34
ROW = 44
TOP = 96  # below the legend
NET_X = 16
ORG_X = WIDTH - 16 - ORG_W
# ~7.5 px per character at 13 px: keep labels inside their boxes; the full name is the tooltip
NET_CHARS = 33
ORG_CHARS = 52


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Box:
    key: str
    label: str
    title: str
    x: int
    y: int
    width: int
    stroke: str = "#1a1a1a"
    fill: str = "#ffffff"

    @property
    def text_x(self) -> int:
        return self.x + 10

    @property
    def text_y(self) -> int:
        return self.y + BOX_H // 2 + 5

    @property
    def mid_y(self) -> int:
        return self.y + BOX_H // 2


@dataclass
class Line:
    x1: int
    y1: int
    x2: int
    y2: int
    colour: str
    width: str
    dash: str
    title: str


@dataclass
class CountryMap:
    """A country's organisations, the networks joining them, and who sits where with what role."""

    country: Country
    organisations: list[Organisation]
    networks: list[Network]
    # (organisation pk, network pk) -> role label
    roles: dict[tuple[int, int], str] = field(default_factory=dict)
    memberships: list[Membership] = field(default_factory=list)

    @property
    def matrix(self) -> list[tuple[Organisation, list[str]]]:
        """For the table: each organisation with its role in each network (or "")."""
        return [
            (org, [self.roles.get((org.pk, net.pk), "") for net in self.networks])
            for org in self.organisations
        ]

    @property
    def height(self) -> int:
        rows = max(len(self.organisations), len(self.networks), 1)
        return TOP + rows * ROW + 8

    def boxes(self) -> tuple[list[Box], list[Box]]:
        """Networks down the left, organisations down the right, each column centred."""
        span = max(len(self.organisations), len(self.networks), 1) * ROW

        def column(n: int) -> list[int]:
            step = span / max(n, 1)
            return [int(TOP + step * i + (step - BOX_H) / 2) for i in range(n)]

        net_boxes = []
        for net, y in zip(self.networks, column(len(self.networks)), strict=True):
            stroke, fill = LEVEL_COLOURS.get(net.level, ("#1a1a1a", "#ffffff"))
            title = f"{net.display_name} ({net.get_level_display()})"
            label = _label(net.acronym or net.display_name, NET_CHARS)
            net_boxes.append(Box(net.key, label, title, NET_X, y, NET_W, stroke, fill))
        org_boxes = []
        for org, y in zip(self.organisations, column(len(self.organisations)), strict=True):
            text = org.display_name
            label = _label(f"{org.acronym} — {text}" if org.acronym else text, ORG_CHARS)
            org_boxes.append(Box(org.key, label, text, ORG_X, y, ORG_W))
        return net_boxes, org_boxes

    def lines(self) -> list[Line]:
        net_boxes, org_boxes = self.boxes()
        nets = {b.key: b for b in net_boxes}
        orgs = {b.key: b for b in org_boxes}
        drawn = []
        for m in self.memberships:
            assert m.organisation is not None
            start, end = nets[m.network.key], orgs[m.organisation.key]
            colour = LEVEL_COLOURS.get(m.network.level, ("#1a1a1a", ""))[0]
            width, dash = ROLE_STROKES.get(m.role, ("1.5", ""))
            drawn.append(
                Line(
                    NET_X + NET_W,
                    start.mid_y,
                    ORG_X,
                    end.mid_y,
                    colour,
                    width,
                    dash,
                    f"{m.organisation.display_name}: {m.get_role_display()} — {m.network.display_name}",
                )
            )
        return drawn

    def legend(self) -> list[dict[str, Any]]:
        levels = []
        x = NET_X
        for level, label in NetworkLevel.choices:
            stroke, fill = LEVEL_COLOURS[level]
            levels.append({"x": x, "stroke": stroke, "fill": fill, "label": str(label)})
            x += 186
        return levels

    def role_legend(self) -> list[dict[str, Any]]:
        items = []
        x = NET_X
        for role, (width, dash) in ROLE_STROKES.items():
            label = str(dict(Membership._meta.get_field("role").flatchoices)[role])
            items.append({"x": x, "width": width, "dash": dash, "label": label})
            x += 150
        return items


def country_map(actor: Any, country: Country, today: dt.date | None = None) -> CountryMap:
    """The stakeholder map of ``country`` as ``actor`` may see it (current memberships only)."""
    orgs = list(
        policy.visible_to(actor, Organisation)
        .filter(country=country, is_active=True)
        .order_by("sector", "name")
    )
    memberships = list(
        current(policy.visible_to(actor, Membership), today)
        .filter(organisation__in=orgs)
        .select_related("network", "organisation")
        .order_by("network__level", "network__name", "organisation__name")
    )
    # one line per (organisation, network): the weightiest role if several periods overlap
    weight = {"chair": 0, "focal_point": 1, "member": 2, "observer": 3}
    memberships.sort(key=lambda m: weight.get(m.role, 9))
    unique: dict[tuple[int | None, int], Membership] = {}
    for m in memberships:
        unique.setdefault((m.organisation_id, m.network_id), m)
    memberships = list(unique.values())
    network_ids = {m.network_id for m in memberships}
    networks = list(
        policy.visible_to(actor, Network)
        .filter(Q(pk__in=network_ids) | Q(country=country))
        .order_by("level", "name")
    )
    # political → strategic → operational → national platform → local council
    order = {level: i for i, level in enumerate(NetworkLevel.values)}
    networks.sort(key=lambda n: (order.get(n.level, 99), n.name))
    # Organisations ordered by the mean position of their networks (the barycentre heuristic):
    # lines then run roughly parallel instead of crossing the whole diagram.
    position = {n.pk: i for i, n in enumerate(networks)}
    joined: dict[int, list[int]] = {}
    for m in memberships:
        assert m.organisation_id is not None
        joined.setdefault(m.organisation_id, []).append(position[m.network_id])

    def barycentre(org: Organisation) -> tuple[float, str, str]:
        spots = joined.get(org.pk)
        return (sum(spots) / len(spots) if spots else len(networks), org.sector, org.name)

    orgs.sort(key=barycentre)
    roles: dict[tuple[int, int], str] = {}
    for m in memberships:
        assert m.organisation_id is not None
        roles[(m.organisation_id, m.network_id)] = str(m.get_role_display())
    return CountryMap(country, orgs, networks, roles, memberships)
