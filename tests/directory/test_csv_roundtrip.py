"""Export writes the import format, sorted: export → import → export is byte-identical."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

from firstline.audit.models import AuditEntry, Operation
from firstline.directory import csv_io
from firstline.directory.models import (
    Country,
    FocalPoint,
    Membership,
    Network,
    Organisation,
    Person,
    Unit,
)
from firstline.directory.services import ConsoleActor


def wipe_directory() -> None:
    """Empty every directory table, as on a freshly installed node."""
    for model in (FocalPoint, Membership, Person, Unit, Network):
        model.objects.all().delete()
    Organisation.objects.update(parent=None)
    Organisation.objects.all().delete()
    Country.objects.all().delete()


def test_export_then_import_then_export_is_identical(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    first = csv_io.export_text(console)

    assert csv_io.import_csv(console, first).ok
    assert csv_io.export_text(console) == first


def test_the_round_trip_is_identical_on_a_fresh_database(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    first = csv_io.export_text(console)
    wipe_directory()

    report = csv_io.import_csv(console, first)

    assert report.ok, report.errors
    assert report.count("organisation", "created") == 3
    assert csv_io.export_text(console) == first


def test_the_round_trip_of_the_demo_directory_is_identical_on_a_fresh_database(
    db: None, console: ConsoleActor
) -> None:
    call_command("demo", verbosity=0)
    first = csv_io.export_text(console)
    wipe_directory()

    assert csv_io.import_csv(console, first).ok
    assert csv_io.export_text(console) == first


def test_export_is_sorted_and_uses_the_one_header(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    lines = csv_io.export_text(console).splitlines()

    assert lines[0] == ",".join(csv_io.columns())
    types = [line.split(",", 1)[0] for line in lines[1:]]
    assert types == ["organisation"] * 3 + ["unit", "network", "person"] + ["membership"] * 2 + [
        "focal_point"
    ]
    keys = [line.split(",")[1] for line in lines[1:4]]
    assert keys == sorted(keys)


def test_the_export_command_writes_a_file_and_logs_the_export_of_people(
    small_directory: csv_io.ImportReport, console: ConsoleActor, tmp_path: Path
) -> None:
    path = tmp_path / "directory.csv"

    call_command("directory", "export", "-o", str(path))

    assert path.read_text(encoding="utf-8") == csv_io.export_text(console)
    person = Person.objects.get()
    export = AuditEntry.objects.filter(operation=Operation.EXPORT).first()
    assert export is not None and export.subjects == [f"person:{person.pk}"]


def test_the_export_command_writes_to_standard_output(
    small_directory: csv_io.ImportReport, console: ConsoleActor, capsys
) -> None:  # type: ignore[no-untyped-def]
    call_command("directory", "export")

    assert capsys.readouterr().out == csv_io.export_text(console)
