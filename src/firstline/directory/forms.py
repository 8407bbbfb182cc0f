"""Directory forms: the organisation filter (GET)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline import policy
from firstline.directory.models import Country, Level, NetworkLevel, Sector


class OrganisationFilterForm(forms.Form):
    """Filter organisations by text, country, sector and level; every field optional."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    country = forms.ChoiceField(label=_("Country"), required=False)
    sector = forms.ChoiceField(
        label=_("Sector"), required=False, choices=[("", _("All sectors")), *Sector.choices]
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *Level.choices]
    )

    def __init__(self, actor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        used = policy.visible_to(actor, Country).filter(organisations__isnull=False).distinct()
        choices: list[tuple[str, Any]] = [("", _("All countries"))]
        choices += [(c.code, str(c)) for c in sorted(used, key=str)]
        choices.append(("none", _("International (no country)")))
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = choices


class NetworkFilterForm(forms.Form):
    """Filter networks by level."""

    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *NetworkLevel.choices]
    )
