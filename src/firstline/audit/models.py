"""The audit log of every access to personal data (Law Enforcement Directive, Art. 25)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Operation(models.TextChoices):
    COLLECT = "collect", _("Collection")
    ALTER = "alter", _("Alteration")
    CONSULT = "consult", _("Consultation")
    DISCLOSE = "disclose", _("Disclosure")
    COMBINE = "combine", _("Combination")
    ERASE = "erase", _("Erasure")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    EXPORT = "export", _("Export")
    KEY_CHANGE = "key_change", _("Key change")
    PERMISSION_CHANGE = "permission_change", _("Permission change")


class AuditEntry(models.Model):
    """One append-only log entry. ``seq`` is gapless and gives the Merkle leaf index."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor_user = models.CharField(max_length=64, blank=True)
    actor_organisation = models.CharField(max_length=64, blank=True)
    actor_node = models.CharField(max_length=128, blank=True)
    operation = models.CharField(max_length=32, choices=Operation.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_ids = models.JSONField(default=list)
    subjects = models.JSONField(default=list)
    recipients = models.JSONField(default=list)
    justification = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=32, default="success")
    canonical = models.TextField()
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.operation} {self.object_type}"


class LogState(models.Model):
    """A single row locked by every writer, so that sequence numbers never fork."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log of {self.size} entries"
