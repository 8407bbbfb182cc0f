"""The knowledge base: practices, lessons learned, policy documents, indicators in context,
modi operandi and research, each marked, scoped, versioned and translated.

An ``Item`` holds what does not change with the language (kind, marking, sharing scope, owner,
country, year, approach, target groups); its text lives in ``ItemVersion`` rows, one per edit,
each in one language. ``Translation`` points at the newest version in each language, so lists
and the "needs translation" queue need no aggregate over the history.

Indicator guidance describes signs in situations, with their contextualisation; there is no
link from any item to a person, and First Line never applies an indicator to anyone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firstline.accounts.models import default_clearance, validate_clearance


class Kind(models.TextChoices):
    PRACTICE = "practice", _("Practice")
    LESSON = "lesson", _("Lesson learned")
    POLICY = "policy", _("Policy document")
    INDICATOR = "indicator", _("Indicator guidance")
    MODUS_OPERANDI = "modus_operandi", _("Modus operandi")
    RESEARCH = "research", _("Research")


class Approach(models.TextChoices):
    """The approaches of the Radicalisation Awareness Network's collection of practices."""

    TRAINING = "training", _("Training for first-line practitioners")
    EXIT = "exit", _("Exit strategies")
    COMMUNITY = "community", _("Community engagement and empowerment")
    EDUCATION = "education", _("Education and young people")
    FAMILY = "family", _("Family support")
    MULTI_AGENCY = "multi_agency", _("Multi-agency cooperation")
    PRISON = "prison", _("Prison and probation")
    NARRATIVES = "narratives", _("Communication and narratives")
    RETURNEES = "returnees", _("Returnees and their families")
    POLICING = "policing", _("Local policing")


class TargetGroup(models.TextChoices):
    PRACTITIONERS = "practitioners", _("First-line practitioners")
    YOUTH = "youth", _("Young people, pupils and students")
    FAMILIES = "families", _("Families")
    TEACHERS = "teachers", _("Teachers and educators")
    SOCIAL_WORKERS = "social_workers", _("Social workers")
    HEALTH = "health", _("Health practitioners")
    POLICE = "police", _("Police and law enforcement")
    PRISON_STAFF = "prison_staff", _("Prison and probation staff")
    RELIGIOUS = "religious", _("Religious leaders and communities")
    COMMUNITIES = "communities", _("Local communities")
    CIVIL_SOCIETY = "civil_society", _("Civil society organisations")
    POLICY_MAKERS = "policy_makers", _("Policy makers and local authorities")
    RETURNEES = "returnees", _("Returnees and their families")
    FORMERS = "formers", _("Former extremists")
    VICTIMS = "victims", _("Victims of terrorism")
    GENERAL_PUBLIC = "general_public", _("General public")


class Tlp(models.TextChoices):
    """TLP 2.0 (FIRST, 2022): who may receive it."""

    RED = "RED", _("TLP:RED")
    AMBER_STRICT = "AMBER+STRICT", _("TLP:AMBER+STRICT")
    AMBER = "AMBER", _("TLP:AMBER")
    GREEN = "GREEN", _("TLP:GREEN")
    CLEAR = "CLEAR", _("TLP:CLEAR")


class Scope(models.TextChoices):
    ORGANISATION = "organisation", _("My organisation")
    NATIONAL = "national", _("National platform (same country)")
    NETWORK = "network", _("Chosen networks")
    PUBLIC = "public", _("Public")


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class Item(models.Model):
    """One piece of knowledge, language-independent: marking, scope, owner and metadata.

    ``version`` is the number of the newest version in any language; an edit names the version
    it started from, and a mismatch means someone else changed the item meanwhile.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="knowledge_items",
        verbose_name=_("owner organisation"),
    )
    tlp = models.CharField(_("TLP"), max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    classification = models.CharField(
        _("classification"),
        max_length=32,
        default=default_clearance,
        validators=[validate_clearance],
    )
    scope = models.CharField(
        _("sharing scope"), max_length=16, choices=Scope.choices, default=Scope.ORGANISATION
    )
    networks = models.ManyToManyField(
        "directory.Network",
        related_name="knowledge_items",
        blank=True,
        verbose_name=_("networks"),
        help_text=_("With the network scope: the networks whose member organisations may read it."),
    )
    original_language = models.CharField(_("original language"), max_length=10)
    country = models.ForeignKey(
        "directory.Country",
        on_delete=models.PROTECT,
        related_name="knowledge_items",
        null=True,
        blank=True,
        verbose_name=_("country"),
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    approach = models.CharField(_("approach"), max_length=20, choices=Approach.choices, blank=True)
    related = models.ManyToManyField("self", blank=True, verbose_name=_("related items"))
    presented_at = models.CharField(
        _("presented at"),
        max_length=300,
        blank=True,
        help_text=_("The event where this was presented (name, place, date)."),
    )
    presented_at_url = models.URLField(_("presented at (link)"), blank=True)
    facet_codes = models.CharField(
        max_length=600,
        blank=True,
        editable=False,
        help_text="Derived: 'tg:<group>' and 'lang:<code>' words, kept by the services so one "
        "grouped query counts every facet (the truth is in target_groups and translations).",
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    original_version = models.PositiveIntegerField(
        _("newest version in the original language"), default=0
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "country"]),
            models.Index(fields=["scope", "tlp"]),
            models.Index(fields=["country", "year"]),
            models.Index(fields=["updated_at"]),
        ]
        constraints = [
            # TLP:RED never leaves the owning organisation; only CLEAR and GREEN go public.
            models.CheckConstraint(
                condition=~Q(tlp=Tlp.RED) | Q(scope=Scope.ORGANISATION),
                name="knowledge_red_stays_in_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(scope=Scope.PUBLIC) | Q(tlp__in=[Tlp.GREEN, Tlp.CLEAR]),
                name="knowledge_public_is_green_or_clear",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.MODUS_OPERANDI) | ~Q(scope=Scope.PUBLIC),
                name="knowledge_modus_operandi_never_public",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_restricted(self) -> bool:
        """Reads of restricted items are written to the audit log."""
        return self.kind == Kind.MODUS_OPERANDI or self.tlp in (Tlp.RED, Tlp.AMBER_STRICT)

    @property
    def is_public(self) -> bool:
        return (
            self.tlp == Tlp.CLEAR
            and self.scope == Scope.PUBLIC
            and self.kind != Kind.MODUS_OPERANDI
            and self.classification == settings.CLASSIFICATION_LEVELS[0]
        )


class ItemTargetGroup(models.Model):
    """A target group of an item (a row each, so search can count them as a facet)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="target_groups")
    group = models.CharField(_("target group"), max_length=20, choices=TargetGroup.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "group"], name="knowledge_target_group_once")
        ]
        indexes = [models.Index(fields=["group"])]

    def __str__(self) -> str:
        return self.get_group_display()


class ItemVersion(models.Model):
    """One edit of an item's text in one language; never changed once written.

    ``based_on`` is the original-language version a translation reflects (for an original it
    is its own number); a translation whose ``based_on`` lags ``Item.original_version`` needs
    updating. ``metadata`` keeps the item's marking and metadata as they were after this edit,
    so the history shows when a marking changed.
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=300)
    fields = models.JSONField(_("text"), default=dict)
    metadata = models.JSONField(_("metadata"), default=dict)
    based_on = models.PositiveIntegerField(_("based on original version"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="knowledge_versions",
        null=True,
        blank=True,
    )
    author_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="knowledge_versions",
        null=True,
        blank=True,
    )
    note = models.CharField(_("change note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="knowledge_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} v{self.number} ({self.language})"


class Translation(models.Model):
    """The current text of an item in one language: its newest version there."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10)
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    based_on = models.PositiveIntegerField(_("based on original version"))

    class Meta:
        ordering = ["item", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "language"], name="knowledge_translation_once_per_language"
            )
        ]
        indexes = [models.Index(fields=["language", "item"])]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"


SLOTS_PER_ITEM = 64  # languages an item's search documents can take; the id encodes the item


class SearchDocument(models.Model):
    """The folded text of one translation, indexed for full-text search.

    The id is ``item_id * SLOTS_PER_ITEM + slot``, so a full-text hit yields the item id by
    arithmetic, without reading this table: on large result sets that lookup would cost more
    than the search itself.

    On SQLite the service layer mirrors ``text`` into the FTS5 table ``knowledge_fts`` (rowid =
    this id); on PostgreSQL a generated ``tsvector`` column with a GIN index sits beside
    ``text``. Both are created by migration 0002 for their vendor only.
    """

    id = models.BigIntegerField(primary_key=True)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="search_documents")
    language = models.CharField(max_length=10)
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "language"], name="knowledge_search_doc_once")
        ]

    def __str__(self) -> str:
        return f"search document {self.item_id} [{self.language}]"


def attachment_path(instance: Attachment, filename: str) -> str:
    # the stored name is random; the original name is kept in ``name`` for downloads
    return f"knowledge/{instance.item_id}/{instance.key}"


class Attachment(models.Model):
    """A file attached to an item, stored under MEDIA_ROOT; readable by whoever reads the item."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["item", "name"]

    def __str__(self) -> str:
        return self.name
