"""Forms for items and translations; the marking pickers explain every choice.

The forms check shape (required, numbers); the services decide everything else and their
errors are put back on the form's fields by ``apply_problem``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from firstline import policy
from firstline.core.problems import Problem
from firstline.directory.models import Country
from firstline.knowledge.content import fields_for
from firstline.knowledge.models import (
    Approach,
    Item,
    Kind,
    Scope,
    TargetGroup,
    Tlp,
    language_choices,
)
from firstline.knowledge.policy import current_memberships
from firstline.knowledge.services import ItemInput

KIND_HELP: dict[str, Promise] = {
    Kind.PRACTICE: _("A practice that worked, with the fields of the RAN collection."),
    Kind.LESSON: _("What went well or badly, and what to do differently next time."),
    Kind.POLICY: _("A strategy, action plan, law or guideline."),
    Kind.INDICATOR: _(
        "A sign practitioners may notice, always with its context: what else explains it, "
        "why no single sign decides, what to do and not do. Never about a person."
    ),
    Kind.MODUS_OPERANDI: _("How a threat operates. Readable only by law-enforcement users."),
    Kind.RESEARCH: _("A study, evaluation or report."),
}

TLP_HELP: dict[str, Promise] = {
    Tlp.RED: _("Named recipients only: stays within your organisation and is never passed on."),
    Tlp.AMBER_STRICT: _("Readers may share it only inside their own organisation."),
    Tlp.AMBER: _("Readers may share it inside their organisation and with those who need to know."),
    Tlp.GREEN: _("Readers may share it within the community, never on public channels."),
    Tlp.CLEAR: _(
        "No limit on disclosure. With the public scope it appears in the public catalogue, "
        "readable without an account."
    ),
}

SCOPE_HELP: dict[str, Promise] = {
    Scope.ORGANISATION: _("Only the users of your organisation."),
    Scope.NATIONAL: _("The organisations of your country: the national platform."),
    Scope.NETWORK: _("The member organisations of the networks you choose below."),
    Scope.PUBLIC: _("Every user of this node; with TLP:CLEAR also anyone without an account."),
}


def classification_help(level: str) -> str:
    if level == settings.CLASSIFICATION_LEVELS[0]:
        return str(_("Not classified: everyone the scope reaches may read it."))
    return str(_("Only readers cleared for %(level)s or higher.") % {"level": level})


def apply_problem(form: forms.Form, problem: Problem) -> None:
    """Put a service's field errors on the form (``fields.aims`` → the ``aims`` field)."""
    for error in problem.errors or [{"field": "", "reason": problem.detail}]:
        name = str(error.get("field") or "").removeprefix("fields.")
        reason = str(error["reason"])
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, reason)
        elif problem.status == 409:  # an edit conflict: say what happened, in full
            form.add_error(None, problem.detail)
        else:
            form.add_error(None, f"{name}: {reason}" if name else reason)


def _text_field(spec: Any, kind: str) -> forms.CharField:
    messages = {}
    if kind == Kind.INDICATOR and spec.required:
        messages["required"] = _(
            "Required: indicator guidance is never published without its contextualisation."
        )
    return forms.CharField(
        label=spec.label,
        required=spec.required,
        help_text=spec.help,
        widget=forms.TextInput if spec.short else forms.Textarea(attrs={"rows": 4}),
        error_messages=messages,
    )


class TextFields(forms.Form):
    """Title and the kind's text fields; the base of both forms below."""

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["title"] = forms.CharField(label=_("Title"), max_length=300)
        for spec in fields_for(kind):
            self.fields[spec.name] = _text_field(spec, kind)
        self.fields["note"] = forms.CharField(
            label=_("Change note"),
            required=False,
            max_length=300,
            help_text=_("What changed, for the history."),
        )

    def text_values(self) -> dict[str, str]:
        return {spec.name: self.cleaned_data.get(spec.name, "") for spec in fields_for(self.kind)}

    @property
    def text_field_names(self) -> list[str]:
        return ["title", *(spec.name for spec in fields_for(self.kind))]


class ItemForm(TextFields):
    """Create or edit an item: its text in one language and its marking and metadata."""

    def __init__(
        self, *args: Any, kind: str, actor: Any, item: Item | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, kind=kind, **kwargs)
        self.item = item
        if item is None:
            self.fields["language"] = forms.ChoiceField(
                label=_("Language of the text"), choices=language_choices()
            )
        else:
            self.fields["base_version"] = forms.IntegerField(widget=forms.HiddenInput)
        self.fields["tlp"] = forms.ChoiceField(
            label=_("TLP"), choices=Tlp.choices, widget=forms.RadioSelect, initial=Tlp.AMBER
        )
        levels = [lvl for lvl in settings.CLASSIFICATION_LEVELS if policy.cleared_for(actor, lvl)]
        self.fields["classification"] = forms.ChoiceField(
            label=_("Classification"),
            choices=[(lvl, lvl) for lvl in levels],
            widget=forms.RadioSelect,
            initial=settings.CLASSIFICATION_LEVELS[0],
            help_text=_("You can mark up to your own clearance."),
        )
        self.fields["scope"] = forms.ChoiceField(
            label=_("Sharing scope"),
            choices=Scope.choices,
            widget=forms.RadioSelect,
            initial=Scope.ORGANISATION,
        )
        networks = (
            current_memberships(actor.organisation_id)
            .select_related("network")
            .order_by("network__name")
        )
        self.fields["networks"] = forms.MultipleChoiceField(
            label=_("Networks"),
            required=False,
            choices=[(m.network.key, m.network.display_name) for m in networks],
            widget=forms.CheckboxSelectMultiple,
            help_text=_("With the network scope: the networks your organisation belongs to."),
        )
        self.fields["country"] = forms.ChoiceField(
            label=_("Country"),
            required=False,
            choices=[("", "—"), *((c.code, str(c)) for c in Country.objects.all())],
        )
        self.fields["year"] = forms.IntegerField(
            label=_("Year"), required=False, min_value=1900, max_value=2100
        )
        if kind == Kind.PRACTICE:
            self.fields["approach"] = forms.ChoiceField(
                label=_("Approach"), required=False, choices=[("", "—"), *Approach.choices]
            )
        self.fields["target_groups"] = forms.MultipleChoiceField(
            label=_("Target groups"),
            required=False,
            choices=TargetGroup.choices,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["related"] = forms.CharField(
            label=_("Related items"),
            required=False,
            help_text=_("Item numbers, separated by commas."),
        )
        self.fields["presented_at"] = forms.CharField(
            label=_("Presented at"),
            required=False,
            max_length=300,
            help_text=_("The event where this was presented (name, place, date)."),
        )
        self.fields["presented_at_url"] = forms.URLField(
            label=_("Presented at (link)"), required=False, assume_scheme="https"
        )

    def clean_related(self) -> list[int]:
        raw = self.cleaned_data.get("related") or ""
        out = []
        for part in str(raw).replace(";", ",").split(","):
            part = part.strip().lstrip("#")
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(
                    _("%(value)s is not an item number"), params={"value": part}
                )
            out.append(int(part))
        return out

    def choices_with_help(self, name: str) -> list[tuple[Any, str]]:
        """The radio buttons of a marking field with the explanation of each choice."""
        helps: dict[str, Any] = {"tlp": TLP_HELP, "scope": SCOPE_HELP}.get(name, {})
        out = []
        for radio in self[name].subwidgets:
            value = str(radio.data["value"])
            text = (
                classification_help(value)
                if name == "classification"
                else str(helps.get(value, ""))
            )
            out.append((radio, text))
        return out

    @property
    def detail_fields(self) -> list[Any]:
        """The metadata fields, in reading order, the change note last."""
        names = ["networks", "country", "year", "approach", "target_groups", "related"]
        names += ["presented_at", "presented_at_url", "note"]
        return [self[name] for name in names if name in self.fields]

    def marking_pickers(self) -> list[tuple[Any, list[tuple[Any, str]]]]:
        return [
            (self[name], self.choices_with_help(name))
            for name in ("tlp", "classification", "scope")
        ]

    def to_input(self, language: str = "") -> ItemInput:
        data = self.cleaned_data
        return ItemInput(
            kind=self.kind,
            language=data.get("language") or language,
            title=data["title"],
            fields=self.text_values(),
            tlp=data["tlp"],
            classification=data["classification"],
            scope=data["scope"],
            networks=list(data.get("networks") or []),
            country=data.get("country") or "",
            year=data.get("year"),
            approach=data.get("approach") or "",
            target_groups=list(data.get("target_groups") or []),
            related=data.get("related") or [],
            presented_at=data.get("presented_at") or "",
            presented_at_url=data.get("presented_at_url") or "",
            note=data.get("note") or "",
        )


def initial_for(item: Item, version: Any) -> dict[str, Any]:
    """The edit form's starting values: the item's metadata and a version's text."""
    initial: dict[str, Any] = {
        "title": version.title,
        "base_version": item.version,
        "tlp": item.tlp,
        "classification": item.classification,
        "scope": item.scope,
        "networks": list(item.networks.values_list("key", flat=True)),
        "country": item.country.code if item.country else "",
        "year": item.year,
        "approach": item.approach,
        "target_groups": list(item.target_groups.values_list("group", flat=True)),
        "related": ", ".join(str(pk) for pk in item.related.values_list("pk", flat=True)),
        "presented_at": item.presented_at,
        "presented_at_url": item.presented_at_url,
    }
    initial.update(version.fields)
    return initial


class TranslationForm(TextFields):
    """The text of an item in another language."""

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, kind=kind, **kwargs)
        self.fields["base_version"] = forms.IntegerField(widget=forms.HiddenInput)


class SearchForm(forms.Form):
    """The search box and filters of the list page (all optional)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices]
    )
    approach = forms.ChoiceField(
        label=_("Approach"), required=False, choices=[("", _("Any")), *Approach.choices]
    )
    target_group = forms.ChoiceField(
        label=_("Target group"), required=False, choices=[("", _("Any")), *TargetGroup.choices]
    )
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    language = forms.ChoiceField(label=_("Language"), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2100)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Any")), *language_choices()]
