"""The directory's one CSV format: import (validated, all or nothing) and export (sorted).

Every row has a ``record_type`` and uses the columns that type needs; the others stay empty.
Rows refer to each other by ``key`` (organisations, units, networks, people), to countries by
ISO 3166-1 alpha-2 code, and carry names in other languages in ``name_<language>`` columns
(``name_sq``, ``name_sr-latn``, ``name_mk``...). Memberships and focal points have no key: a
membership is identified by (network, member, start), a focal point by (country, topic, person).

=============  ==========================================================================
record_type    columns it uses (``RECORD_TYPES`` says which are required)
=============  ==========================================================================
organisation   key, name, name_*, acronym, sector, level, country, municipality, parent,
               website, email, active (yes/no, empty means yes)
unit           key, name, organisation, parent (a unit of the same organisation)
network        key, name, name_*, acronym, level, country, description
person         key, organisation, unit, given_name, family_name, role (free text), email,
               phone
membership     network, organisation *or* person, role (chair, member, observer,
               focal_point), start, end (YYYY-MM-DD)
focal_point    country, topic, person, start, end
=============  ==========================================================================

Import first checks every row against the database *and* the rest of the file and reports
every problem with its line, column and reason; only a clean file is written, in one
transaction, through ``directory.services`` (so the same rules as the API apply). A row whose
key exists updates that record. ``--dry-run`` runs the whole import and rolls it back.

Export writes every column for every row, rows sorted by type then natural key, so
export → import → export reproduces the file byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Field, Model

from firstline import policy
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core.problems import Problem
from firstline.directory import countries, services
from firstline.directory.models import (
    Country,
    FocalPoint,
    Level,
    Membership,
    MembershipRole,
    Network,
    NetworkLevel,
    Organisation,
    Person,
    Sector,
    Unit,
)

NAME_PREFIX = "name_"


@dataclass(frozen=True)
class RecordType:
    """The columns a record type uses, those it requires, and the model it writes."""

    model: type[Model]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    multilingual: bool = False


RECORD_TYPES: dict[str, RecordType] = {
    "organisation": RecordType(
        Organisation,
        (
            "key",
            "name",
            "acronym",
            "sector",
            "level",
            "country",
            "municipality",
            "parent",
            "website",
            "email",
            "active",
        ),
        ("key", "name", "sector", "level"),
        multilingual=True,
    ),
    "unit": RecordType(
        Unit, ("key", "name", "organisation", "parent"), ("key", "name", "organisation")
    ),
    "network": RecordType(
        Network,
        ("key", "name", "acronym", "level", "country", "description"),
        ("key", "name", "level"),
        multilingual=True,
    ),
    "person": RecordType(
        Person,
        ("key", "organisation", "unit", "given_name", "family_name", "role", "email", "phone"),
        ("key", "organisation", "given_name", "family_name"),
    ),
    "membership": RecordType(
        Membership,
        ("network", "organisation", "person", "role", "start", "end"),
        ("network", "role"),
    ),
    "focal_point": RecordType(
        FocalPoint, ("country", "topic", "person", "start", "end"), ("country", "topic", "person")
    ),
}

CHOICES: dict[tuple[str, str], type[Any]] = {
    ("organisation", "sector"): Sector,
    ("organisation", "level"): Level,
    ("network", "level"): NetworkLevel,
    ("membership", "role"): MembershipRole,
}

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def columns() -> list[str]:
    """The header, in the order export writes it."""
    names = [f"{NAME_PREFIX}{lang}" for lang in services.name_languages()]
    return [
        "record_type",
        "key",
        "name",
        *names,
        "acronym",
        "sector",
        "level",
        "country",
        "municipality",
        "parent",
        "organisation",
        "unit",
        "network",
        "person",
        "given_name",
        "family_name",
        "role",
        "topic",
        "email",
        "phone",
        "website",
        "start",
        "end",
        "active",
        "description",
    ]


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    """One problem: the file line the record starts on, the column, and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class Row:
    line: int
    record_type: str
    cells: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> RecordType:
        return RECORD_TYPES[self.record_type]


@dataclass
class ImportReport:
    """What an import found and did (or, in a dry run, would do)."""

    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    people_collected: list[int] = field(default_factory=list)
    people_altered: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, record_type: str, outcome: str) -> int:
        return self.counts.get(record_type, Counter())[outcome]

    def summary(self) -> str:
        parts = []
        for record_type in RECORD_TYPES:
            c = self.counts.get(record_type)
            if c:
                parts.append(
                    f"{record_type}: {c[services.CREATED]} created, "
                    f"{c[services.UPDATED]} updated, {c[services.UNCHANGED]} unchanged"
                )
        lead = "Dry run, nothing written" if self.dry_run else "Imported"
        return f"{lead} — " + ("; ".join(parts) or "no records")


# --- reading -------------------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """UTF-8 text, with or without the byte-order mark spreadsheets write."""
    return raw.decode("utf-8-sig")


def _read(text: str, errors: list[RowError]) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    known = set(columns())
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        errors.append(RowError(1, "", "the file is empty"))
        return []
    except csv.Error as exc:
        errors.append(RowError(1, "", f"not readable as CSV: {exc}"))
        return []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "duplicate column"))
        elif name not in known:
            hint = (
                f"unknown language; name columns are {', '.join(c for c in known if c.startswith(NAME_PREFIX))}"
                if name.startswith(NAME_PREFIX)
                else "unknown column"
            )
            errors.append(RowError(1, name, hint))
        seen.add(name)
    if "record_type" not in header:
        errors.append(RowError(1, "record_type", "required column missing"))
        return []
    rows: list[Row] = []
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, "", f"not readable as CSV: {exc}"))
            break
        if any(v.strip() for v in values):
            if len(values) > len(header):
                errors.append(
                    RowError(line, "", f"{len(values)} cells but the header has {len(header)}")
                )
            cells = {
                name: value.strip()
                for name, value in zip(header, values, strict=False)
                if name in known
            }
            rows.append(Row(line, cells.get("record_type", ""), cells))
        line = reader.line_num + 1
    return rows


# --- checking each row on its own ----------------------------------------------------------


def _parse_date(row: Row, column: str, errors: list[RowError]) -> dt.date | None:
    value = row.cells.get(column, "")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(row.line, column, f"bad date {value!r} (use YYYY-MM-DD)"))
        return None


def _check_cells(row: Row, errors: list[RowError]) -> None:
    """Fill ``row.data`` (the service input) and report what is wrong with the row itself."""
    spec = row.spec
    cells = row.cells
    name_columns = {c for c in cells if c.startswith(NAME_PREFIX)}
    allowed = set(spec.columns) | {"record_type"} | (name_columns if spec.multilingual else set())
    for column, value in cells.items():
        if value and column not in allowed:
            errors.append(RowError(row.line, column, f"not used in a {row.record_type} row"))
    for column in spec.required:
        if not cells.get(column):
            errors.append(RowError(row.line, column, "required"))

    data: dict[str, Any] = {}
    for column in spec.columns:
        value = cells.get(column, "")
        if column in ("start", "end"):
            data[column] = _parse_date(row, column, errors)
        elif column == "active":
            if value.lower() in YES or not value:
                data["is_active"] = True
            elif value.lower() in NO:
                data["is_active"] = False
            else:
                errors.append(RowError(row.line, column, f"{value!r} is not yes or no"))
        elif column == "country":
            code = value.upper()
            data[column] = code
            if code and not (
                countries.is_known(code) or Country.objects.filter(code=code).exists()
            ):
                errors.append(
                    RowError(
                        row.line,
                        column,
                        f"unknown country {value!r} (ISO 3166-1 alpha-2 code; XK for Kosovo*)",
                    )
                )
        else:
            data[column] = value
    if spec.multilingual:
        data["names"] = {c[len(NAME_PREFIX) :]: cells[c] for c in sorted(name_columns) if cells[c]}
    start, end = data.get("start"), data.get("end")
    if start and end and end < start:
        errors.append(RowError(row.line, "end", f"{end} is before start {start}"))
    if row.record_type == "membership" and cells.get("organisation") and cells.get("person"):
        errors.append(RowError(row.line, "person", "give an organisation or a person, not both"))
    if (
        row.record_type == "membership"
        and not cells.get("organisation")
        and not cells.get("person")
    ):
        errors.append(RowError(row.line, "organisation", "required (or person)"))

    for (record_type, column), choices in CHOICES.items():
        value = cells.get(column, "")
        if record_type == row.record_type and value and value not in choices.values:
            errors.append(
                RowError(
                    row.line,
                    column,
                    f"unknown {column} {value!r}; one of {', '.join(choices.values)}",
                )
            )
    # lengths, slugs, e-mail and web addresses: the model fields' own validators
    model = spec.model
    for column in spec.columns:
        value = cells.get(column, "")
        target = "is_active" if column == "active" else column
        if not value or (row.record_type, column) in CHOICES or column in ("start", "end"):
            continue
        model_field = model._meta.get_field(target)
        if not isinstance(model_field, Field) or model_field.is_relation or column == "active":
            continue
        try:
            model_field.clean(value, None)
        except ValidationError as exc:
            errors.append(RowError(row.line, column, " ".join(exc.messages)))
    for column in name_columns:
        if len(cells[column]) > 255:
            errors.append(RowError(row.line, column, "at most 255 characters"))
    row.data = data


# --- checking rows against each other and the database -------------------------------------


def _member_identity(row: Row) -> tuple[str, ...]:
    if row.record_type == "membership":
        member = (
            ("organisation", row.cells.get("organisation", ""))
            if row.cells.get("organisation")
            else ("person", row.cells.get("person", ""))
        )
        return (row.cells.get("network", ""), *member, row.cells.get("start", ""))
    if row.record_type == "focal_point":
        return (
            row.cells.get("country", "").upper(),
            row.cells.get("topic", ""),
            row.cells.get("person", ""),
        )
    return (row.cells.get("key", ""),)


def _find_cycle(start: str, parents: dict[str, str]) -> list[str] | None:
    path = [start]
    current = parents.get(start, "")
    while current:
        if current == start:
            return [*path, start]
        if current in path or len(path) > 64:
            return None  # a cycle that does not pass through ``start``: reported on its own rows
        path.append(current)
        current = parents.get(current, "")
    return None


def _check_references(rows: list[Row], errors: list[RowError]) -> None:
    by_type: dict[str, list[Row]] = {t: [] for t in RECORD_TYPES}
    for row in rows:
        by_type[row.record_type].append(row)

    first_seen: dict[tuple[str, tuple[str, ...]], int] = {}
    for row in rows:
        identity = _member_identity(row)
        if not all(identity[:1]):
            continue
        seen_on = first_seen.setdefault((row.record_type, identity), row.line)
        if seen_on != row.line:
            column = (
                "key"
                if row.record_type in ("organisation", "unit", "network", "person")
                else {
                    "membership": "network",
                    "focal_point": "topic",
                }[row.record_type]
            )
            what = "key" if column == "key" else row.record_type
            errors.append(RowError(row.line, column, f"duplicate {what} (first on line {seen_on})"))

    org_keys = set(Organisation.objects.values_list("key", flat=True))
    org_keys |= {r.cells["key"] for r in by_type["organisation"] if r.cells.get("key")}
    org_parents = dict(
        Organisation.objects.filter(parent__isnull=False).values_list("key", "parent__key")
    )
    org_parents.update(
        {r.cells.get("key", ""): r.cells.get("parent", "") for r in by_type["organisation"]}
    )
    unit_org = dict(Unit.objects.values_list("key", "organisation__key"))
    unit_org.update(
        {r.cells.get("key", ""): r.cells.get("organisation", "") for r in by_type["unit"]}
    )
    unit_parents = dict(Unit.objects.filter(parent__isnull=False).values_list("key", "parent__key"))
    unit_parents.update(
        {r.cells.get("key", ""): r.cells.get("parent", "") for r in by_type["unit"]}
    )
    network_keys = set(Network.objects.values_list("key", flat=True))
    network_keys |= {r.cells["key"] for r in by_type["network"] if r.cells.get("key")}
    person_keys = set(Person.objects.values_list("key", flat=True))
    person_keys |= {r.cells["key"] for r in by_type["person"] if r.cells.get("key")}

    def missing(row: Row, column: str, keys: set[str] | dict[str, str], what: str) -> None:
        value = row.cells.get(column, "")
        if value and value not in keys:
            errors.append(
                RowError(
                    row.line, column, f"no {what} with key {value!r} in the database or the file"
                )
            )

    for row in by_type["organisation"]:
        missing(row, "parent", org_keys, "organisation")
        key = row.cells.get("key", "")
        if key and row.cells.get("parent") in org_keys:
            cycle = _find_cycle(key, org_parents)
            if cycle:
                errors.append(
                    RowError(row.line, "parent", "cycle of parents: " + " → ".join(cycle))
                )
    for row in by_type["unit"]:
        missing(row, "organisation", org_keys, "organisation")
        missing(row, "parent", unit_org, "unit")
        parent = row.cells.get("parent", "")
        key = row.cells.get("key", "")
        if parent in unit_org and unit_org[parent] != row.cells.get("organisation"):
            errors.append(
                RowError(
                    row.line,
                    "parent",
                    f"unit {parent!r} belongs to organisation {unit_org[parent]!r}",
                )
            )
        if key and parent in unit_org:
            cycle = _find_cycle(key, unit_parents)
            if cycle:
                errors.append(
                    RowError(row.line, "parent", "cycle of parents: " + " → ".join(cycle))
                )
    for row in by_type["person"]:
        missing(row, "organisation", org_keys, "organisation")
        missing(row, "unit", unit_org, "unit")
        unit = row.cells.get("unit", "")
        if unit in unit_org and unit_org[unit] != row.cells.get("organisation"):
            errors.append(
                RowError(
                    row.line, "unit", f"unit {unit!r} belongs to organisation {unit_org[unit]!r}"
                )
            )
    for row in by_type["membership"]:
        missing(row, "network", network_keys, "network")
        missing(row, "organisation", org_keys, "organisation")
        missing(row, "person", person_keys, "person")
    for row in by_type["focal_point"]:
        missing(row, "person", person_keys, "person")


def check(text: str) -> tuple[list[Row], list[RowError]]:
    """Read and check a whole file without writing: the rows, and every problem found."""
    errors: list[RowError] = []
    rows = _read(text, errors)
    good: list[Row] = []
    for row in rows:
        if row.record_type not in RECORD_TYPES:
            reason = (
                f"unknown record type {row.record_type!r}; one of {', '.join(RECORD_TYPES)}"
                if row.record_type
                else "required"
            )
            errors.append(RowError(row.line, "record_type", reason))
            continue
        _check_cells(row, errors)
        good.append(row)
    _check_references(good, errors)
    return good, sorted(set(errors))


# --- writing -------------------------------------------------------------------------------


def _topological(rows: list[Row]) -> list[Row]:
    """Parents before their children (keys not in the file are already in the database)."""
    by_key = {r.cells["key"]: r for r in rows}
    ordered: list[Row] = []
    placed: set[str] = set()

    def place(row: Row, depth: int = 0) -> None:
        key = row.cells["key"]
        if key in placed or depth > 64:
            return
        parent = row.cells.get("parent", "")
        if parent in by_key:
            place(by_key[parent], depth + 1)
        placed.add(key)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


def _identity(row: Row) -> tuple[str, ...]:
    """What names the record a row writes: its key, or for memberships and focal points the
    fields that identify them (dates as parsed, so 20200101 and 2020-01-01 are one)."""
    cells = row.cells
    if row.record_type == "membership":
        start = row.data.get("start")
        member = (
            ("organisation", cells.get("organisation", ""))
            if cells.get("organisation")
            else ("person", cells.get("person", ""))
        )
        return (cells.get("network", ""), *member, start.isoformat() if start else "")
    if row.record_type == "focal_point":
        return (cells.get("country", "").upper(), cells.get("topic", ""), cells.get("person", ""))
    return (cells.get("key", ""),)


def _existing(record_type: str, rows: list[Row]) -> dict[tuple[str, ...], Model]:
    """The records these rows would update, fetched and locked in one query per type."""
    model = RECORD_TYPES[record_type].model
    # lock only the rows of this table: PostgreSQL refuses FOR UPDATE on an outer join's
    # nullable side (memberships join an organisation *or* a person)
    self_only = ("self",)
    if record_type == "membership":
        found: dict[tuple[str, ...], Model] = {}
        networks = {r.cells.get("network", "") for r in rows}
        memberships = Membership.objects.select_for_update(of=self_only).order_by()
        for m in memberships.filter(network__key__in=networks).select_related(
            "network", "organisation", "person"
        ):
            member = (
                ("organisation", m.organisation.key) if m.organisation else ("person", m.person.key)  # type: ignore[union-attr]
            )
            start = m.start.isoformat() if m.start else ""
            found[(m.network.key, *member, start)] = m
        return found
    if record_type == "focal_point":
        people = {r.cells.get("person", "") for r in rows}
        focal_points = FocalPoint.objects.select_for_update(of=self_only).order_by()
        return {
            (f.country.code, f.topic, f.person.key): f
            for f in focal_points.filter(person__key__in=people).select_related("country", "person")
        }
    keys = [r.cells.get("key", "") for r in rows]
    keyed = model._default_manager.select_for_update(of=self_only).order_by().filter(key__in=keys)
    return {(obj.key,): obj for obj in keyed}  # type: ignore[attr-defined]


def _column_for(field_name: str) -> str:
    if field_name.startswith("names."):
        return NAME_PREFIX + field_name.split(".", 1)[1]
    return {"is_active": "active"}.get(field_name, field_name)


APPLY_ORDER = ("organisation", "unit", "network", "person", "membership", "focal_point")


def import_csv(actor: Any, text: str, *, dry_run: bool = False) -> ImportReport:
    """Check, then write the whole file in one transaction (rolled back on any error or in a
    dry run). Records one audit entry per kind of change to people, naming them."""
    report = ImportReport(dry_run=dry_run)
    rows, errors = check(text)
    report.errors = errors
    if errors:
        return report
    by_type: dict[str, list[Row]] = {t: [] for t in RECORD_TYPES}
    for row in rows:
        by_type[row.record_type].append(row)
    with transaction.atomic():
        batch = services.AuditBatch()
        cache: services.RefCache = {}
        for record_type in APPLY_ORDER:
            group = by_type[record_type]
            if record_type in ("organisation", "unit"):
                group = _topological(group)
            counts = report.counts.setdefault(record_type, Counter())
            existing = _existing(record_type, group)
            for row in group:
                original = existing.get(_identity(row))
                try:
                    _obj, outcome = services.save(
                        actor,
                        row.spec.model,
                        original,
                        row.data,
                        batch=batch,
                        locked=original is not None,
                        cache=cache,
                    )
                except Problem as problem:
                    cache.clear()  # the failed write may have rolled back an object it holds
                    for e in problem.errors or [{"field": "", "reason": problem.detail}]:
                        report.errors.append(
                            RowError(row.line, _column_for(str(e["field"])), str(e["reason"]))
                        )
                    continue
                except PermissionDenied as exc:
                    cache.clear()
                    report.errors.append(RowError(row.line, "", str(exc) or "not allowed"))
                    continue
                counts[outcome] += 1
        report.people_collected = sorted(batch.people(Operation.COLLECT))
        report.people_altered = sorted(batch.people(Operation.ALTER))
        report.errors.sort()
        if report.errors or dry_run:
            transaction.set_rollback(True)
        else:
            batch.flush(actor)
    return report


# --- export --------------------------------------------------------------------------------


def _names(obj: Organisation | Network) -> dict[str, str]:
    return {f"{NAME_PREFIX}{lang}": text for lang, text in (obj.names or {}).items()}


def _rows(actor: Any) -> Iterator[dict[str, str]]:
    def visible(model: type[Model]) -> Any:
        return policy.visible_to(actor, model)

    orgs = visible(Organisation).select_related("country", "parent").order_by("key")
    for org in orgs:
        yield {
            "record_type": "organisation",
            "key": org.key,
            "name": org.name,
            **_names(org),
            "acronym": org.acronym,
            "sector": org.sector,
            "level": org.level,
            "country": org.country.code if org.country else "",
            "municipality": org.municipality,
            "parent": org.parent.key if org.parent else "",
            "website": org.website,
            "email": org.email,
            "active": "yes" if org.is_active else "no",
        }
    for unit in visible(Unit).select_related("organisation", "parent").order_by("key"):
        yield {
            "record_type": "unit",
            "key": unit.key,
            "name": unit.name,
            "organisation": unit.organisation.key,
            "parent": unit.parent.key if unit.parent else "",
        }
    for network in visible(Network).select_related("country").order_by("key"):
        yield {
            "record_type": "network",
            "key": network.key,
            "name": network.name,
            **_names(network),
            "acronym": network.acronym,
            "level": network.level,
            "country": network.country.code if network.country else "",
            "description": network.description,
        }
    for person in visible(Person).select_related("organisation", "unit").order_by("key"):
        yield {
            "record_type": "person",
            "key": person.key,
            "organisation": person.organisation.key,
            "unit": person.unit.key if person.unit else "",
            "given_name": person.given_name,
            "family_name": person.family_name,
            "role": person.role,
            "email": person.email,
            "phone": person.phone,
        }
    memberships = [
        {
            "record_type": "membership",
            "network": m.network.key,
            "organisation": m.organisation.key if m.organisation else "",
            "person": m.person.key if m.person else "",
            "role": m.role,
            "start": m.start.isoformat() if m.start else "",
            "end": m.end.isoformat() if m.end else "",
        }
        for m in visible(Membership).select_related("network", "organisation", "person")
    ]
    memberships.sort(
        key=lambda r: (r["network"], r["organisation"], r["person"], r["start"], r["role"])
    )
    yield from memberships
    focal_points = [
        {
            "record_type": "focal_point",
            "country": f.country.code,
            "topic": f.topic,
            "person": f.person.key,
            "start": f.start.isoformat() if f.start else "",
            "end": f.end.isoformat() if f.end else "",
        }
        for f in visible(FocalPoint).select_related("country", "person")
    ]
    focal_points.sort(key=lambda r: (r["country"], r["topic"], r["person"], r["start"]))
    yield from focal_points


def write_rows(rows: Iterable[dict[str, str]], out: TextIO) -> int:
    """Write ``rows`` in the one format (full header, LF line ends); the number of rows."""
    header = columns()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: v for k, v in row.items() if k in header})
        n += 1
    return n


def export_csv(actor: Any, out: TextIO) -> int:
    """Write everything ``actor`` may see; log the export of the people in it. Rows written."""
    with transaction.atomic():
        rows = list(_rows(actor))
        people = list(policy.visible_to(actor, Person).values_list("pk", flat=True))
        if people:
            record(
                actor=actor,
                operation=Operation.EXPORT,
                object_type=services.PERSON_TYPE,
                object_ids=sorted(people),
                subjects=[f"person:{pk}" for pk in sorted(people)],
                justification="directory CSV export",
            )
    return write_rows(rows, out)


def export_text(actor: Any) -> str:
    """The export as a string (tests and the demo use it)."""
    buffer = io.StringIO(newline="")
    export_csv(actor, buffer)
    return buffer.getvalue()
