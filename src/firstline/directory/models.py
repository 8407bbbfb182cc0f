"""Who is who: countries, organisations, units, people, networks and their memberships.

Organisations, networks, units and people carry a ``key``: a stable, human-readable natural key
(``al-asp-ctu``) that the CSV files use to refer to each other, so that export → import → export
reproduces the same file on any node.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    POLICE = "police", _("Police")
    PROSECUTION = "prosecution", _("Prosecution")
    JUDICIARY = "judiciary", _("Judiciary")
    INTELLIGENCE = "intelligence", _("Intelligence")
    INTERIOR_MINISTRY = "interior_ministry", _("Interior ministry")
    JUSTICE_MINISTRY = "justice_ministry", _("Justice ministry")
    SOCIAL_WELFARE = "social_welfare", _("Social welfare")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    PRISON_PROBATION = "prison_probation", _("Prison and probation")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    RELIGIOUS_COMMUNITY = "religious_community", _("Religious community")
    CIVIL_SOCIETY = "civil_society", _("Civil society")
    INTERNATIONAL = "international", _("International organisation")
    OTHER = "other", _("Other")


# Sectors whose users are law-enforcement officers (for modi operandi and the like).
LAW_ENFORCEMENT_SECTORS = frozenset(
    {Sector.POLICE, Sector.PROSECUTION, Sector.INTELLIGENCE, Sector.INTERIOR_MINISTRY}
)


class Level(models.TextChoices):
    NATIONAL = "national", _("National")
    REGIONAL = "regional", _("Regional")
    LOCAL = "local", _("Local")


class NetworkLevel(models.TextChoices):
    POLITICAL = "political", _("Political")
    STRATEGIC = "strategic", _("Strategic")
    OPERATIONAL = "operational", _("Operational")
    NATIONAL_PLATFORM = "national_platform", _("National P/CVE platform")
    LOCAL_SAFETY_COUNCIL = "local_safety_council", _("Local safety council")


class MembershipRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    MEMBER = "member", _("Member")
    OBSERVER = "observer", _("Observer")
    FOCAL_POINT = "focal_point", _("Focal point")


class Translated(models.Model):
    """A ``name`` plus ``names`` = {language code: name}; ``display_name`` picks the reader's."""

    name = models.CharField(_("name"), max_length=255)
    names = models.JSONField(_("names in other languages"), default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localised_name(self.name, self.names, get_language())


def localised_name(name: str, names: dict[str, str] | None, language: str | None) -> str:
    """``names`` in ``language`` (or its base language), else ``name``: ``display_name`` for a
    row read with ``values()``."""
    if names:
        lang = (language or "en").lower()
        for candidate in (lang, lang.split("-")[0]):
            if names.get(candidate):
                return str(names[candidate])
    return name


class Country(models.Model):
    """A country (ISO 3166-1 alpha-2; XK for Kosovo, a user-assigned code)."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    names = models.JSONField(_("names in other languages"), default=dict, blank=True)
    is_beneficiary = models.BooleanField(
        _("Western Balkan beneficiary"),
        default=False,
        help_text=_("One of the six beneficiaries of the regional P/CVE work."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        lang = (get_language() or "en").lower().split("-")[0]
        return str(self.names.get(lang) or self.name)


class Organisation(Translated):
    """A competent body: ministry, police unit, school authority, municipality, NGO..."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    acronym = models.CharField(_("acronym"), max_length=32, blank=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="organisations",
        null=True,
        blank=True,
        help_text=_("Empty for international organisations."),
    )
    municipality = models.CharField(_("municipality"), max_length=128, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="children", null=True, blank=True
    )
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country__code", "name"]
        indexes = [models.Index(fields=["sector", "level"])]

    @property
    def is_law_enforcement(self) -> bool:
        return self.sector in LAW_ENFORCEMENT_SECTORS


class Unit(models.Model):
    """A department or unit inside an organisation (e.g. a counter-terrorism unit)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="units")
    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="children", null=True, blank=True
    )

    class Meta:
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A professional contact: their role in their organisation. Personal data: reads are logged."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, related_name="people", null=True, blank=True
    )
    given_name = models.CharField(_("given name"), max_length=128)
    family_name = models.CharField(_("family name"), max_length=128)
    role = models.CharField(_("role"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="person",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"


class Network(Translated):
    """A network of organisations and people: regional networks, national platforms, councils."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    acronym = models.CharField(_("acronym"), max_length=32, blank=True)
    level = models.CharField(_("level"), max_length=32, choices=NetworkLevel.choices)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="networks",
        null=True,
        blank=True,
        help_text=_(
            "For national platforms and local safety councils; empty for regional networks."
        ),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["level", "name"]


class Membership(models.Model):
    """An organisation or a person in a network, with a role and a period."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", null=True, blank=True
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="memberships", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices)
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["network", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(person__isnull=True))
                | (Q(organisation__isnull=True) & Q(person__isnull=False)),
                name="membership_org_xor_person",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True)
                | Q(start__isnull=True)
                | Q(end__gte=models.F("start")),
                name="membership_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        member = self.organisation or self.person
        return f"{member} in {self.network} ({self.role})"


class FocalPoint(models.Model):
    """A person designated as a country's focal point for a topic (e.g. CVE, FTF, SIENA)."""

    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="focal_points")
    topic = models.CharField(_("topic"), max_length=128)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="focal_points")
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["country", "topic"]

    def __str__(self) -> str:
        return f"{self.country.code} {self.topic}: {self.person}"
