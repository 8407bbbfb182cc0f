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


# --- editing (administrators) ----------------------------------------------------------------


class ServiceForm(forms.Form):
    """A form whose cleaned data becomes a service call's input; services do the validation.

    ``data_for_service`` maps fields to service fields (``name_sq`` → ``names["sq"]``);
    ``add_problem`` puts each reason of a Problem beside the field it names.
    """

    def data_for_service(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        names: dict[str, str] = {}
        for field_name, value in self.cleaned_data.items():
            if field_name.startswith("name_"):
                names[field_name.removeprefix("name_")] = value
            else:
                data[field_name] = value
        if any(name.startswith("name_") for name in self.fields):
            data["names"] = names
        return data

    def add_problem(self, errors: list[dict[str, Any]]) -> None:
        for error in errors:
            name = str(error.get("field", ""))
            if name.startswith("names."):
                name = "name_" + name.removeprefix("names.")
            self.add_error(name if name in self.fields else None, str(error.get("reason", "")))


def _choices(model_choices: Any, blank: str | None = None) -> list[tuple[str, Any]]:
    return ([("", blank)] if blank is not None else []) + list(model_choices)


class OrganisationForm(ServiceForm):
    """Add (node administrators) or change an organisation."""

    key = forms.SlugField(
        label=_("Key"),
        max_length=64,
        help_text=_("Stable identifier used by the CSV files and the API, e.g. al-asp-ctu."),
    )
    name = forms.CharField(label=_("Name (English)"), max_length=255)
    acronym = forms.CharField(label=_("Acronym"), max_length=32, required=False)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    country = forms.CharField(
        label=_("Country code"),
        max_length=2,
        required=False,
        help_text=_("ISO 3166-1 alpha-2 (XK for Kosovo*); empty for international organisations."),
    )
    municipality = forms.CharField(label=_("Municipality"), max_length=128, required=False)
    parent = forms.SlugField(
        label=_("Part of (key of the parent organisation)"), max_length=64, required=False
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    email = forms.EmailField(label=_("E-mail"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from firstline.directory.services import name_languages

        for lang in name_languages():
            self.fields[f"name_{lang}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": lang},
                max_length=255,
                required=False,
            )
        if not creating:
            del self.fields["key"]


class UnitForm(ServiceForm):
    """Add or rename a unit of an organisation."""

    key = forms.SlugField(label=_("Key"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=255)
    parent = forms.ChoiceField(label=_("Part of unit"), required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ChoiceField)
        parent.choices = _choices(units, blank="—")
        if not creating:
            del self.fields["key"]


class PersonForm(ServiceForm):
    """Add or change a contact person of an organisation."""

    key = forms.SlugField(label=_("Key"), max_length=64, help_text=_("e.g. al-asp-ctu-ana-example"))
    given_name = forms.CharField(label=_("Given name"), max_length=128)
    family_name = forms.CharField(label=_("Family name"), max_length=128)
    role = forms.CharField(label=_("Role"), max_length=255, required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=64, required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ChoiceField)
        unit.choices = _choices(units, blank="—")
        if not creating:
            del self.fields["key"]
