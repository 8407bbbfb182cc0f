"""Oversight pages for DPOs and node administrators; everyone's own access history."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from collections.abc import Callable

from django.db import transaction
from django.test import Client

from firstline.accounts import services
from firstline.accounts.models import Role, User
from firstline.audit import merkle
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, Operation
from firstline.directory.models import Organisation, Person


def consult(
    actor: User | None, subject: object, justification: str = "", **kw: object
) -> AuditEntry:
    with transaction.atomic():
        return record(
            actor=actor,
            operation=kw.pop("operation", Operation.CONSULT),  # type: ignore[arg-type]
            object_type="directory.person",
            object_ids=[1],
            subjects=[subject],
            justification=justification,
            **kw,  # type: ignore[arg-type]
        )


def test_a_dpo_searches_by_subject_and_sees_justifications(
    albanian_dpo: User,
    albanian_officer: User,
    albanian_contact: Person,
    signed_in: Callable[[User], Client],
) -> None:
    consult(albanian_officer, albanian_contact, "Threat or risk assessment: case 2026/17")
    consult(albanian_officer, "person:999999", "unrelated")
    page = signed_in(albanian_dpo).get("/audit/", {"subject": f"person:{albanian_contact.pk}"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "case 2026/17" in text
    assert "unrelated" not in text
    assert "al-officer" in text  # the user id shown as a name
    read = AuditEntry.objects.filter(object_type="audit.entry").get()
    assert read.actor_user == f"user:{albanian_dpo.pk}"
    assert read.object_ids == ["0"]


def test_the_search_filters_by_user_organisation_operation_and_period(
    node_admin: User,
    albanian_officer: User,
    serbian_analyst: User,
    serbian_ministry: Organisation,
    signed_in: Callable[[User], Client],
) -> None:
    day = dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC)
    consult(albanian_officer, "person:1", "al consult", now=day)
    consult(serbian_analyst, "person:1", "rs consult", now=day)
    consult(serbian_analyst, "person:1", "rs erase", operation=Operation.ERASE, now=day)
    consult(serbian_analyst, "person:1", "rs later", now=day + dt.timedelta(days=3))
    client = signed_in(node_admin)

    def shown(**query: str) -> set[str]:
        text = client.get("/audit/", query).content.decode()
        return {j for j in ("al consult", "rs consult", "rs erase", "rs later") if j in text}

    assert shown(user="rs-analyst") == {"rs consult", "rs erase", "rs later"}
    assert shown(organisation="rs-moi", operation="erase") == {"rs erase"}
    assert shown(date_from="2026-05-04", date_to="2026-05-04") == {
        "al consult",
        "rs consult",
        "rs erase",
    }
    assert shown(date_from="2026-05-05") == {"rs later"}
    assert shown(user="nobody") == set()
    bad = client.get("/audit/", {"date_from": "2026-05-05", "date_to": "2026-05-01"})
    assert "must not be before" in bad.content.decode()


def test_a_dpo_does_not_see_other_organisations_entries(
    albanian_dpo: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    consult(serbian_analyst, "person:1", "serbian business")
    assert "serbian business" not in signed_in(albanian_dpo).get("/audit/").content.decode()


def test_others_may_not_open_the_oversight_pages(
    albanian_officer: User, albanian_org_admin: User, signed_in: Callable[[User], Client]
) -> None:
    for user in (albanian_officer, albanian_org_admin):
        client = signed_in(user)
        assert client.get("/audit/").status_code == 403
        assert client.get("/audit/export.csv").status_code == 403
    assert Client().get("/audit/").status_code == 302  # to sign-in


def test_the_csv_export_is_itself_audited(
    node_admin: User, albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    consult(albanian_officer, "person:4", '=HYPERLINK("evil")')
    consult(albanian_officer, "person:5", "fine")
    response = signed_in(node_admin).get("/audit/export.csv", {"subject": "person:4"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
    assert [r["seq"] for r in rows] == ["0"]
    assert rows[0]["justification"].startswith("'=")  # no formula in a spreadsheet
    export = AuditEntry.objects.get(operation=Operation.EXPORT)
    assert export.object_ids == ["search?subject=person%3A4", "seq<2"]
    assert export.subjects == ["person:4"]  # the person searched for is its data subject
    assert export.actor_user == f"user:{node_admin.pk}"


def test_the_csv_export_holds_the_log_as_its_entry_saw_it(
    node_admin: User, albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    for i in range(3):
        consult(albanian_officer, f"person:{i}", f"before the export {i}")
    response = signed_in(node_admin).get("/audit/export.csv")
    stream = iter(response.streaming_content)  # type: ignore[attr-defined]
    header = next(stream)  # the rows' query has not run yet
    consult(albanian_officer, "person:9", "while the file streams")
    text = (header + b"".join(stream)).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["seq"] for r in rows] == ["0", "1", "2"]
    assert "while the file streams" not in text
    export = AuditEntry.objects.get(operation=Operation.EXPORT)
    assert export.seq == 3  # the bound is the export entry's own place in the log
    assert export.object_ids == ["search?", "seq<3"]
    assert export.subjects == []  # no subject searched for: none named


def test_the_search_asks_for_a_typed_subject_id(
    node_admin: User, albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    consult(albanian_officer, "person:4", "a reason")
    client = signed_in(node_admin)
    for typed in ("Arben Krasniqi", "4"):
        page = client.get("/audit/", {"subject": typed})
        assert "must be an internal id" in page.content.decode()
        assert "a reason" not in page.content.decode()
        export = client.get("/audit/export.csv", {"subject": typed})
        rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]
        assert rows == []
    assert [e.subjects for e in AuditEntry.objects.filter(operation=Operation.EXPORT)] == [[], []]


def test_an_inclusion_proof_can_be_downloaded_for_any_entry(
    node_admin: User, albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    for i in range(6):
        consult(albanian_officer, f"person:{i}")
    response = signed_in(node_admin).get("/audit/entries/4/proof.json")
    assert "attachment" in response["Content-Disposition"]
    proof = response.json()
    leaf = merkle.hash_leaf(proof["canonical"].encode())
    assert base64.b64decode(proof["leaf_hash"]) == leaf
    assert merkle.verify_inclusion(
        leaf,
        4,
        proof["tree_size"],
        [base64.b64decode(h) for h in proof["inclusion_path"]],
        base64.b64decode(proof["tree_head"]["root_hash"]),
    )
    assert AuditEntry.objects.filter(object_type="audit.entry", object_ids=["4"]).exists()
    assert signed_in(node_admin).get("/audit/entries/999/proof.json").status_code == 404


def test_everyone_sees_the_access_history_of_their_own_account(
    albanian_officer: User,
    albanian_contact: Person,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    consult(albanian_officer, "person:77", "my own work")
    consult(serbian_analyst, albanian_contact, "looked me up")
    consult(serbian_analyst, "person:78", "none of my business")
    text = signed_in(albanian_officer).get("/audit/me/").content.decode()
    assert "my own work" in text
    assert "looked me up" in text
    assert "none of my business" not in text
    assert AuditEntry.objects.filter(
        object_type="audit.entry", actor_user=f"user:{albanian_officer.pk}"
    ).exists()


def test_the_own_history_shows_what_was_done_to_the_account(
    albanian_officer: User,
    albanian_org_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    """The accounts code names an account ``user:<pk>``: a failed sign-in (nobody signed in
    yet, so no actor), a change of access by an administrator, the administrator's list."""
    Client().post("/accounts/login/", {"username": "al-officer", "password": "not it"})
    services.change_access(actor=albanian_org_admin, user=albanian_officer, role=Role.COORDINATOR)
    signed_in(albanian_org_admin).get("/accounts/users/")
    page = signed_in(albanian_officer).get("/audit/me/")
    rows = page.context["rows"]
    assert {"Failed login", "Permission change", "Consultation"} <= {r["operation"] for r in rows}
    assert "failed:password" in page.content.decode()
    assert "al-admin" in page.content.decode()  # who changed it, shown by name


def test_a_dpo_sees_what_was_done_to_their_organisations_accounts(
    albanian_dpo: User,
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    for username in ("al-officer", "rs-analyst"):
        Client().post("/accounts/login/", {"username": username, "password": "not it"})
    rows = signed_in(albanian_dpo).get("/audit/").context["rows"]
    failed = [r for r in rows if r["operation"] == "Failed login"]
    assert [r["subjects"] for r in failed] == [f"user:{albanian_officer.pk}"]


def test_the_pages_show_utc_and_search_utc_days(
    node_admin: User, albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    late = dt.datetime(2026, 5, 4, 23, 30, tzinfo=dt.UTC)  # 01:30 on 5 May in Belgrade
    consult(albanian_officer, "person:1", "late in the evening", now=late)
    client = signed_in(node_admin)
    page = client.get("/audit/").content.decode()
    assert '<time datetime="2026-05-04T23:30:00+00:00">2026-05-04 23:30:00</time>' in page

    def found(**days: str) -> bool:
        return "late in the evening" in client.get("/audit/", days).content.decode()

    assert found(date_from="2026-05-04", date_to="2026-05-04")
    assert not found(date_from="2026-05-05")
    assert not found(date_to="2026-05-03")


def test_reading_the_log_names_the_people_the_entries_are_about(
    albanian_dpo: User,
    albanian_officer: User,
    albanian_contact: Person,
    signed_in: Callable[[User], Client],
) -> None:
    consult(albanian_officer, albanian_contact, "looked up")
    consult(albanian_officer, "person:78", "another")
    signed_in(albanian_dpo).get("/audit/")
    read = AuditEntry.objects.get(object_type="audit.entry")
    assert read.object_ids == ["1", "0"]
    assert read.subjects == ["person:78", f"person:{albanian_contact.pk}"]
    # the person looked up sees that the DPO read the entry about them
    mine = signed_in(albanian_officer).get("/audit/me/").context["rows"]
    assert any(r["object_type"] == "audit.entry" and r["actor"] == "al-dpo" for r in mine)


def test_the_history_pages_by_keyset(
    albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    for i in range(55):
        consult(albanian_officer, "person:1", f"reason {i:02d}")
    client = signed_in(albanian_officer)
    first = client.get("/audit/me/").content.decode()
    assert "reason 54" in first and "reason 04" not in first
    assert "before=5" in first
    second = client.get("/audit/me/?before=5").content.decode()
    assert "reason 04" in second and "reason 05" not in second
