"""Validation of structured entities: each error names its field (``entities[0].legal_basis``).

Input is plain data (from the API schema or the compose formset); output is a list of
``CleanEntity`` ready to store and to put in the canonical document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from firstline.exchange.markings import EntityKind, SpecialCategory, SubjectCategory

# Free-text fields each kind accepts beside its label field (anything else is refused).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    EntityKind.ORGANISATION: ("name", "country", "registration_number", "address"),
    EntityKind.LOCATION: ("name", "address", "municipality", "country", "latitude", "longitude"),
    EntityKind.EVENT: ("description", "date", "place"),
    EntityKind.DOCUMENT: ("title", "reference", "issued_by", "date"),
    EntityKind.VEHICLE: ("registration", "make", "model", "colour", "country", "vin"),
    EntityKind.COMMUNICATION: ("type", "value"),
}
LABEL_FIELD: dict[str, str] = {
    EntityKind.ORGANISATION: "name",
    EntityKind.LOCATION: "name",
    EntityKind.EVENT: "description",
    EntityKind.DOCUMENT: "title",
    EntityKind.VEHICLE: "registration",
    EntityKind.COMMUNICATION: "value",
}
COMMUNICATION_TYPES = ("phone", "email", "online_handle")
PERSON_FIELDS = {
    "kind",
    "names",
    "aliases",
    "date_of_birth",
    "place_of_birth",
    "nationalities",
    "identity_documents",
    "category",
    "purpose",
    "legal_basis",
    "review_date",
    "retention_end",
    "special_categories",
    "special_justification",
    "facts",
    "assessment",
}
DOCUMENT_FIELDS = {"type", "number", "issuing_country", "expires"}


@dataclass
class CleanEntity:
    kind: str
    label: str
    data: dict[str, Any] = field(default_factory=dict)
    category: str = ""
    purpose: str = ""
    legal_basis: str = ""
    review_date: dt.date | None = None
    retention_end: dt.date | None = None
    special_categories: list[str] = field(default_factory=list)
    special_justification: str = ""
    facts: str = ""
    assessment: str = ""

    def document(self) -> dict[str, Any]:
        """The entity as it appears in the signed canonical document."""
        out: dict[str, Any] = {"kind": self.kind, **self.data}
        if self.kind == EntityKind.PERSON:
            out.update(
                category=self.category,
                purpose=self.purpose,
                legal_basis=self.legal_basis,
                review_date=self.review_date.isoformat() if self.review_date else None,
                retention_end=self.retention_end.isoformat() if self.retention_end else None,
                special_categories=self.special_categories,
                special_justification=self.special_justification,
                facts=self.facts,
                assessment=self.assessment,
            )
        return out


class EntityErrors:
    """Collects ``{"field", "reason"}`` errors so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append({"field": field_name, "reason": reason})


def _text(
    raw: dict[str, Any],
    key: str,
    where: str,
    errors: EntityErrors,
    *,
    required: bool = False,
    max_len: int = 10_000,
) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(f"{where}.{key}", "must be text")
        return ""
    value = value.strip()
    if required and not value:
        errors.add(f"{where}.{key}", "is required")
    if len(value) > max_len:
        errors.add(f"{where}.{key}", f"is longer than {max_len} characters")
    return value


def _texts(raw: dict[str, Any], key: str, where: str, errors: EntityErrors) -> list[str]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(f"{where}.{key}", "must be a list of text")
        return []
    return [v.strip() for v in value if v.strip()]


def _date(
    raw: dict[str, Any], key: str, where: str, errors: EntityErrors, *, required: bool = False
) -> dt.date | None:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            errors.add(f"{where}.{key}", "is required")
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(f"{where}.{key}", "must be a date (YYYY-MM-DD)")
        return None


def _person(raw: dict[str, Any], where: str, errors: EntityErrors, today: dt.date) -> CleanEntity:
    unknown = sorted(set(raw) - PERSON_FIELDS)
    for key in unknown:
        errors.add(f"{where}.{key}", "is not a field of a person")
    names = _texts(raw, "names", where, errors)
    if not names:
        errors.add(f"{where}.names", "at least one name is required")
    data: dict[str, Any] = {
        "names": names,
        "aliases": _texts(raw, "aliases", where, errors),
        "nationalities": [n.upper() for n in _texts(raw, "nationalities", where, errors)],
        "place_of_birth": _text(raw, "place_of_birth", where, errors, max_len=255),
    }
    for i, code in enumerate(data["nationalities"]):
        if len(code) != 2 or not code.isalpha():
            errors.add(f"{where}.nationalities[{i}]", "must be a two-letter country code")
    birth = _date(raw, "date_of_birth", where, errors)
    if birth is not None and birth > today:
        errors.add(f"{where}.date_of_birth", "is in the future")
    data["date_of_birth"] = birth.isoformat() if birth else None
    documents = raw.get("identity_documents") or []
    if not isinstance(documents, list):
        errors.add(f"{where}.identity_documents", "must be a list")
        documents = []
    clean_docs = []
    for j, doc in enumerate(documents):
        here = f"{where}.identity_documents[{j}]"
        if not isinstance(doc, dict):
            errors.add(here, "must be an object")
            continue
        for key in sorted(set(doc) - DOCUMENT_FIELDS):
            errors.add(f"{here}.{key}", "is not a field of an identity document")
        clean_docs.append(
            {
                "type": _text(doc, "type", here, errors, required=True, max_len=64),
                "number": _text(doc, "number", here, errors, required=True, max_len=64),
                "issuing_country": _text(doc, "issuing_country", here, errors, max_len=2).upper(),
            }
        )
    data["identity_documents"] = clean_docs

    category = _text(raw, "category", where, errors, required=True)
    if category and category not in SubjectCategory.values:
        errors.add(f"{where}.category", f"must be one of {', '.join(SubjectCategory.values)}")
    specials = _texts(raw, "special_categories", where, errors)
    for i, special in enumerate(specials):
        if special not in SpecialCategory.values:
            errors.add(f"{where}.special_categories[{i}]", "is not a special category (Art. 10)")
    justification = _text(raw, "special_justification", where, errors)
    if specials and not justification:
        errors.add(
            f"{where}.special_justification",
            "special categories (Art. 10) need a justification of strict necessity",
        )
    review = _date(raw, "review_date", where, errors, required=True)
    retention = _date(raw, "retention_end", where, errors, required=True)
    if review and retention and retention < review:
        errors.add(f"{where}.retention_end", "is before the review date")
    return CleanEntity(
        kind=EntityKind.PERSON,
        label=names[0] if names else "",
        data=data,
        category=category,
        purpose=_text(raw, "purpose", where, errors, required=True, max_len=255),
        legal_basis=_text(raw, "legal_basis", where, errors, required=True, max_len=255),
        review_date=review,
        retention_end=retention,
        special_categories=specials,
        special_justification=justification,
        facts=_text(raw, "facts", where, errors),
        assessment=_text(raw, "assessment", where, errors),
    )


def _other(kind: str, raw: dict[str, Any], where: str, errors: EntityErrors) -> CleanEntity:
    allowed = set(KIND_FIELDS[kind]) | {"kind", "facts", "assessment"}
    for key in sorted(set(raw) - allowed):
        errors.add(f"{where}.{key}", f"is not a field of a {kind}")
    data = {}
    for key in KIND_FIELDS[kind]:
        value = raw.get(key)
        if value is None or value == "":
            continue
        data[key] = (
            value
            if isinstance(value, int | float)
            else _text(raw, key, where, errors, max_len=1000)
        )
    label_key = LABEL_FIELD[kind]
    label = _text(raw, label_key, where, errors, required=True, max_len=255)
    if kind == EntityKind.COMMUNICATION and data.get("type") not in COMMUNICATION_TYPES:
        errors.add(f"{where}.type", f"must be one of {', '.join(COMMUNICATION_TYPES)}")
    return CleanEntity(
        kind=kind,
        label=label,
        data=data,
        facts=_text(raw, "facts", where, errors),
        assessment=_text(raw, "assessment", where, errors),
    )


def clean_entities(raw_entities: Any, errors: EntityErrors, today: dt.date) -> list[CleanEntity]:
    """Validate every entity; errors are collected, the caller raises one Problem."""
    if raw_entities in (None, ""):
        return []
    if not isinstance(raw_entities, list):
        errors.add("entities", "must be a list")
        return []
    out = []
    for i, raw in enumerate(raw_entities):
        where = f"entities[{i}]"
        if not isinstance(raw, dict):
            errors.add(where, "must be an object")
            continue
        kind = raw.get("kind")
        if kind == EntityKind.PERSON:
            out.append(_person(raw, where, errors, today))
        elif kind in KIND_FIELDS:
            out.append(_other(str(kind), raw, where, errors))
        else:
            errors.add(f"{where}.kind", f"must be one of {', '.join(EntityKind.values)}")
    return out


def carries_personal_data(entities: list[CleanEntity]) -> bool:
    """Persons and communication identifiers are personal data (an e-mail names someone)."""
    return any(e.kind in (EntityKind.PERSON, EntityKind.COMMUNICATION) for e in entities)
