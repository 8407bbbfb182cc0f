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
