"""From outcome to action: recommendations, plans of action, actions and their progress."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firstline.coordination.models.common import Marked, PolicyLevel, translated
from firstline.coordination.models.events import Event
from firstline.directory.models import Country, Network, Organisation


class RecommendationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AGREED = "agreed", _("Agreed")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class Recommendation(Marked):
    """A policy recommendation, usually the outcome of an event, followed until realised."""

    text = models.TextField(_("text"))
    text_translations = models.JSONField(_("text in other languages"), default=dict, blank=True)
    event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        related_name="recommendations",
        null=True,
        blank=True,
        verbose_name=_("source event"),
    )
    level = models.CharField(_("level"), max_length=16, choices=PolicyLevel.choices)
    addressee_organisations = models.ManyToManyField(
        Organisation, related_name="recommendations", blank=True
    )
    addressee_networks = models.ManyToManyField(Network, related_name="recommendations", blank=True)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="recommendations", null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.PROPOSED,
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supersedes"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="recorded_recommendations",
        null=True,
        help_text="The organisation that recorded it.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"R{self.pk}: {self.text[:60]}"

    @property
    def display_text(self) -> str:
        return translated(self.text, self.text_translations)

    @property
    def ref(self) -> str:
        return f"R{self.pk}"


class RecommendationChange(models.Model):
    """One change to a recommendation: the fields changed (old and new values) and why."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="history"
    )
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"change of R{self.recommendation_id} at {self.at:%Y-%m-%d %H:%M}"


class PlanKind(models.TextChoices):
    NATIONAL = "national_action_plan", _("National action plan")
    REGIONAL = "regional_integrated_plan", _("Regional integrated plan")


class Plan(Marked):
    """A plan of action: a national strategy's action plan or the regional integrated plan."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=PlanKind.choices)
    title = models.CharField(_("title"), max_length=255)
    title_translations = models.JSONField(default=dict, blank=True)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="plans", null=True, blank=True
    )
    network = models.ForeignKey(
        Network, on_delete=models.PROTECT, related_name="plans", null=True, blank=True
    )
    coordinator = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="coordinated_plans",
        verbose_name=_("coordinating organisation"),
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return translated(self.title, self.title_translations)


class Objective(models.Model):
    """An objective of a plan; actions realise it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(_("code"), max_length=32)
    title = models.CharField(_("title"), max_length=500)

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="objective_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which an action still has to be done (and can therefore be overdue).
OPEN_STATUSES = (ActionStatus.NOT_STARTED, ActionStatus.IN_PROGRESS, ActionStatus.SUSPENDED)


class Action(models.Model):
    """One action of a plan: an owner organisation answers for it and reports progress."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="actions")
    code = models.CharField(_("code"), max_length=32)
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="owned_actions",
        verbose_name=_("owner organisation"),
    )
    contributors = models.ManyToManyField(
        Organisation,
        related_name="contributed_actions",
        blank=True,
        verbose_name=_("contributing organisations"),
    )
    level = models.CharField(_("level"), max_length=16, choices=PolicyLevel.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    start = models.DateField(_("start"), null=True, blank=True)
    due = models.DateField(_("due"), null=True, blank=True)
    indicator = models.TextField(_("indicator"), blank=True)
    baseline = models.CharField(_("baseline"), max_length=255, blank=True)
    target = models.CharField(_("target"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    recommendations = models.ManyToManyField(
        Recommendation, related_name="actions", blank=True, verbose_name=_("recommendations")
    )
    completed_on = models.DateField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="action_code_unique"),
            models.CheckConstraint(
                condition=Q(due__isnull=True) | Q(start__isnull=True) | Q(due__gte=F("start")),
                name="action_due_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "status"]),
            models.Index(fields=["status", "due"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def is_overdue(self, today: dt.date) -> bool:
        return bool(self.due and self.due < today and self.status in OPEN_STATUSES)

    @property
    def overdue_now(self) -> bool:
        return self.is_overdue(timezone.localdate())


class ProgressUpdate(models.Model):
    """A report of progress on an action, with evidence: text, a document, a link."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="progress_updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    text = models.TextField(_("progress"))
    link = models.URLField(_("evidence link"), blank=True, max_length=500)
    document = models.FileField(
        _("evidence document"), upload_to="coordination/evidence/%Y/%m/", blank=True
    )
    document_name = models.CharField(max_length=255, blank=True)
    status_after = models.CharField(
        _("status after"), max_length=16, choices=ActionStatus.choices, blank=True
    )
    indicator_value = models.CharField(_("indicator value"), max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["action", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"progress on {self.action_id} at {self.at:%Y-%m-%d}"


class DigestDelivery(models.Model):
    """That a user got the overdue digest of a day: makes the daily task safe to run twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    actions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day")]

    def __str__(self) -> str:
        return f"digest for user {self.user_id} on {self.day}"
