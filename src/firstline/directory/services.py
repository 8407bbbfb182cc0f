"""Every write to the directory goes through here: validate, check the policy, write in one
transaction and, when the object is personal data, write the audit entry in that transaction.

Inputs are plain values: references by natural key (``"al-asp-ctu"``), countries by ISO code,
multilingual names as ``{"sq": "...", "sr-latn": "..."}``, dates as ``datetime.date``. The API,
the CSV importer and the demo command all call these functions, so a rule checked here holds
everywhere.

Each ``create_*`` / ``update_*`` returns the saved object; ``save``, which the importer uses,
also says whether anything changed (an unchanged re-import writes nothing and logs nothing,
which keeps ``firstline demo`` idempotent).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Model, ProtectedError, Q
from django.http import HttpRequest

from firstline import policy
from firstline.accounts.models import User
from firstline.audit.models import Operation
from firstline.core.problems import Problem
from firstline.directory import countries
from firstline.directory.console import ConsoleActor
from firstline.directory.models import (
    Country,
    FocalPoint,
    Membership,
    Network,
    Organisation,
    Person,
    Unit,
)
from firstline.directory.personal_data import (
    FOCAL_POINT_TYPE,
    MEMBERSHIP_TYPE,
    PERSON_TYPE,
    AuditBatch,
    record_consultation,
)

M = TypeVar("M", bound=Model)
Data = Mapping[str, Any]
Errors = list[dict[str, str]]

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"

# Re-exported: the importer, the pages and the API reach them through ``services``.
__all__ = [
    "FOCAL_POINT_TYPE",
    "MEMBERSHIP_TYPE",
    "PERSON_TYPE",
    "AuditBatch",
    "ConsoleActor",
    "record_consultation",
]


# --- errors --------------------------------------------------------------------------------


def invalid(errors: Errors) -> Problem:
    """A Problem listing every bad field (status 400)."""
    return Problem(
        "Invalid input",
        detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        errors=errors,
    )


def _errors_from(exc: ValidationError) -> Errors:
    if not hasattr(exc, "error_dict"):
        return [{"field": "", "reason": m} for m in exc.messages]
    return [
        {"field": "" if name == "__all__" else name, "reason": message}
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


# --- references by natural key -------------------------------------------------------------


def name_languages() -> list[str]:
    """Languages a ``names`` dict may carry: the node's languages except English (``name``)."""
    return [code for code, _label in settings.LANGUAGES if code != "en"]


def country_for(code: str | None) -> Country | None:
    """The Country with ISO code ``code``, created from the reference table on first use."""
    if code is None or not str(code).strip():
        return None
    code = str(code).strip().upper()
    found = Country.objects.filter(code=code).order_by().first()
    if found is not None:
        return found
    if not countries.is_known(code):
        raise Problem.field(
            "country", f"unknown country code {code!r} (ISO 3166-1 alpha-2; XK for Kosovo*)"
        )
    country, _ = Country.objects.get_or_create(
        code=code,
        defaults={
            "name": countries.NAMES[code],
            "names": countries.local_names(code),
            "is_beneficiary": code in countries.BENEFICIARIES,
        },
    )
    return country


def _by_key(model: type[M], field_name: str) -> Callable[[Any], M | None]:
    def resolve(key: Any) -> M | None:
        if key is None or not str(key).strip():
            return None
        found = model._default_manager.filter(key=str(key).strip()).order_by().first()
        if found is None:
            label = model._meta.verbose_name
            raise Problem.field(field_name, f"no {label} with key {str(key).strip()!r}")
        return found

    return resolve


def _clean_names(value: Any) -> tuple[dict[str, str], Errors]:
    if value in (None, ""):
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [{"field": "names", "reason": "must map language codes to names"}]
    allowed = name_languages()
    names: dict[str, str] = {}
    errors: Errors = []
    for lang, text in value.items():
        lang_code = str(lang).strip().lower()
        if lang_code not in allowed:
            errors.append(
                {
                    "field": f"names.{lang}",
                    "reason": f"unknown language; use one of {', '.join(allowed)}",
                }
            )
            continue
        text = "" if text is None else str(text).strip()
        if len(text) > 255:
            errors.append({"field": f"names.{lang}", "reason": "at most 255 characters"})
        elif text:
            names[lang_code] = text
    return dict(sorted(names.items())), errors


# --- one generic write, specialised per model ----------------------------------------------


@dataclass(frozen=True)
class Spec(Generic[M]):
    """What a model's writes accept and check."""

    model: type[M]
    fields: tuple[str, ...]
    required: tuple[str, ...]
    refs: Mapping[str, Callable[[Any], Model | None]]
    check: Callable[[M], Errors]
    # (object type, person pk) when the object is personal data, else None
    subject: Callable[[M], tuple[str, int] | None]


def _snapshot(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


# Objects found by key during one import: (resolver, key) -> object. Only for a caller that
# drops it whenever a write fails (a failed write may have rolled back an object it holds).
RefCache = dict[tuple[Any, str], Any]


def _assign(spec: Spec[M], instance: M, data: Data, cache: RefCache | None = None) -> Errors:
    errors: Errors = []
    for name, value in data.items():
        if name in spec.refs:
            resolver = spec.refs[name]
            cache_key = (resolver, "" if value is None else str(value).strip())
            try:
                if cache is not None and cache_key in cache:
                    target = cache[cache_key]
                else:
                    target = resolver(value)
                    if cache is not None:
                        cache[cache_key] = target
                setattr(instance, name, target)
            except Problem as problem:
                errors.extend(problem.errors)
        elif name == "names":
            names, name_errors = _clean_names(value)
            errors.extend(name_errors)
            instance.names = names  # type: ignore[attr-defined]
        elif isinstance(value, str):
            setattr(instance, name, value.strip())
        elif value is None and isinstance(
            instance._meta.get_field(name), models.CharField | models.TextField
        ):
            setattr(instance, name, "")  # text columns store "" for nothing, never NULL
        else:
            setattr(instance, name, value)
    return errors


def _save(
    spec: Spec[M],
    actor: Any,
    original: M | None,
    data: Data,
    *,
    batch: AuditBatch | None,
    request: HttpRequest | None,
    now: dt.datetime | None,
    locked: bool = False,
    cache: RefCache | None = None,
) -> tuple[M, str]:
    unknown = sorted(set(data) - set(spec.fields))
    if unknown:
        raise invalid([{"field": name, "reason": "unknown field"} for name in unknown])
    creating = original is None
    own_batch = batch is None
    audit = AuditBatch() if batch is None else batch
    # One transaction for reads, checks and writes: a country created on first use rolls back
    # with a failed write, and the row being changed stays locked until we are done.
    with transaction.atomic():
        if original is None:
            instance = spec.model()
            missing = [
                name for name in spec.required if data.get(name) in (None, "") or name not in data
            ]
            if missing:
                raise invalid([{"field": name, "reason": "required"} for name in missing])
        else:
            policy.require(actor, policy.CHANGE, original)
            if "key" in data and str(data["key"]).strip() != original.key:  # type: ignore[attr-defined]
                raise Problem.field("key", "cannot be changed; keys identify records across nodes")
            instance = (
                original
                if locked
                else spec.model._default_manager.select_for_update().get(pk=original.pk)
            )
        before = _snapshot(instance)
        errors = _assign(spec, instance, data, cache)
        if not errors:
            if not creating and _snapshot(instance) == before:
                return instance, UNCHANGED  # what is stored passed the checks when written
            # the references are resolved, so the policy sees where the object would belong
            policy.require(actor, policy.ADD if creating else policy.CHANGE, instance)
            errors = spec.check(instance) + _missing_relations(instance)
        relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
        try:
            # References were resolved by key above and the models' check constraints are
            # mirrored in ``spec.check`` with field-named reasons, so Django need not query
            # for them again (the database still enforces both).
            instance.full_clean(exclude=relations, validate_constraints=False)
        except ValidationError as exc:
            known = {e["field"] for e in errors}
            errors.extend(e for e in _errors_from(exc) if e["field"] not in known)
        if errors:
            raise invalid(errors)
        instance.save()
        subject = spec.subject(instance)
        if subject is not None:
            operation = Operation.COLLECT if creating else Operation.ALTER
            audit.add(operation, subject[0], instance.pk, subject[1])
        if own_batch:
            audit.flush(actor, request=request, now=now)
    return instance, CREATED if creating else UPDATED


def _missing_relations(instance: Model) -> Errors:
    return [
        {"field": f.name, "reason": "required"}
        for f in instance._meta.concrete_fields
        if f.is_relation and not f.null and getattr(instance, f.attname) is None
    ]


def _delete(
    actor: Any,
    instance: Model,
    erased: Iterable[tuple[str, int, int]],
    altered: Iterable[tuple[str, int, int]] = (),
    *,
    request: HttpRequest | None,
    now: dt.datetime | None,
) -> None:
    """Delete after the policy check; log erased and altered personal data (type, id, person)."""
    with transaction.atomic():
        policy.require(actor, policy.DELETE, instance)
        audit = AuditBatch()
        for object_type, object_id, person_id in erased:
            audit.add(Operation.ERASE, object_type, object_id, person_id)
        for object_type, object_id, person_id in altered:
            audit.add(Operation.ALTER, object_type, object_id, person_id)
        try:
            instance.delete()
        except ProtectedError as exc:
            counts: dict[str, int] = defaultdict(int)
            for obj in exc.protected_objects:
                counts[str(obj._meta.verbose_name_plural)] += 1
            raise Problem(
                "Cannot delete",
                status=409,
                detail=f"{instance} is still referenced",
                errors=[
                    {"field": name, "reason": f"still has {n} {name}; remove or move them first"}
                    for name, n in sorted(counts.items())
                ],
            ) from None
        audit.flush(actor, request=request, now=now)


# --- checks per model ----------------------------------------------------------------------


def _cycle(obj: Model, parent: Model | None, field_name: str) -> Errors:
    seen = {obj.pk} if obj.pk else set()
    depth = 0
    while parent is not None and depth < 64:
        if parent.pk in seen:
            return [{"field": field_name, "reason": "would make a cycle of parents"}]
        seen.add(parent.pk)
        parent = getattr(parent, field_name)
        depth += 1
    return []


def _check_organisation(org: Organisation) -> Errors:
    return _cycle(org, org.parent, "parent")


def _check_unit(unit: Unit) -> Errors:
    errors = _cycle(unit, unit.parent, "parent")
    if unit.parent is not None and unit.parent.organisation_id != unit.organisation_id:
        errors.append({"field": "parent", "reason": "belongs to another organisation"})
    return errors


def _check_person(person: Person) -> Errors:
    if person.unit is not None and person.unit.organisation_id != person.organisation_id:
        return [{"field": "unit", "reason": "belongs to another organisation"}]
    return []


def _check_period(start: dt.date | None, end: dt.date | None) -> Errors:
    if start is not None and end is not None and end < start:
        return [{"field": "end", "reason": "before start"}]
    return []


def _check_membership(membership: Membership) -> Errors:
    errors = _check_period(membership.start, membership.end)
    has_org = membership.organisation_id is not None
    has_person = membership.person_id is not None
    if has_org == has_person:
        reason = "give an organisation or a person, not both" if has_org else "required"
        errors.append({"field": "organisation", "reason": reason})
        return errors
    member = (
        Q(organisation_id=membership.organisation_id)
        if has_org
        else Q(person_id=membership.person_id)
    )
    twins = Membership.objects.filter(
        member, network_id=membership.network_id, start=membership.start
    ).exclude(pk=membership.pk)
    if membership.network_id and twins.exists():
        errors.append(
            {"field": "network", "reason": "already a member of this network from this start"}
        )
    return errors


def _check_focal_point(focal_point: FocalPoint) -> Errors:
    errors = _check_period(focal_point.start, focal_point.end)
    person = focal_point.person if focal_point.person_id else None
    if person is not None and focal_point.country_id:
        org_country = person.organisation.country_id
        if org_country is not None and org_country != focal_point.country_id:
            errors.append(
                {"field": "person", "reason": "works for an organisation in another country"}
            )
        twins = FocalPoint.objects.filter(
            country_id=focal_point.country_id, topic=focal_point.topic, person_id=person.pk
        ).exclude(pk=focal_point.pk)
        if twins.exists():
            errors.append({"field": "topic", "reason": "already a focal point for this topic"})
    return errors


def _no_subject(obj: Model) -> None:
    return None


def _membership_subject(m: Membership) -> tuple[str, int] | None:
    return (MEMBERSHIP_TYPE, m.person_id) if m.person_id else None


ORGANISATION = Spec[Organisation](
    model=Organisation,
    fields=(
        "key",
        "name",
        "names",
        "acronym",
        "sector",
        "level",
        "country",
        "municipality",
        "parent",
        "website",
        "email",
        "is_active",
    ),
    required=("key", "name", "sector", "level"),
    refs={"country": country_for, "parent": _by_key(Organisation, "parent")},
    check=_check_organisation,
    subject=_no_subject,
)
UNIT = Spec[Unit](
    model=Unit,
    fields=("key", "name", "organisation", "parent"),
    required=("key", "name", "organisation"),
    refs={
        "organisation": _by_key(Organisation, "organisation"),
        "parent": _by_key(Unit, "parent"),
    },
    check=_check_unit,
    subject=_no_subject,
)
PERSON = Spec[Person](
    model=Person,
    fields=(
        "key",
        "organisation",
        "unit",
        "given_name",
        "family_name",
        "role",
        "email",
        "phone",
    ),
    required=("key", "organisation", "given_name", "family_name"),
    refs={"organisation": _by_key(Organisation, "organisation"), "unit": _by_key(Unit, "unit")},
    check=_check_person,
    subject=lambda p: (PERSON_TYPE, p.pk),
)
NETWORK = Spec[Network](
    model=Network,
    fields=("key", "name", "names", "acronym", "level", "country", "description"),
    required=("key", "name", "level"),
    refs={"country": country_for},
    check=lambda network: [],
    subject=_no_subject,
)
MEMBERSHIP = Spec[Membership](
    model=Membership,
    fields=("network", "organisation", "person", "role", "start", "end"),
    required=("network", "role"),
    refs={
        "network": _by_key(Network, "network"),
        "organisation": _by_key(Organisation, "organisation"),
        "person": _by_key(Person, "person"),
    },
    check=_check_membership,
    subject=_membership_subject,
)
FOCAL_POINT = Spec[FocalPoint](
    model=FocalPoint,
    fields=("country", "topic", "person", "start", "end"),
    required=("country", "topic", "person"),
    refs={"country": country_for, "person": _by_key(Person, "person")},
    check=_check_focal_point,
    subject=lambda f: (FOCAL_POINT_TYPE, f.person_id),
)

SPECS: dict[type[Model], Spec[Any]] = {
    spec.model: spec for spec in (ORGANISATION, UNIT, PERSON, NETWORK, MEMBERSHIP, FOCAL_POINT)
}


def save(
    actor: Any,
    model: type[M],
    original: M | None,
    data: Data,
    *,
    batch: AuditBatch | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    locked: bool = False,
    cache: RefCache | None = None,
) -> tuple[M, str]:
    """Create (``original`` None) or update any directory object; say what happened.

    With a shared ``batch`` the caller flushes the audit entries itself (the importer does,
    once per file); without one, the entry is written before this returns. ``locked`` says
    the caller fetched ``original`` with ``select_for_update`` in the current transaction and
    will not reuse it (it is changed in place); ``cache`` shares look-ups by key across calls.
    """
    return _save(
        SPECS[model],
        actor,
        original,
        data,
        batch=batch,
        request=request,
        now=now,
        locked=locked,
        cache=cache,
    )


# --- the named writes ----------------------------------------------------------------------


def create_organisation(
    actor: Any, data: Data, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> Organisation:
    """Add an organisation (node administrators)."""
    return _save(ORGANISATION, actor, None, data, batch=None, request=request, now=now)[0]


def update_organisation(
    actor: Any,
    organisation: Organisation,
    changes: Data,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Organisation:
    """Change an organisation (node administrators; its own organisation administrators)."""
    return _save(ORGANISATION, actor, organisation, changes, batch=None, request=request, now=now)[
        0
    ]


def delete_organisation(
    actor: Any,
    organisation: Organisation,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Remove an organisation with no people, sub-organisations or user accounts left."""
    _delete(actor, organisation, (), request=request, now=now)


def create_unit(
    actor: Any, data: Data, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> Unit:
    """Add a unit to an organisation."""
    return _save(UNIT, actor, None, data, batch=None, request=request, now=now)[0]


def update_unit(
    actor: Any,
    unit: Unit,
    changes: Data,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Unit:
    """Change a unit (it may not move to another administrator's organisation)."""
    return _save(UNIT, actor, unit, changes, batch=None, request=request, now=now)[0]


def delete_unit(
    actor: Any, unit: Unit, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> None:
    """Remove a unit; its people stay in the organisation without a unit (logged as ALTER)."""
    altered = [(PERSON_TYPE, pk, pk) for pk in unit.people.values_list("pk", flat=True)]
    _delete(actor, unit, (), altered, request=request, now=now)


def create_person(
    actor: Any, data: Data, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> Person:
    """Add a contact person (personal data: logged as COLLECT)."""
    return _save(PERSON, actor, None, data, batch=None, request=request, now=now)[0]


def update_person(
    actor: Any,
    person: Person,
    changes: Data,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Person:
    """Change a contact person (logged as ALTER when anything changed)."""
    return _save(PERSON, actor, person, changes, batch=None, request=request, now=now)[0]


def delete_person(
    actor: Any,
    person: Person,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Erase a contact person with their memberships and focal-point designations."""
    erased = [(PERSON_TYPE, person.pk, person.pk)]
    erased += [
        (MEMBERSHIP_TYPE, pk, person.pk) for pk in person.memberships.values_list("pk", flat=True)
    ]
    erased += [
        (FOCAL_POINT_TYPE, pk, person.pk) for pk in person.focal_points.values_list("pk", flat=True)
    ]
    _delete(actor, person, erased, request=request, now=now)


def link_person_user(
    actor: Any,
    person: Person,
    user: User | None,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Person:
    """Link a contact to the account they sign in with (or unlink); ALTER when it changes."""
    with transaction.atomic():
        policy.require(actor, policy.CHANGE, person)
        if user is not None and user.organisation_id not in (None, person.organisation_id):
            raise Problem.field("user", "belongs to another organisation")
        if person.user_id == (user.pk if user else None):
            return person
        altered = [person.pk]
        if user is not None:
            # an account signs in as one person: unlink whoever held it before
            previous = list(Person.objects.filter(user=user).values_list("pk", flat=True))
            Person.objects.filter(pk__in=previous).update(user=None)
            altered += previous
        person.user = user
        person.save(update_fields=["user"])
        audit = AuditBatch()
        for pk in altered:
            audit.add(Operation.ALTER, PERSON_TYPE, pk, pk)
        audit.flush(actor, request=request, now=now)
    return person


def create_network(
    actor: Any, data: Data, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> Network:
    """Add a network (node administrators)."""
    return _save(NETWORK, actor, None, data, batch=None, request=request, now=now)[0]


def update_network(
    actor: Any,
    network: Network,
    changes: Data,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Network:
    """Change a network (node administrators)."""
    return _save(NETWORK, actor, network, changes, batch=None, request=request, now=now)[0]


def delete_network(
    actor: Any,
    network: Network,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Remove a network and its memberships (people's memberships logged as ERASE)."""
    erased = [
        (MEMBERSHIP_TYPE, pk, person_id)
        for pk, person_id in network.memberships.filter(person__isnull=False).values_list(
            "pk", "person_id"
        )
    ]
    _delete(actor, network, erased, request=request, now=now)


def create_membership(
    actor: Any, data: Data, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> Membership:
    """Put an organisation or a person into a network with a role and a period."""
    return _save(MEMBERSHIP, actor, None, data, batch=None, request=request, now=now)[0]


def update_membership(
    actor: Any,
    membership: Membership,
    changes: Data,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Membership:
    """Change a membership's role or period (or, for node administrators, anything)."""
    return _save(MEMBERSHIP, actor, membership, changes, batch=None, request=request, now=now)[0]


def delete_membership(
    actor: Any,
    membership: Membership,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """End a membership by removing it (a person's membership is logged as ERASE)."""
    erased = (
        [(MEMBERSHIP_TYPE, membership.pk, membership.person_id)] if membership.person_id else []
    )
    _delete(actor, membership, erased, request=request, now=now)


def create_focal_point(
    actor: Any, data: Data, *, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> FocalPoint:
    """Designate a person as their country's focal point for a topic."""
    return _save(FOCAL_POINT, actor, None, data, batch=None, request=request, now=now)[0]


def update_focal_point(
    actor: Any,
    focal_point: FocalPoint,
    changes: Data,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> FocalPoint:
    """Change a focal-point designation."""
    return _save(FOCAL_POINT, actor, focal_point, changes, batch=None, request=request, now=now)[0]


def delete_focal_point(
    actor: Any,
    focal_point: FocalPoint,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Withdraw a focal-point designation (logged as ERASE)."""
    erased = [(FOCAL_POINT_TYPE, focal_point.pk, focal_point.person_id)]
    _delete(actor, focal_point, erased, request=request, now=now)
