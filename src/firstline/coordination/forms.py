"""Forms of the coordination pages: they parse input; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from firstline import policy
from firstline.coordination.models import (
    TLP,
    ActionStatus,
    Event,
    EventKind,
    Objective,
    Plan,
    PlanKind,
    PolicyLevel,
    Priority,
    Recommendation,
    RecommendationStatus,
    Session,
    Topic,
)
from firstline.core.problems import Problem
from firstline.directory.models import Country, Network, Organisation, Person

OTHER_LANGUAGES = [(code, name) for code, name in settings.LANGUAGES if code != "en"]
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def set_queryset(form: forms.Form, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def apply_problem(form: forms.Form, problem: Problem) -> None:
    """Show a service's errors beside the fields they name (or above the form)."""
    for error in problem.errors or [{"field": None, "reason": problem.detail}]:
        name = error.get("field")
        reason = str(error.get("reason", problem.detail))
        if "line" in error:
            reason = f"line {error['line']}, {error.get('column') or '-'}: {reason}"
            name = None
        if name in form.fields:
            form.add_error(name, reason)
        else:
            form.add_error(None, f"{name}: {reason}" if name else reason)


class LocalDateTimeField(forms.CharField):
    """A wall-clock date and time, left naive: the event's own zone gives it meaning."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> dt.datetime | None:  # type: ignore[override]
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        text = (value or "").strip()
        if not text:
            return None
        for fmt in DATETIME_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)  # noqa: DTZ007  naive on purpose
            except ValueError:
                continue
        raise forms.ValidationError(_("Enter a date and time as YYYY-MM-DD HH:MM."))

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


def _timezones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


def _classifications() -> list[tuple[str, str]]:
    return [(level, level) for level in settings.CLASSIFICATION_LEVELS]


class MarkingFields(forms.Form):
    tlp = forms.ChoiceField(label=_("TLP label"), choices=TLP.choices, initial=TLP.GREEN)
    classification = forms.ChoiceField(label=_("Classification"), choices=_classifications)


class TranslationsMixin:
    """Adds ``<name>_<lang>`` fields for each translatable field, gathered by ``translations``."""

    translatable: tuple[tuple[str, bool], ...] = ()
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    translation_names: set[str]

    def add_translation_fields(self, initial: dict[str, dict[str, str]] | None = None) -> None:
        self.translation_names = set()
        for name, long in self.translatable:
            for code, language in OTHER_LANGUAGES:
                field_cls = forms.CharField
                widget = forms.Textarea(attrs={"rows": 2}) if long else forms.TextInput()
                self.fields[f"{name}_{code}"] = field_cls(
                    label=f"{name.title()} · {language}",
                    required=False,
                    widget=widget,
                    initial=(initial or {}).get(name, {}).get(code, ""),
                )
                self.translation_names.add(f"{name}_{code}")

    def translations(self, name: str) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"{name}_{code}", "")
            for code, _ in OTHER_LANGUAGES
            if self.cleaned_data.get(f"{name}_{code}")
        }

    def translation_fields(self, name: str) -> list[Any]:
        return [self[f"{name}_{code}"] for code, _ in OTHER_LANGUAGES]  # type: ignore[index]


class EventForm(TranslationsMixin, MarkingFields):
    translatable = (("title", False), ("description", True))
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=255)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    organisers = forms.ModelMultipleChoiceField(
        label=_("Organiser organisations"), queryset=Organisation.objects.none()
    )
    networks = forms.ModelMultipleChoiceField(
        label=_("Networks"), queryset=Network.objects.none(), required=False
    )
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Country.objects.all(), required=False
    )
    venue = forms.CharField(label=_("Venue"), max_length=255, required=False)
    online_url = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    start = LocalDateTimeField(label=_("Start (local time)"))
    end = LocalDateTimeField(label=_("End (local time)"))
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=_timezones, initial=settings.TIME_ZONE
    )
    capacity = forms.IntegerField(label=_("Capacity"), required=False, min_value=1)
    waitlist_enabled = forms.BooleanField(
        label=_("Waiting list when full"), required=False, initial=True
    )
    registration_deadline = LocalDateTimeField(
        label=_("Registration deadline (local time)"), required=False
    )

    field_order = [
        "kind",
        "title",
        "description",
        "organisers",
        "networks",
        "country",
        "venue",
        "online_url",
        "start",
        "end",
        "timezone",
        "capacity",
        "waitlist_enabled",
        "registration_deadline",
        "tlp",
        "classification",
    ]

    def __init__(
        self,
        *args: Any,
        actor: Any,
        translations: dict[str, dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "organisers", policy.visible_to(actor, Organisation))
        set_queryset(self, "networks", policy.visible_to(actor, Network))
        self.fields["classification"].initial = settings.CLASSIFICATION_LEVELS[0]
        if getattr(actor, "organisation_id", None) and not self.is_bound:
            self.fields["organisers"].initial = [actor.organisation_id]
        self.add_translation_fields(translations)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "title_translations": self.translations("title"),
            "description": data["description"],
            "description_translations": self.translations("description"),
            "country": data["country"],
            "venue": data["venue"],
            "online_url": data["online_url"],
            "start": data["start"],
            "end": data["end"],
            "timezone": data["timezone"],
            "capacity": data["capacity"],
            "waitlist_enabled": data["waitlist_enabled"],
            "registration_deadline": data["registration_deadline"],
            "tlp": data["tlp"],
            "classification": data["classification"],
            "organisers": list(data["organisers"]),
            "networks": list(data["networks"]),
        }


class TopicsFields(forms.Form):
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(label=_("Other tags (comma-separated)"), required=False)


class SessionForm(TopicsFields):
    title = forms.CharField(label=_("Title"), max_length=255)
    start = LocalDateTimeField(label=_("Start (local time)"))
    end = LocalDateTimeField(label=_("End (local time)"))
    room = forms.CharField(label=_("Room"), max_length=128, required=False)
    field_order = ["title", "start", "end", "room", "topics", "tags"]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "start": data["start"],
            "end": data["end"],
            "room": data["room"],
            "topics": data["topics"],
            "tags": _tags(data["tags"]),
        }


class ItemForm(TopicsFields):
    title = forms.CharField(label=_("Title"), max_length=255)
    start = LocalDateTimeField(label=_("Start (local time)"))
    end = LocalDateTimeField(label=_("End (local time)"))
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    speaker_people = forms.ModelMultipleChoiceField(
        label=_("Speakers from the directory"), queryset=Person.objects.none(), required=False
    )
    guest_speakers = forms.CharField(
        label=_("Guest speakers"),
        help_text=_("One per line: name, then optionally a | and their affiliation."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    field_order = [
        "title",
        "start",
        "end",
        "description",
        "speaker_people",
        "guest_speakers",
        "topics",
        "tags",
    ]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(
            self, "speaker_people", policy.visible_to(actor, Person).select_related("organisation")
        )

    def service_kwargs(self) -> dict[str, Any]:
        from firstline.coordination.services.events import SpeakerIn

        data = self.cleaned_data
        speakers = [SpeakerIn(person=p) for p in data["speaker_people"]]
        for line in (data["guest_speakers"] or "").splitlines():
            if line.strip():
                name, _sep, affiliation = line.partition("|")
                speakers.append(
                    SpeakerIn(guest_name=name.strip(), guest_affiliation=affiliation.strip())
                )
        return {
            "title": data["title"],
            "start": data["start"],
            "end": data["end"],
            "description": data["description"],
            "topics": data["topics"],
            "tags": _tags(data["tags"]),
            "speakers": speakers,
        }


class InvitationForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"), queryset=Organisation.objects.none(), required=False
    )
    people = forms.ModelMultipleChoiceField(
        label=_("People"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "organisations", policy.visible_to(actor, Organisation))
        set_queryset(
            self, "people", policy.visible_to(actor, Person).select_related("organisation")
        )


class RegistrationForm(forms.Form):
    accessibility_needs = forms.CharField(
        label=_("Accessibility needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only the organisers see this, to prepare the event."),
    )
    dietary_needs = forms.CharField(
        label=_("Dietary needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only the organisers see this, to prepare the event."),
    )
    consent_to_list = forms.BooleanField(
        label=_("Show my name and organisation on the participant list"), required=False
    )


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    file = forms.FileField(label=_("File"))
    session = forms.ModelChoiceField(
        label=_("Session"), queryset=Session.objects.none(), required=False
    )

    def __init__(self, *args: Any, event: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "session", event.sessions.all())


class MinutesForm(forms.Form):
    text = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 14}))
    note = forms.CharField(label=_("What changed"), max_length=255, required=False)


class RecommendationForm(TranslationsMixin, MarkingFields):
    translatable = (("text", True),)
    text = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 4}))
    level = forms.ChoiceField(label=_("Level"), choices=PolicyLevel.choices)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            c for c in RecommendationStatus.choices if c[0] != RecommendationStatus.SUPERSEDED
        ],
    )
    event = forms.ModelChoiceField(
        label=_("Source event"), queryset=Organisation.objects.none(), required=False
    )
    addressee_organisations = forms.ModelMultipleChoiceField(
        label=_("Addressed to organisations"), queryset=Organisation.objects.none(), required=False
    )
    addressee_networks = forms.ModelMultipleChoiceField(
        label=_("Addressed to networks"), queryset=Network.objects.none(), required=False
    )
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Country.objects.all(), required=False
    )
    field_order = [
        "text",
        "level",
        "status",
        "event",
        "addressee_organisations",
        "addressee_networks",
        "country",
        "tlp",
        "classification",
    ]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "event", policy.visible_to(actor, Event))
        set_queryset(self, "addressee_organisations", policy.visible_to(actor, Organisation))
        set_queryset(self, "addressee_networks", policy.visible_to(actor, Network))
        self.fields["classification"].initial = settings.CLASSIFICATION_LEVELS[0]
        self.add_translation_fields()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "text_translations": self.translations("text"),
            "level": data["level"],
            "status": data["status"],
            "event": data["event"],
            "addressee_organisations": list(data["addressee_organisations"]),
            "addressee_networks": list(data["addressee_networks"]),
            "country": data["country"],
            "tlp": data["tlp"],
            "classification": data["classification"],
        }


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=RecommendationStatus.choices)
    superseded_by = forms.ModelChoiceField(
        label=_("Superseded by"), queryset=Recommendation.objects.none(), required=False
    )
    note = forms.CharField(label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, *args: Any, actor: Any, recommendation: Recommendation, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(
            self,
            "superseded_by",
            policy.visible_to(actor, Recommendation).exclude(pk=recommendation.pk),
        )


class PlanForm(MarkingFields):
    key = forms.SlugField(
        label=_("Key"), max_length=64, help_text=_("A short name used in files, e.g. al-nap-2025")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanKind.choices)
    title = forms.CharField(label=_("Title"), max_length=255)
    coordinator = forms.ModelChoiceField(
        label=_("Coordinating organisation"), queryset=Organisation.objects.none()
    )
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Country.objects.all(), required=False
    )
    network = forms.ModelChoiceField(
        label=_("Network"), queryset=Network.objects.none(), required=False
    )
    period_start = forms.DateField(label=_("Period start"), required=False, widget=DateInput())
    period_end = forms.DateField(label=_("Period end"), required=False, widget=DateInput())
    field_order = [
        "key",
        "kind",
        "title",
        "coordinator",
        "country",
        "network",
        "period_start",
        "period_end",
        "tlp",
        "classification",
    ]

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "coordinator", policy.visible_to(actor, Organisation))
        set_queryset(self, "network", policy.visible_to(actor, Network))
        self.fields["classification"].initial = settings.CLASSIFICATION_LEVELS[0]
        if getattr(actor, "organisation_id", None):
            self.fields["coordinator"].initial = actor.organisation_id


class ObjectiveForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    title = forms.CharField(label=_("Title"), max_length=500)


class ActionForm(forms.Form):
    objective = forms.ModelChoiceField(label=_("Objective"), queryset=Objective.objects.none())
    code = forms.CharField(label=_("Code"), max_length=32)
    title = forms.CharField(label=_("Title"), max_length=500)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner organisation"), queryset=Organisation.objects.none()
    )
    contributors = forms.ModelMultipleChoiceField(
        label=_("Contributing organisations"), queryset=Organisation.objects.none(), required=False
    )
    level = forms.ChoiceField(label=_("Level"), choices=PolicyLevel.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.MEDIUM
    )
    start = forms.DateField(label=_("Start"), required=False, widget=DateInput())
    due = forms.DateField(label=_("Due"), required=False, widget=DateInput())
    indicator = forms.CharField(
        label=_("Indicator"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    baseline = forms.CharField(label=_("Baseline"), max_length=255, required=False)
    target = forms.CharField(label=_("Target"), max_length=255, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=ActionStatus.choices, initial=ActionStatus.NOT_STARTED
    )
    recommendations = forms.ModelMultipleChoiceField(
        label=_("Realises recommendations"), queryset=Recommendation.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(
            self, "objective", Objective.objects.filter(plan__in=plans).select_related("plan")
        )
        self.fields["objective"].label_from_instance = lambda o: (  # type: ignore[attr-defined]
            f"{o.plan.key} · {o.code} {o.title}"
        )
        orgs = policy.visible_to(actor, Organisation)
        set_queryset(self, "owner", orgs)
        set_queryset(self, "contributors", orgs)
        set_queryset(
            self,
            "recommendations",
            policy.visible_to(actor, Recommendation).filter(
                status__in=[RecommendationStatus.PROPOSED, RecommendationStatus.AGREED]
            ),
        )
        self.fields["recommendations"].label_from_instance = lambda r: f"R{r.pk}: {r.text[:80]}"  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["contributors"] = list(data["contributors"])
        data["recommendations"] = list(data["recommendations"])
        return data


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 4}))
    link = forms.URLField(label=_("Evidence link"), required=False, assume_scheme="https")
    document = forms.FileField(label=_("Evidence document"), required=False)
    status = forms.ChoiceField(
        label=_("Status after this update"),
        choices=[("", _("unchanged")), *ActionStatus.choices],
        required=False,
    )
    indicator_value = forms.CharField(
        label=_("Indicator value now"), max_length=255, required=False
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Choose a .csv or .xlsx file."))
        return upload


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data


def plans_changeable_by(actor: Any) -> Any:
    return policy.visible_to(actor, Plan, policy.CHANGE)
