"""Plans in and out as CSV and XLSX: round trips, errors by line and column, all or nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from firstline.accounts.models import User
from firstline.coordination.models import Action, Objective, Plan, Recommendation
from firstline.coordination.services import actions, transfer
from firstline.core.problems import Problem
from firstline.directory.models import Organisation

HEADER = ",".join(transfer.COLUMNS)


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture
def filled_plan(
    organiser: User,
    plan: Plan,
    police_action: Action,
    agreed_recommendation: Recommendation,
    serbian_ministry: Organisation,
    albanian_ministry: Organisation,
) -> Plan:
    actions.update_action(
        organiser,
        police_action,
        contributors=[serbian_ministry, albanian_ministry],
        recommendations=[agreed_recommendation],
    )
    objective = actions.add_objective(organiser, plan, code="2", title='Schools, "safe" and open')
    actions.create_action(
        organiser,
        objective,
        code="2.1",
        title='=HYPERLINK("x") teacher guide',
        owner=albanian_ministry,
        level="strategic",
        baseline="-5",
        indicator="Guide published; Cyrillic: Водич",
    )
    actions.add_objective(organiser, plan, code="3", title="Research (no actions yet)")
    return plan


def test_csv_export_then_import_into_a_new_plan_gives_the_same_file(
    organiser: User,
    filled_plan: Plan,
    albanian_ministry: Organisation,
    albania,  # type: ignore[no-untyped-def]
) -> None:
    exported = transfer.export_csv(organiser, filled_plan)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0] == list(transfer.COLUMNS)
    assert rows[1][:3] == ["1", "Prevention at the local level", "1.1"]
    assert rows[1][6] == "al-moi;rs-moi"
    assert rows[2][3].startswith("'=HYPERLINK")  # a formula is neutralised for spreadsheets
    assert rows[3][:3] == ["3", "Research (no actions yet)", ""]
    copy = actions.create_plan(
        organiser,
        key="al-nap-copy",
        kind="national_action_plan",
        title="Copy",
        coordinator=albanian_ministry,
        country=albania,
    )
    result = transfer.import_plan(organiser, copy, exported, "csv")
    assert (result.objectives_created, result.created, result.updated) == (3, 2, 0)
    assert Action.objects.get(plan=copy, code="2.1").title == '=HYPERLINK("x") teacher guide'
    assert Action.objects.get(plan=copy, code="2.1").baseline == "-5"
    assert transfer.export_csv(organiser, copy) == exported


def test_xlsx_round_trip(organiser: User, filled_plan: Plan) -> None:
    exported = transfer.export_xlsx(organiser, filled_plan)
    sheet = load_workbook(io.BytesIO(exported)).active
    assert [c.value for c in sheet[1]] == list(transfer.COLUMNS)
    result = transfer.import_plan(organiser, filled_plan, exported, "xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert transfer.export_csv(organiser, filled_plan) == transfer.export_csv(
        organiser, filled_plan
    )


def test_import_updates_known_codes_and_creates_new_ones(
    organiser: User, plan: Plan, police_action: Action
) -> None:
    content = _csv(
        "1,,1.1,Train community police officers in early recognition,,al-asp-ctu,,operational,high,2024-10-01,2025-01-31,Officers trained,0,150,in_progress,",
        "4,Returnees,4.1,Reintegration plans,,al-moi,al-asp-ctu,operational,medium,,2026-06-30,,,,not_started,",
    )
    result = transfer.import_plan(organiser, plan, content, "csv")
    assert (result.created, result.updated, result.objectives_created) == (1, 1, 1)
    police_action.refresh_from_db()
    assert (police_action.target, police_action.status) == ("150", "in_progress")
    assert Objective.objects.get(plan=plan, code="4").title == "Returnees"


def test_import_errors_name_line_column_and_reason_and_nothing_changes(
    organiser: User, plan: Plan, police_action: Action
) -> None:
    content = _csv(
        "1,,1.1,Changed title,,al-asp-ctu,,operational,high,,,,,,,",
        "9,,9.1,No objective title,,al-asp-ctu,,operational,,,,,,,,",
        "1,,1.2,,,nobody,rs-x,national,urgent,2025-13-01,2025-01-01,,,,finished,R999",
        "1,,1.1,Duplicate,,al-asp-ctu,,strategic,,2025-06-01,2025-05-01,,,,,",
    )
    with pytest.raises(Problem) as caught:
        transfer.import_plan(organiser, plan, content, "csv")
    found = {(e["line"], e["column"]) for e in caught.value.errors}
    assert found == {
        (3, "objective_title"),
        (4, "title"),
        (4, "owner"),
        (4, "contributors"),
        (4, "level"),
        (4, "priority"),
        (4, "start"),
        (4, "status"),
        (4, "recommendations"),
        (5, "code"),
        (5, "due"),
    }
    reasons = {(e["line"], e["column"]): e["reason"] for e in caught.value.errors}
    assert reasons[(4, "owner")] == "no organisation with the key 'nobody'"
    assert reasons[(5, "code")] == "1.1 also on line 2"
    assert reasons[(4, "start")] == "'2025-13-01' is not a date (YYYY-MM-DD)"
    police_action.refresh_from_db()
    assert police_action.title == "Train community police officers in early recognition"
    assert Action.objects.count() == 1 and Objective.objects.count() == 1


def test_a_file_with_wrong_columns_is_refused(organiser: User, plan: Plan) -> None:
    with pytest.raises(Problem) as caught:
        transfer.import_plan(organiser, plan, b"objective,code,colour\n1,1.1,red\n", "csv")
    found = {(e["line"], e["column"], e["reason"]) for e in caught.value.errors}
    assert (1, "title", "missing column") in found
    assert (1, "owner", "missing column") in found
    assert any(column == "colour" for _, column, _ in found)


def test_malformed_files_are_refused(organiser: User, plan: Plan) -> None:
    for content, fmt in (
        (b"PK\x03\x04 not really a zip", "xlsx"),
        (b"\xff\xfe\x00bad", "csv"),
        (b"", "csv"),
    ):
        with pytest.raises(Problem) as caught:
            transfer.import_plan(organiser, plan, content, fmt)
        assert caught.value.errors[0]["field"] == "file"


def test_xlsx_errors_are_reported_by_line(
    organiser: User, plan: Plan, albanian_police: Organisation
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(transfer.COLUMNS))
    sheet.append(["1", "Local", "1.1", "Fine", "", "al-asp-ctu", "", "operational"])
    sheet.append([])  # blank rows are skipped but still counted
    sheet.append(["1", "Local", "1.2", "Bad level", "", "al-asp-ctu", "", "cosmic"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(Problem) as caught:
        transfer.import_plan(organiser, plan, buffer.getvalue(), "xlsx")
    assert [(e["line"], e["column"]) for e in caught.value.errors] == [(4, "level")]
    assert not Action.objects.exists()


def test_only_coordinators_import(plan: Plan, police_officer: User, police_action: Action) -> None:
    with pytest.raises(PermissionDenied):
        transfer.import_plan(police_officer, plan, _csv(), "csv")


def test_the_import_page_lists_errors(
    organiser: User,
    plan: Plan,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    response = signed_in(organiser).post(
        f"/coordination/plans/{plan.key}/import/",
        {"file": SimpleUploadedFile("plan.csv", _csv("1,Local,1.1,,,al-asp-ctu,,operational"))},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert (
        "Nothing was imported" in body
        and '<th scope="row">2</th><td>title</td><td>required</td>' in body
    )


def test_import_and_export_over_the_api(
    organiser: User,
    filled_plan: Plan,
    signed_in,  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in(organiser)
    exported = client.get(f"/api/v1/coordination/plans/{filled_plan.key}/export?format=xlsx")
    assert exported.status_code == 200
    result = client.post(
        f"/api/v1/coordination/plans/{filled_plan.key}/import",
        {"file": SimpleUploadedFile("p.xlsx", exported.content)},
    )
    assert result.json() == {"objectives_created": 0, "created": 0, "updated": 0, "unchanged": 2}
    bad = client.post(
        f"/api/v1/coordination/plans/{filled_plan.key}/import",
        {"file": SimpleUploadedFile("p.csv", _csv("1,,1.5,x,,al-asp-ctu,,wrong"))},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "field": "level",
            "line": 2,
            "column": "level",
            "reason": "'wrong' is not one of political, strategic, operational",
        }
    ]
    page = client.get(f"/coordination/plans/{filled_plan.key}/export.csv")
    assert page.content == transfer.export_csv(organiser, filled_plan)
