"""Plans in and out as CSV and XLSX: one row per action, row-level errors, all or nothing.

Import matches objectives and actions by their codes within the plan: a known code updates, a
new code creates; actions missing from the file are left as they are. Every row is checked
before anything is written, and the writing happens in one transaction, so a file with one bad
row changes nothing. Organisations are named by their directory key, recommendations by their
reference (``R12``).

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) are
written with a leading apostrophe, which import removes again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from firstline import policy
from firstline.coordination.models import (
    Action,
    ActionStatus,
    Objective,
    Plan,
    PolicyLevel,
    Priority,
    Recommendation,
    RecommendationStatus,
)
from firstline.coordination.services.actions import CODE_RE, _set_completed
from firstline.coordination.services.common import require
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Organisation

COLUMNS = (
    "objective",
    "objective_title",
    "code",
    "title",
    "description",
    "owner",
    "contributors",
    "level",
    "priority",
    "start",
    "due",
    "indicator",
    "baseline",
    "target",
    "status",
    "recommendations",
)
REQUIRED_COLUMNS = ("objective", "code", "title", "owner", "level")
MAX_ROWS = 20_000
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass
class ImportResult:
    objectives_created: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _Row:
    line: int
    objective: str
    objective_title: str
    code: str
    values: dict[str, Any] = field(default_factory=dict)
    contributors: list[Organisation] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)


def _escape(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


# --- export ----------------------------------------------------------------------------


def plan_rows(plan: Plan) -> list[list[str]]:
    """The plan as rows (without the header): one per action, one per objective without any."""
    rows: list[list[str]] = []
    actions = (
        plan.actions.select_related("owner", "objective")
        .prefetch_related("contributors", "recommendations")
        .order_by("objective__code", "code")
    )
    by_objective: dict[int, list[Action]] = {}
    for action in actions:
        by_objective.setdefault(action.objective_id, []).append(action)
    for objective in plan.objectives.order_by("code"):
        listed = by_objective.get(objective.pk, [])
        if not listed:
            rows.append([objective.code, objective.title] + [""] * (len(COLUMNS) - 2))
        for a in listed:
            rows.append(
                [
                    objective.code,
                    objective.title,
                    a.code,
                    a.title,
                    a.description,
                    a.owner.key,
                    ";".join(sorted(o.key for o in a.contributors.all())),
                    a.level,
                    a.priority,
                    a.start.isoformat() if a.start else "",
                    a.due.isoformat() if a.due else "",
                    a.indicator,
                    a.baseline,
                    a.target,
                    a.status,
                    ";".join(
                        f"R{r.pk}" for r in sorted(a.recommendations.all(), key=lambda r: r.pk)
                    ),
                ]
            )
    return [[_escape(cell) for cell in row] for row in rows]


def export_csv(actor: Any, plan: Plan) -> bytes:
    require(actor, policy.VIEW, plan)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(plan_rows(plan))
    # a byte-order mark lets spreadsheet programs read Cyrillic and Albanian letters correctly
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(actor: Any, plan: Plan) -> bytes:
    require(actor, policy.VIEW, plan)
    from openpyxl import Workbook  # lazy: ~7 MB resident in every web worker otherwise

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "actions"
    sheet.append(list(COLUMNS))
    for row in plan_rows(plan):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- import ----------------------------------------------------------------------------


def _read_csv(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem.field("file", "not UTF-8 text; save the CSV as UTF-8") from None
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Problem.field("file", f"not a readable CSV file: {exc}") from None


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # lazy, as in export_xlsx
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise Problem.field("file", f"not a readable XLSX file ({type(exc).__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile and friends: still the user's file at fault
        raise Problem.field("file", f"not a readable XLSX file ({type(exc).__name__})") from None
    sheet = workbook.worksheets[0]
    rows: list[list[str]] = []
    for values in sheet.iter_rows(values_only=True):
        row = []
        for value in values:
            if value is None:
                row.append("")
            elif isinstance(value, dt.datetime):
                row.append(value.date().isoformat())
            elif isinstance(value, dt.date):
                row.append(value.isoformat())
            elif isinstance(value, float) and value.is_integer():
                row.append(str(int(value)))
            else:
                row.append(str(value))
        rows.append(row)
    workbook.close()
    return rows


def read_table(content: bytes, file_format: str) -> list[list[str]]:
    if file_format == "csv":
        return _read_csv(content)
    if file_format == "xlsx":
        return _read_xlsx(content)
    raise Problem.field("format", "csv or xlsx")


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, line: int, column: str, reason: str) -> None:
        self.items.append({"field": column, "line": line, "column": column, "reason": reason})


def _parse_date(value: str, line: int, column: str, errors: _Errors) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.add(line, column, f"{value!r} is not a date (YYYY-MM-DD)")
        return None


def _parse_rows(actor: Any, plan: Plan, table: list[list[str]]) -> list[_Row]:
    errors = _Errors()
    if not any(any(cell.strip() for cell in row) for row in table):
        raise Problem(
            "Invalid import",
            errors=[{"field": "file", "line": 1, "column": "", "reason": "the file is empty"}],
        )
    header = [cell.strip().lower() for cell in table[0]]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            errors.add(1, column, "missing column")
    for column in header:
        if column and column not in COLUMNS:
            errors.add(1, column, f"unknown column (expected {', '.join(COLUMNS)})")
    if len(table) - 1 > MAX_ROWS:
        errors.add(1, "", f"more than {MAX_ROWS} rows")
    if errors.items:
        raise Problem("Invalid import", detail=_detail(errors.items), errors=errors.items)

    organisations = {o.key: o for o in Organisation.objects.all()}
    visible_recs = {r.pk: r for r in policy.visible_to(actor, Recommendation).only("pk", "status")}
    known_objectives = {o.code: o for o in plan.objectives.all()}
    parsed: list[_Row] = []
    seen_codes: dict[str, int] = {}
    new_objectives: set[str] = set()
    for index, raw in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue  # blank lines are skipped, but still counted for the line numbers
        cells = {
            name: _unescape(raw[i].strip()) if i < len(raw) else "" for i, name in enumerate(header)
        }
        row = _Row(
            line=index,
            objective=cells.get("objective", ""),
            objective_title=cells.get("objective_title", ""),
            code=cells.get("code", ""),
        )
        if not CODE_RE.match(row.objective):
            errors.add(index, "objective", "an objective code (letters, digits, . - _)")
        elif row.objective not in known_objectives and row.objective not in new_objectives:
            if not row.objective_title:
                errors.add(
                    index, "objective_title", f"required for the new objective {row.objective}"
                )
            new_objectives.add(row.objective)
        if not row.code:
            # an objective without actions
            if any(cells.get(c) for c in COLUMNS[3:]):
                errors.add(index, "code", "required when the row describes an action")
            parsed.append(row)
            continue
        if not CODE_RE.match(row.code):
            errors.add(index, "code", "1 to 32 letters, digits, dots, dashes or underscores")
        elif row.code in seen_codes:
            errors.add(index, "code", f"{row.code} also on line {seen_codes[row.code]}")
        seen_codes.setdefault(row.code, index)
        values: dict[str, Any] = {}
        title = cells.get("title", "")
        if not title:
            errors.add(index, "title", "required")
        elif len(title) > 500:
            errors.add(index, "title", "at most 500 characters")
        values["title"] = title
        values["description"] = cells.get("description", "")
        owner_key = cells.get("owner", "")
        if owner_key not in organisations:
            errors.add(
                index,
                "owner",
                f"no organisation with the key {owner_key!r}" if owner_key else "required",
            )
        else:
            values["owner"] = organisations[owner_key]
        for key in filter(None, (k.strip() for k in cells.get("contributors", "").split(";"))):
            if key in organisations:
                row.contributors.append(organisations[key])
            else:
                errors.add(index, "contributors", f"no organisation with the key {key!r}")
        for column, choices, default in (
            ("level", PolicyLevel, None),
            ("priority", Priority, Priority.MEDIUM),
            ("status", ActionStatus, ActionStatus.NOT_STARTED),
        ):
            value = cells.get(column, "").lower().replace(" ", "_") or default
            if value not in choices.values:
                errors.add(
                    index,
                    column,
                    f"{cells.get(column, '')!r} is not one of {', '.join(choices.values)}",
                )
            values[column] = value
        values["start"] = _parse_date(cells.get("start", ""), index, "start", errors)
        values["due"] = _parse_date(cells.get("due", ""), index, "due", errors)
        if values["start"] and values["due"] and values["due"] < values["start"]:
            errors.add(
                index, "due", f"the due date {values['due']} is before the start {values['start']}"
            )
        for column in ("baseline", "target"):
            values[column] = cells.get(column, "")
            if len(values[column]) > 255:
                errors.add(index, column, "at most 255 characters")
        values["indicator"] = cells.get("indicator", "")
        for ref in filter(None, (r.strip() for r in cells.get("recommendations", "").split(";"))):
            number = ref[1:] if ref[:1] in ("R", "r") else ref
            rec = visible_recs.get(int(number)) if number.isdigit() else None
            if rec is None:
                errors.add(index, "recommendations", f"no recommendation {ref}")
            elif rec.status in (RecommendationStatus.REJECTED, RecommendationStatus.SUPERSEDED):
                errors.add(index, "recommendations", f"{ref} is {rec.status}")
            else:
                row.recommendations.append(rec)
        row.values = values
        parsed.append(row)
    if errors.items:
        raise Problem("Invalid import", detail=_detail(errors.items), errors=errors.items)
    return parsed


def _detail(items: list[dict[str, Any]]) -> str:
    shown = "; ".join(f"line {e['line']}, {e['column']}: {e['reason']}" for e in items[:10])
    more = f" (and {len(items) - 10} more)" if len(items) > 10 else ""
    return shown + more


def import_plan(
    actor: Any, plan: Plan, content: bytes, file_format: str, *, now: dt.datetime | None = None
) -> ImportResult:
    """Import rows into ``plan``: everything or, on any error, nothing (errors per line)."""
    require(actor, policy.CHANGE, plan, "Only the plan's coordinators may import into it.")
    rows = _parse_rows(actor, plan, read_table(content, file_format))
    at = now or clock.now()
    result = ImportResult()
    with transaction.atomic():
        objectives = {o.code: o for o in plan.objectives.select_for_update()}
        actions = {a.code: a for a in plan.actions.select_for_update()}
        for row in rows:
            objective = objectives.get(row.objective)
            if objective is None:
                objective = Objective.objects.create(
                    plan=plan, code=row.objective, title=row.objective_title
                )
                objectives[row.objective] = objective
                result.objectives_created += 1
            elif row.objective_title and row.objective_title != objective.title:
                objective.title = row.objective_title
                objective.save(update_fields=["title"])
            if not row.code:
                continue
            action = actions.get(row.code)
            if action is None:
                action = Action(plan=plan, code=row.code, created_at=at)
                changed = True
                result.created += 1
                was = ""
            else:
                changed = action.objective_id != objective.pk or any(
                    getattr(action, k) != v for k, v in row.values.items()
                )
                was = action.status
            action.objective = objective
            for name, value in row.values.items():
                setattr(action, name, value)
            if changed:
                _set_completed(action, was, at)
                action.updated_at = at
                action.save()
            contributors = sorted(o.pk for o in row.contributors)
            recommendations = sorted(r.pk for r in row.recommendations)
            if (
                was == ""
                or sorted(action.contributors.values_list("pk", flat=True)) != contributors
            ):
                action.contributors.set(contributors)
                changed = True
            if (
                was == ""
                or sorted(action.recommendations.values_list("pk", flat=True)) != recommendations
            ):
                action.recommendations.set(recommendations)
                changed = True
            if was:
                if changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
            actions[row.code] = action
    return result
