"""What events, recommendations and plans share: a marking, translations, the policy levels."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST): who may receive the item."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"


class PolicyLevel(models.TextChoices):
    """The three levels of policy management the regional networks mirror."""

    POLITICAL = "political", _("Political")
    STRATEGIC = "strategic", _("Strategic")
    OPERATIONAL = "operational", _("Operational")


def validate_classification(value: str) -> None:
    if value not in settings.CLASSIFICATION_LEVELS:
        raise ValidationError(
            _("%(value)s is not a classification level of this node (%(levels)s)"),
            params={"value": value, "levels": ", ".join(settings.CLASSIFICATION_LEVELS)},
        )


def lowest_classification() -> str:
    return str(settings.CLASSIFICATION_LEVELS[0])


def translated(default: str, translations: dict[str, Any] | None) -> str:
    """The text in the reader's language when a translation exists, else the original."""
    lang = (get_language() or "en").lower()
    for candidate in (lang, lang.split("-")[0]):
        value = (translations or {}).get(candidate)
        if value:
            return str(value)
    return default


class Marked(models.Model):
    """An item carrying a marking: a TLP 2.0 label and a classification level.

    The coordination policy reads both: the classification against the reader's clearance,
    the TLP label against the reader's relation to the item (see ``coordination/policy.py``).
    """

    tlp = models.CharField(_("TLP label"), max_length=16, choices=TLP.choices, default=TLP.GREEN)
    classification = models.CharField(
        _("classification"),
        max_length=32,
        default=lowest_classification,
        validators=[validate_classification],
    )

    class Meta:
        abstract = True

    @property
    def marking(self) -> str:
        return f"{self.get_tlp_display()} · {self.classification}"
