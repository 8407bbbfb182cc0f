"""Compose and reply forms. They only parse input; ``services.send_message`` judges it.

Every choice of a marking carries its explanation in its label, so the picker explains itself.
Errors from the service (``entities[0].legal_basis``) are put back on the matching field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from firstline.directory.models import Organisation
from firstline.exchange.entities import COMMUNICATION_TYPES, LABEL_FIELD
from firstline.exchange.markings import (
    HANDLING_HELP,
    INFORMATION_GRADES,
    SOURCE_GRADES,
    TLP,
    TLP_HELP,
    EntityKind,
    Handling,
    MessageType,
    SpecialCategory,
    SubjectCategory,
    Urgency,
)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class MessageForm(forms.Form):
    """Markings and text of a new message (or a reply, which has no recipients or subject)."""

    recipients = forms.ModelMultipleChoiceField(
        label=_("Recipient organisations"),
        queryset=Organisation.objects.none(),
        to_field_name="key",
        required=False,
        help_text=_("A message goes to organisations, never to individual persons."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    message_type = forms.ChoiceField(
        label=_("Type"),
        choices=[c for c in MessageType.choices if c[0] != MessageType.REPLY],
    )
    urgency = forms.ChoiceField(
        label=_("Urgency of a request (Directive 2023/977)"),
        choices=[("", "—"), *Urgency.choices],
        required=False,
        help_text=_(
            "Only for requests: the deadline runs from the moment the request is received."
        ),
    )
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    tlp = forms.ChoiceField(
        label=_("Traffic Light Protocol: who may receive it"),
        choices=[(t.value, f"{t.label} — {TLP_HELP[t]}") for t in TLP],
        initial=TLP.AMBER,
        widget=forms.RadioSelect,
    )
    handling = forms.ChoiceField(
        label=_("Handling code: what the recipient may do with it"),
        choices=[(h.value, f"{h.label} — {HANDLING_HELP[h]}") for h in Handling],
        initial=Handling.H0,
        widget=forms.RadioSelect,
    )
    handling_text = forms.CharField(
        label=_("Restrictions (required with H3)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    classification = forms.ChoiceField(
        label=_("Classification"),
        help_text=_("Only readers cleared at or above this level will see the message."),
    )
    evaluation_source = forms.ChoiceField(label=_("Source evaluation"), required=False)
    evaluation_information = forms.ChoiceField(label=_("Information evaluation"), required=False)
    personal_data = forms.BooleanField(
        label=_("The text itself contains personal data"),
        required=False,
        help_text=_("Persons and contact details entered below always count as personal data."),
    )
    named_users = forms.CharField(
        label=_("Named readers (TLP:RED)"),
        required=False,
        help_text=_("User names of the recipients' staff who alone may read it, comma-separated."),
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("Stored encrypted; signed with the message by its SHA-256."),
    )
    late_reason = forms.CharField(
        label=_("Reason the reply is late"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, sender_id: int | None = None, reply: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Organisation.objects.filter(is_active=True).exclude(pk=sender_id or 0)
        levels = settings.CLASSIFICATION_LEVELS
        self.fields["classification"].choices = [(level, level) for level in levels]  # type: ignore[attr-defined]
        scheme = settings.EVALUATION_SCHEME
        self.fields["evaluation_source"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (k, f"{k} — {v}") for k, v in SOURCE_GRADES[scheme].items()
        ]
        self.fields["evaluation_information"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (k, f"{k} — {v}") for k, v in INFORMATION_GRADES[scheme].items()
        ]
        if reply:
            for name in ("recipients", "message_type", "urgency", "subject"):
                del self.fields[name]
        else:
            del self.fields["late_reason"]

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields: dict[str, Any] = {
            "body": data["body"],
            "tlp": data["tlp"],
            "handling": data["handling"],
            "handling_text": data["handling_text"],
            "classification": data["classification"],
            "personal_data": data["personal_data"],
            "named_users": _split(data["named_users"]),
            "evaluation": {
                "source": data["evaluation_source"],
                "information": data["evaluation_information"],
            },
        }
        if "recipients" in self.fields:
            fields.update(
                recipients=[o.key for o in data["recipients"]],
                message_type=data["message_type"],
                urgency=data["urgency"],
                subject=data["subject"],
            )
        else:
            fields.update(
                recipients=[], message_type=MessageType.REPLY, late_reason=data["late_reason"]
            )
        return fields


class SearchForm(forms.Form):
    """Full-text search with its filters; the justification is logged with the search."""

    q = forms.CharField(label=_("Search for"), max_length=200)
    justification = forms.CharField(
        label=_("Why you search"),
        max_length=500,
        required=False,
        help_text=_("Required: every search is logged as a consultation of personal data."),
    )
    thread = forms.CharField(label=_("Thread reference"), required=False)
    organisation = forms.CharField(label=_("Organisation key"), required=False)
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", "—"), *MessageType.choices], required=False
    )
    tlp = forms.ChoiceField(label="TLP", choices=[("", "—"), *TLP.choices], required=False)
    handling = forms.ChoiceField(
        label=_("Handling code"), choices=[("", "—"), *Handling.choices], required=False
    )
    classification = forms.ChoiceField(label=_("Classification"), required=False)
    since = forms.DateField(
        label=_("Sent from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Sent until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(
        label=_("Data-subject category"),
        choices=[("", "—"), *SubjectCategory.choices],
        required=False,
    )

    def __init__(self, *args: Any, levels: list[str] | None = None, **kwargs: Any) -> None:
        """``levels``: the classifications to offer, those the reader is cleared for."""
        super().__init__(*args, **kwargs)
        offered = settings.CLASSIFICATION_LEVELS if levels is None else levels
        self.fields["classification"].choices = [("", "—"), *((lv, lv) for lv in offered)]  # type: ignore[attr-defined]


class ForwardForm(forms.Form):
    """Forward a received message to other organisations."""

    recipients = forms.ModelMultipleChoiceField(
        label=_("Forward to"),
        queryset=Organisation.objects.none(),
        to_field_name="key",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    note = forms.CharField(
        label=_("Note to the new recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, sender_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Organisation.objects.filter(is_active=True).exclude(pk=sender_id or 0)


class PersonForm(forms.Form):
    """One person (LED Art. 6 category, purpose, legal basis, review and retention)."""

    names = forms.CharField(label=_("Names"), required=False, help_text=_("Comma-separated"))
    aliases = forms.CharField(label=_("Aliases"), required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place_of_birth = forms.CharField(label=_("Place of birth"), required=False)
    nationalities = forms.CharField(
        label=_("Nationalities"), required=False, help_text=_("Two-letter codes, comma-separated")
    )
    document_type = forms.CharField(label=_("Identity document type"), required=False)
    document_number = forms.CharField(label=_("Identity document number"), required=False)
    document_country = forms.CharField(label=_("Issuing country"), required=False, max_length=2)
    category = forms.ChoiceField(
        label=_("Data-subject category (LED Art. 6)"),
        choices=[("", "—"), *SubjectCategory.choices],
        required=False,
    )
    purpose = forms.CharField(label=_("Purpose"), required=False)
    legal_basis = forms.CharField(label=_("Legal basis"), required=False)
    review_date = forms.DateField(
        label=_("Review date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    retention_end = forms.DateField(
        label=_("Retention end"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    special_categories = forms.MultipleChoiceField(
        label=_("Special categories (LED Art. 10) — only where strictly necessary"),
        choices=SpecialCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    special_justification = forms.CharField(
        label=_("Why the special categories are strictly necessary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    facts = forms.CharField(
        label=_("Facts"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessment = forms.CharField(
        label=_("Assessment (kept apart from facts, LED Art. 7)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def entity(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or not any(v for v in data.values()):
            return None
        entity: dict[str, Any] = {
            "kind": EntityKind.PERSON,
            "names": _split(data["names"]),
            "aliases": _split(data["aliases"]),
            "date_of_birth": data["date_of_birth"],
            "place_of_birth": data["place_of_birth"],
            "nationalities": _split(data["nationalities"]),
            "category": data["category"],
            "purpose": data["purpose"],
            "legal_basis": data["legal_basis"],
            "review_date": data["review_date"],
            "retention_end": data["retention_end"],
            "special_categories": data["special_categories"],
            "special_justification": data["special_justification"],
            "facts": data["facts"],
            "assessment": data["assessment"],
        }
        if data["document_number"] or data["document_type"]:
            entity["identity_documents"] = [
                {
                    "type": data["document_type"],
                    "number": data["document_number"],
                    "issuing_country": data["document_country"],
                }
            ]
        return entity


class OtherEntityForm(forms.Form):
    """Organisation, location, event, document, vehicle or communication identifier."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", "—")] + [c for c in EntityKind.choices if c[0] != EntityKind.PERSON],
        required=False,
    )
    value = forms.CharField(
        label=_("Name, description, title, registration or identifier"), required=False
    )
    communication_type = forms.ChoiceField(
        label=_("Type of identifier"),
        choices=[("", "—")] + [(c, c.replace("_", " ")) for c in COMMUNICATION_TYPES],
        required=False,
    )
    facts = forms.CharField(label=_("Facts"), required=False)

    def entity(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or not data.get("kind"):
            return None
        kind = data["kind"]
        entity: dict[str, Any] = {
            "kind": kind,
            LABEL_FIELD[kind]: data["value"],
            "facts": data["facts"],
        }
        if kind == EntityKind.COMMUNICATION:
            entity["type"] = data["communication_type"]
        return entity


PersonFormSet = formset_factory(PersonForm, extra=0, max_num=50)
OtherEntityFormSet = formset_factory(OtherEntityForm, extra=0, max_num=50)


def place_errors(
    errors: list[dict[str, str]],
    form: MessageForm,
    persons: Any,
    others: Any,
) -> list[str]:
    """Put each service error on its field; return those that belong to no visible field."""
    unplaced = []
    person_forms = [f for f in persons.forms if f.cleaned_data and any(f.cleaned_data.values())]
    other_forms = [f for f in others.forms if f.cleaned_data and f.cleaned_data.get("kind")]
    for error in errors:
        name, reason = error["field"], error["reason"]
        base = name.split("[")[0].split(".")[0]
        if name.startswith("entities[") and "]" in name:
            index = int(name[len("entities[") : name.index("]")])
            rest = name[name.index("]") + 2 :] if "." in name else ""
            sub = rest.split("[")[0].split(".")[0]
            target = person_forms[index] if index < len(person_forms) else None
            if target is None and index - len(person_forms) < len(other_forms):
                target = other_forms[index - len(person_forms)]
                sub = "value" if sub in LABEL_FIELD.values() else sub
                sub = "communication_type" if sub == "type" else sub
            if sub == "identity_documents":
                sub = "document_number"
            if target is not None and sub in target.fields:
                target.add_error(sub, reason)
                continue
            unplaced.append(f"{name}: {reason}")
        elif base.startswith("evaluation"):
            field_name = (
                "evaluation_information" if name.endswith("information") else "evaluation_source"
            )
            form.add_error(field_name, reason)
        elif base in form.fields:
            form.add_error(base, reason)
        else:
            unplaced.append(f"{name}: {reason}")
    return unplaced
