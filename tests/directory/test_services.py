"""Directory services: validation naming the field, policy, one transaction, audit of people."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied

from firstline.accounts.models import Role, User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory import csv_io, services
from firstline.directory.models import Country, Membership, Organisation, Person, Unit
from firstline.directory.services import ConsoleActor


def fields_of(problem: pytest.ExceptionInfo[Problem]) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in problem.value.errors}


def test_it_creates_an_organisation_and_its_country_on_first_use(
    db: None, console: ConsoleActor
) -> None:
    org = services.create_organisation(
        console,
        {
            "key": "si-police",
            "name": "Slovenian Police",
            "names": {"sl": "Policija", "sq": ""},
            "sector": "police",
            "level": "national",
            "country": "si",
        },
    )

    assert org.country is not None and org.country.code == "SI"
    assert org.country.name == "Slovenia"
    assert org.names == {"sl": "Policija"}  # empty translations dropped
    assert not AuditEntry.objects.exists()  # not personal data


def test_it_names_every_bad_field(db: None, console: ConsoleActor) -> None:
    with pytest.raises(Problem) as problem:
        services.create_organisation(
            console,
            {
                "key": "bad key",
                "name": "X",
                "names": {"de": "X"},
                "sector": "navy",
                "level": "national",
                "email": "nope",
            },
        )

    assert set(fields_of(problem)) == {"names.de", "key", "sector", "email"}
    assert not Organisation.objects.exists()


def test_a_failed_write_rolls_back_the_country_it_created(db: None, console: ConsoleActor) -> None:
    with pytest.raises(Problem):
        services.create_organisation(
            console,
            {"key": "at-x", "name": "X", "sector": "navy", "level": "national", "country": "AT"},
        )

    assert not Country.objects.filter(code="AT").exists()


def test_it_refuses_unknown_fields_and_missing_required_ones(
    db: None, console: ConsoleActor
) -> None:
    with pytest.raises(Problem) as unknown:
        services.create_network(
            console, {"key": "n", "name": "N", "level": "political", "colour": "red"}
        )
    with pytest.raises(Problem) as missing:
        services.create_person(console, {"key": "p", "given_name": "Ana"})

    assert fields_of(unknown) == {"colour": "unknown field"}
    assert fields_of(missing) == {"organisation": "required", "family_name": "required"}


def test_keys_do_not_change(small_directory: csv_io.ImportReport, console: ConsoleActor) -> None:
    with pytest.raises(Problem) as problem:
        services.update_organisation(console, Organisation.objects.get(key="al-moi"), {"key": "x"})

    assert "key" in fields_of(problem)


def test_a_parent_cycle_is_refused(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    moi = Organisation.objects.get(key="al-moi")

    with pytest.raises(Problem) as problem:
        services.update_organisation(console, moi, {"parent": "al-asp-ctu"})

    assert fields_of(problem) == {"parent": "would make a cycle of parents"}


def test_a_person_cannot_sit_in_another_organisations_unit(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    with pytest.raises(Problem) as problem:
        services.create_person(
            console,
            {
                "key": "al-x",
                "organisation": "al-moi",
                "unit": "al-ctu-analysis",
                "given_name": "Demo",
                "family_name": "Person",
            },
        )

    assert fields_of(problem) == {"unit": "belongs to another organisation"}


def test_person_writes_are_collected_altered_and_erased_in_the_audit_log(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    person = services.create_person(
        console,
        {"key": "al-demo", "organisation": "al-moi", "given_name": "Demo", "family_name": "Person"},
    )
    services.update_person(console, person, {"role": "Coordinator"})
    services.update_person(console, person, {"role": "Coordinator"})  # no change: no entry
    membership = services.create_membership(
        console, {"network": "cti", "person": "al-demo", "role": "member"}
    )
    pk = person.pk
    services.delete_person(console, person)

    subject = f"person:{pk}"
    entries = [
        (e.operation, e.object_type, e.object_ids)
        for e in AuditEntry.objects.order_by("seq")
        if subject in e.subjects
    ]
    assert entries == [
        (Operation.COLLECT, "directory.person", [str(pk)]),
        (Operation.ALTER, "directory.person", [str(pk)]),
        (Operation.COLLECT, "directory.membership", [str(membership.pk)]),
        (Operation.ERASE, "directory.membership", [str(membership.pk)]),
        (Operation.ERASE, "directory.person", [str(pk)]),
    ]
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_deleting_a_unit_keeps_its_people_and_logs_the_change(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    services.delete_unit(console, Unit.objects.get(key="al-ctu-analysis"))

    person = Person.objects.get(key="al-ana-example")
    assert person.unit is None
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry is not None and entry.operation == Operation.ALTER
    assert entry.subjects == [f"person:{person.pk}"]


def test_an_organisation_administrator_writes_only_within_their_organisation(
    small_directory: csv_io.ImportReport,
    user_in: Callable[[Organisation | None, str], User],
) -> None:
    admin = user_in(Organisation.objects.get(key="al-asp-ctu"), Role.ORG_ADMIN)
    ana = Person.objects.get(key="al-ana-example")

    services.update_person(admin, ana, {"phone": "+355 00 000 0000"})
    with pytest.raises(PermissionDenied):
        services.update_person(admin, ana, {"organisation": "al-moi", "unit": None})
    with pytest.raises(PermissionDenied):
        services.create_unit(admin, {"key": "u", "name": "U", "organisation": "al-moi"})
    with pytest.raises(PermissionDenied):
        services.create_network(admin, {"key": "n", "name": "N", "level": "political"})

    assert Person.objects.get(pk=ana.pk).organisation.key == "al-asp-ctu"


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.COORDINATOR, Role.ANALYST, Role.DPO])
def test_other_roles_write_nothing(
    small_directory: csv_io.ImportReport,
    user_in: Callable[[Organisation | None, str], User],
    role: str,
) -> None:
    user = user_in(Organisation.objects.get(key="al-asp-ctu"), role)

    with pytest.raises(PermissionDenied):
        services.update_person(user, Person.objects.get(key="al-ana-example"), {"phone": "1"})


def test_a_focal_point_is_held_by_someone_of_that_country(
    small_directory: csv_io.ImportReport, console: ConsoleActor
) -> None:
    with pytest.raises(Problem) as problem:
        services.create_focal_point(
            console, {"country": "RS", "topic": "CVE", "person": "al-ana-example"}
        )

    assert fields_of(problem) == {"person": "works for an organisation in another country"}


def test_linking_a_person_to_an_account_is_logged_once(
    small_directory: csv_io.ImportReport,
    console: ConsoleActor,
    user_in: Callable[[Organisation | None, str], User],
) -> None:
    user = user_in(Organisation.objects.get(key="al-asp-ctu"), Role.ANALYST)
    ana = Person.objects.get(key="al-ana-example")
    before = AuditEntry.objects.count()

    services.link_person_user(console, ana, user)
    services.link_person_user(console, ana, user)

    assert Person.objects.get(pk=ana.pk).user == user
    assert AuditEntry.objects.count() == before + 1
