"""The oversight search form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from firstline import policy
from firstline.audit.log import subject_ref
from firstline.audit.models import Operation
from firstline.directory.models import Organisation


class SearchForm(forms.Form):
    subject = forms.CharField(
        label=_("Data subject"),
        required=False,
        max_length=128,
        help_text=_("Internal id, such as person:12"),
    )
    user = forms.CharField(
        label=_("User"), required=False, max_length=150, help_text=_("User name or user:12")
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        to_field_name="key",
    )
    operation = forms.ChoiceField(
        label=_("Operation"), required=False, choices=[("", "—"), *Operation.choices]
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A day in UTC, as the times shown"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A day in UTC, as the times shown"),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = policy.visible_to(actor, Organisation)  # type: ignore[attr-defined]

    def clean_subject(self) -> str:
        """A typed internal id (``person:12``), as entries name their subjects: a name or a
        bare number would match nothing, and an export names the subject it searched for."""
        subject = str(self.cleaned_data.get("subject") or "").strip()
        if not subject:
            return ""
        try:
            return subject_ref(subject)
        except ValueError:
            raise forms.ValidationError(
                _("must be an internal id such as person:12, not a name or a bare number")
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("must not be before the start date"))
        return data
