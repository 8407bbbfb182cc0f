"""What each kind of item says: the text fields of a version, per kind.

A version's ``fields`` is a dict of these names to text. The same list drives the forms, the
API's validation, the detail page, the diff and the PDF, so a field is declared once here.

Indicator guidance carries its contextualisation as *required* fields: what the sign may
indicate, what else commonly explains it, why no single indicator decides anything, and what a
practitioner should and should not do. Indicators are guidance for trained professionals about
situations; First Line never applies them to a person, and nothing in this domain links an
indicator to a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from firstline.knowledge.models import Kind


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str | Promise
    required: bool = False
    help: str | Promise = ""
    short: bool = False  # one line (organisation, contact) rather than a text area


_BODY = FieldSpec("body", _("Text"), required=True)
_SUMMARY = FieldSpec("summary", _("Summary"), help=_("Two or three sentences for lists and feeds."))

# The fields of the EU Radicalisation Awareness Network's collection of practices. Title,
# country, approach, target groups and year live on the item (they do not change by language).
PRACTICE_FIELDS = (
    _SUMMARY,
    FieldSpec("description", _("Description"), required=True),
    FieldSpec("aims", _("Aims")),
    FieldSpec("methods", _("Methods")),
    FieldSpec("deliverables", _("Deliverables")),
    FieldSpec("evaluation", _("Evaluation and evidence")),
    FieldSpec("lessons_learned", _("Lessons learned")),
    FieldSpec("organisation", _("Implementing organisation"), short=True),
    FieldSpec("partners", _("Partners")),
    FieldSpec("contact", _("Contact"), short=True, help=_("A professional contact point.")),
)

INDICATOR_FIELDS = (
    FieldSpec(
        "description",
        _("The indicator"),
        required=True,
        help=_("The observable sign or behaviour, described as a situation, never as a person."),
    ),
    FieldSpec(
        "may_indicate",
        _("What it may indicate"),
        required=True,
        help=_("What this sign can point to, in which circumstances."),
    ),
    FieldSpec(
        "other_explanations",
        _("What else commonly explains it"),
        required=True,
        help=_("Ordinary, harmless or unrelated explanations that are more frequent."),
    ),
    FieldSpec(
        "no_single_indicator",
        _("Why no single indicator decides"),
        required=True,
        help=_("Why this sign alone never justifies a conclusion about anyone."),
    ),
    FieldSpec(
        "practitioner_should",
        _("What a practitioner should do"),
        required=True,
        help=_("Proportionate steps: talk, observe over time, consult the local coordinator."),
    ),
    FieldSpec(
        "practitioner_should_not",
        _("What a practitioner should not do"),
        required=True,
        help=_("What would stigmatise, escalate or breach rights."),
    ),
)

GENERIC_FIELDS = (_SUMMARY, _BODY)

FIELDS_BY_KIND: dict[str, tuple[FieldSpec, ...]] = {
    Kind.PRACTICE: PRACTICE_FIELDS,
    Kind.LESSON: GENERIC_FIELDS,
    Kind.POLICY: GENERIC_FIELDS,
    Kind.INDICATOR: INDICATOR_FIELDS,
    Kind.MODUS_OPERANDI: GENERIC_FIELDS,
    Kind.RESEARCH: GENERIC_FIELDS,
}


def fields_for(kind: str) -> tuple[FieldSpec, ...]:
    return FIELDS_BY_KIND.get(kind, GENERIC_FIELDS)


def field_names(kind: str) -> list[str]:
    return [spec.name for spec in fields_for(kind)]
