"""Who may read and change knowledge items.

An item reaches a reader when all of these hold:

- **clearance**: the reader is cleared for the item's classification (``policy.cleared_for``);
- **sector**: a modus operandi reaches only users of law-enforcement organisations
  (``directory.models.LAW_ENFORCEMENT_SECTORS``);
- **scope, capped by TLP**:
  - the owning organisation always sees its own items;
  - ``national``: organisations of the owner's country (the national platform);
  - ``network``: organisations with a current membership of one of the item's networks;
  - ``public``: every signed-in user, and for TLP:CLEAR (unclassified, not a modus operandi)
    anyone without an account, through the public catalogue;
  - TLP caps the scope: TLP:RED never leaves the owning organisation, only GREEN and CLEAR go
    public (the services refuse other combinations, and the query enforces the cap anyway).

``readable(actor)`` is the one queryset every page, API endpoint, search, feed and export
uses; ``policy.visible_to(actor, Item)`` gives the same for signed-in actors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from firstline import policy
from firstline.accounts.models import Role
from firstline.directory.models import LAW_ENFORCEMENT_SECTORS, Membership, Organisation
from firstline.knowledge.models import (
    Attachment,
    Item,
    ItemVersion,
    Kind,
    Scope,
    SearchDocument,
    Tlp,
    Translation,
)

EXPORT = "export"
TRANSLATE = "translate"
READ_ACTIONS = (policy.VIEW, EXPORT)
policy.add_action("knowledge", EXPORT)  # an API key may be allowed to export PDFs

# Roles that write knowledge: everyone working in an organisation except the data protection
# officer, whose work is oversight.
AUTHOR_ROLES = frozenset({Role.PRACTITIONER, Role.COORDINATOR, Role.ANALYST, Role.ORG_ADMIN})


def _organisation(actor: Any) -> Organisation | None:
    org_id = getattr(actor, "organisation_id", None)
    if not org_id:
        return None
    return Organisation.objects.only("id", "sector", "country_id").filter(pk=org_id).first()


def is_law_enforcement(actor: Any) -> bool:
    """Does the actor work for a law-enforcement organisation (police, prosecution, ...)?"""
    org = _organisation(actor)
    return org is not None and org.sector in LAW_ENFORCEMENT_SECTORS


def cleared_levels(actor: Any) -> list[str]:
    """The classification levels the actor may read."""
    return [level for level in settings.CLASSIFICATION_LEVELS if policy.cleared_for(actor, level)]


def current_memberships(organisation_id: int | None) -> QuerySet[Membership]:
    """The organisation's network memberships that are in force today."""
    if organisation_id is None:  # never the memberships of people, which have no organisation
        return Membership.objects.none()
    today = timezone.localdate()
    return (
        Membership.objects.filter(organisation_id=organisation_id)
        .filter(Q(start__isnull=True) | Q(start__lte=today))
        .filter(Q(end__isnull=True) | Q(end__gte=today))
    )


def public_items(qs: QuerySet[Item] | None = None) -> QuerySet[Item]:
    """The public catalogue: TLP:CLEAR, public scope, unclassified, never a modus operandi."""
    base = Item.objects.all() if qs is None else qs
    return base.filter(
        tlp=Tlp.CLEAR, scope=Scope.PUBLIC, classification=settings.CLASSIFICATION_LEVELS[0]
    ).exclude(kind=Kind.MODUS_OPERANDI)


def _reach(actor: Any, qs: QuerySet[Item]) -> QuerySet[Item]:
    """Items within the actor's reach by marking, scope, country, network, sector, clearance."""
    org = _organisation(actor)
    qs = qs.filter(classification__in=cleared_levels(actor))
    if org is None or org.sector not in LAW_ENFORCEMENT_SECTORS:
        qs = qs.exclude(kind=Kind.MODUS_OPERANDI)
    reach = Q(scope=Scope.PUBLIC, tlp__in=[Tlp.GREEN, Tlp.CLEAR])
    if org is not None:
        reach |= Q(owner_id=org.pk)
        shared = ~Q(tlp=Tlp.RED)
        if org.country_id is not None:
            # a subquery rather than a join: the few organisations of the country are
            # listed once, instead of looking up the owner of every candidate row
            compatriots = Organisation.objects.filter(country_id=org.country_id).values("pk")
            reach |= shared & Q(scope=Scope.NATIONAL, owner_id__in=compatriots)
        networks = current_memberships(org.pk).values("network_id")
        # correlated EXISTS: probed per candidate row through the (item, network) index,
        # rather than materialising every networked item on each query
        in_network = Exists(
            Item.networks.through.objects.filter(item_id=OuterRef("pk"), network_id__in=networks)
        )
        reach |= Q(shared, Q(scope=Scope.NETWORK), in_network)
    return qs.filter(reach)


def _visible_items(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    if action in READ_ACTIONS:
        return _reach(actor, qs)
    if action == TRANSLATE:
        if not getattr(actor, "organisation_id", None) or actor.role not in AUTHOR_ROLES:
            return qs.none()
        return _reach(actor, qs)
    if action == policy.CHANGE:
        if not getattr(actor, "organisation_id", None) or actor.role not in AUTHOR_ROLES:
            return qs.none()
        return _reach(actor, qs).filter(owner_id=actor.organisation_id)
    return qs.none()


def _can_item(actor: Any, action: str, obj: Any) -> bool:
    if isinstance(obj, type):
        return (
            action == policy.ADD
            and bool(getattr(actor, "organisation_id", None))
            and actor.role in AUTHOR_ROLES
        )
    return _visible_items(actor, Item.objects.filter(pk=obj.pk), action).exists()


def _item_part_visible(actor: Any, qs: QuerySet[Any], action: str) -> QuerySet[Any]:
    """Versions, translations, attachments and search documents follow their item."""
    if action not in READ_ACTIONS:
        return qs.none()
    return qs.filter(item__in=_reach(actor, Item.objects.all()).values("pk"))


def _can_item_part(actor: Any, action: str, obj: Any) -> bool:
    if isinstance(obj, type) or action not in READ_ACTIONS:
        return False
    return _reach(actor, Item.objects.filter(pk=obj.item_id)).exists()


def readable(actor: Any, action: str = policy.VIEW) -> QuerySet[Item]:
    """The items ``actor`` may read: ``visible_to`` when signed in, else the public catalogue."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return public_items() if action in READ_ACTIONS else Item.objects.none()
    return policy.visible_to(actor, Item, action)


policy.register(Item, can=_can_item, visible=_visible_items)
for _model in (ItemVersion, Translation, Attachment, SearchDocument):
    policy.register(_model, can=_can_item_part, visible=_item_part_visible)
