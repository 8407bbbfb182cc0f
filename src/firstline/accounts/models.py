"""User accounts: each user belongs to one organisation, has a role and a clearance."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PRACTITIONER = "practitioner", _("First-line practitioner")
    COORDINATOR = "coordinator", _("Coordinator")
    ANALYST = "analyst", _("Analyst (law-enforcement officer)")
    DPO = "dpo", _("Data protection officer")
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    NODE_ADMIN = "node_admin", _("Node administrator")


def validate_clearance(value: str) -> None:
    if value not in settings.CLASSIFICATION_LEVELS:
        raise ValidationError(
            _("%(value)s is not a classification level of this node (%(levels)s)"),
            params={"value": value, "levels": ", ".join(settings.CLASSIFICATION_LEVELS)},
        )


def default_clearance() -> str:
    return str(settings.CLASSIFICATION_LEVELS[0])


class User(AbstractUser):
    """A person who logs in. Belongs to one organisation; acts within its role and clearance."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("Every user except a node administrator belongs to one organisation."),
    )
    role = models.CharField(
        _("role"), max_length=16, choices=Role.choices, default=Role.PRACTITIONER
    )
    clearance = models.CharField(
        _("clearance"), max_length=32, default=default_clearance, validators=[validate_clearance]
    )
    language = models.CharField(_("preferred language"), max_length=10, blank=True)
    is_demo = models.BooleanField(
        _("demo account"),
        default=False,
        help_text=_("May skip two-factor sign-in, and only while the node runs in demo mode."),
    )

    def has_scope(self, scope: str) -> bool:
        """A signed-in person acts with every scope their role allows; API keys narrow it."""
        return True

    @property
    def is_node_admin(self) -> bool:
        return self.role == Role.NODE_ADMIN

    @property
    def actor_label(self) -> str:
        return f"user:{self.pk}"


class ThrottleKind(models.TextChoices):
    USERNAME = "username", _("username")
    ADDRESS = "address", _("network address")


class LoginThrottle(models.Model):
    """Failed sign-in attempts against one username or from one network address.

    One row per (kind, key). The key of a username is the name as typed (case-folded), whether
    or not an account has it, so a lockout never tells an attacker which accounts exist.
    ``locked_until`` is set once ``failures`` reaches the threshold and doubles with each further
    failure (see ``accounts.lockout``).
    """

    kind = models.CharField(max_length=16, choices=ThrottleKind.choices)
    key = models.CharField(max_length=190)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="accounts_throttle_kind_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} ({self.failures})"


class ApiKey(models.Model):
    """An organisation's key for system-to-system use of the API.

    The secret is shown once, when the key is created; only its SHA-256 digest is stored (see
    ``accounts.apikeys`` for why a fast hash is right here). ``prefix`` is the public part of the
    key, used to find the row and shown in lists and audit entries.
    """

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    clearance = models.CharField(_("clearance"), max_length=32, validators=[validate_clearance])
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "-created_at"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
