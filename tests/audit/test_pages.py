"""Oversight pages for DPOs and node administrators; everyone's own access history."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from collections.abc import Callable

from django.db import transaction
from django.test import Client

from firstline.accounts.models import User
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
    assert export.object_ids == ["search?subject=person%3A4"]
    assert export.actor_user == f"user:{node_admin.pk}"


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
