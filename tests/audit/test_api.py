"""The audit API: tree head, proofs, entries; 400 problems that say why; who may call."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.audit import heads, merkle
from firstline.audit.models import AuditEntry, Operation

PROBLEM = "application/problem+json"


@pytest.fixture
def log_of_20(write_log: Callable[..., list[AuditEntry]]) -> list[AuditEntry]:
    entries = write_log(20)
    heads.sign_tree_head()
    return entries


def decode(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def test_an_inclusion_proof_verifies_against_the_signed_head(
    log_of_20: list[AuditEntry], albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(albanian_officer)
    head = client.get("/api/v1/audit/tree-head").json()
    body = client.get("/api/v1/audit/proof/inclusion?leaf_index=13&tree_size=20").json()
    assert body["tree_head"] == head
    leaf = merkle.hash_leaf(log_of_20[13].canonical.encode())
    assert base64.b64decode(body["leaf_hash"]) == leaf
    assert merkle.verify_inclusion(
        leaf, 13, 20, decode(body["inclusion_path"]), base64.b64decode(head["root_hash"])
    )
    default = client.get("/api/v1/audit/proof/inclusion?leaf_index=13").json()
    assert default["tree_size"] == 20


def test_a_consistency_proof_verifies_between_two_sizes(
    log_of_20: list[AuditEntry], albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(albanian_officer)
    body = client.get("/api/v1/audit/proof/consistency?first=7&second=20").json()
    assert merkle.verify_consistency(
        7,
        20,
        base64.b64decode(body["first_hash"]),
        base64.b64decode(body["second_hash"]),
        decode(body["consistency_path"]),
    )
    assert body["second_tree_head"]["tree_size"] == 20
    assert body["first_tree_head"] is None


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ("proof/inclusion?leaf_index=abc&tree_size=5", "leaf_index", "whole number"),
        ("proof/inclusion?leaf_index=-1&tree_size=5", "leaf_index", "whole number"),
        ("proof/inclusion?tree_size=5", "leaf_index", "required"),
        ("proof/inclusion?leaf_index=5&tree_size=5", "leaf_index", "smaller than tree_size"),
        ("proof/inclusion?leaf_index=1&tree_size=21", "tree_size", "holds 20 entries"),
        ("proof/inclusion?leaf_index=0&tree_size=0", "tree_size", "at least 1"),
        ("proof/consistency?first=0&second=5", "first", "at least 1"),
        ("proof/consistency?first=5&second=5", "first", "smaller than second"),
        ("proof/consistency?first=9&second=4", "first", "smaller than second"),
        ("proof/consistency?first=3&second=99", "second", "holds 20 entries"),
        ("proof/consistency?second=3", "first", "required"),
        ("proof/consistency?first=1.5&second=3", "first", "whole number"),
        ("entries?start=3", "end", "required"),
        ("entries?start=5&end=2", "end", "not be smaller than start"),
        ("entries?start=20&end=30", "start", "holds 20 entries"),
        ("entries?start=x&end=3", "start", "whole number"),
    ],
)
def test_bad_parameters_get_a_400_problem_saying_why(
    log_of_20: list[AuditEntry],
    node_admin: User,
    signed_in: Callable[[User], Client],
    query: str,
    field: str,
    reason: str,
) -> None:
    response = signed_in(node_admin).get(f"/api/v1/audit/{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert reason in problem["errors"][0]["reason"]


def test_entries_come_in_canonical_form_for_the_node_admin(
    log_of_20: list[AuditEntry], node_admin: User, signed_in: Callable[[User], Client]
) -> None:
    body = signed_in(node_admin).get("/api/v1/audit/entries?start=2&end=5").json()
    assert (body["start"], body["end"]) == (2, 5)
    assert [e["leaf_index"] for e in body["entries"]] == [2, 3, 4, 5]
    for item, entry in zip(body["entries"], log_of_20[2:6], strict=True):
        assert item["canonical"] == entry.canonical
        assert base64.b64decode(item["leaf_hash"]) == merkle.hash_leaf(item["canonical"].encode())
    read = AuditEntry.objects.get(object_type="audit.entry")
    assert (read.operation, read.object_ids) == (Operation.CONSULT, ["2", "3", "4", "5"])
    assert read.actor_user == f"user:{node_admin.pk}"


def test_reading_entries_names_the_people_they_are_about(
    db: None,
    albanian_officer: User,
    serbian_analyst: User,
    albanian_dpo: User,
    write_log: Callable[..., list[AuditEntry]],
    signed_in: Callable[[User], Client],
) -> None:
    write_log(2, actor=albanian_officer, subjects=["person:11"])
    write_log(2, actor=serbian_analyst, subjects=["person:12"])
    signed_in(albanian_dpo).get("/api/v1/audit/entries?start=0&end=3")
    read = AuditEntry.objects.get(object_type="audit.entry")
    assert read.object_ids == ["0", "1"]
    assert read.subjects == ["person:11"]  # not the Serbian entries' subject: not shown


def test_the_range_is_cut_to_the_log_and_to_the_cap(
    log_of_20: list[AuditEntry], node_admin: User, signed_in: Callable[[User], Client]
) -> None:
    body = signed_in(node_admin).get("/api/v1/audit/entries?start=15&end=9999").json()
    assert body["end"] == 19
    from firstline.audit import api

    api.MAX_ENTRIES, saved = 3, api.MAX_ENTRIES
    try:
        body = signed_in(node_admin).get("/api/v1/audit/entries?start=0&end=19").json()
    finally:
        api.MAX_ENTRIES = saved
    assert [e["leaf_index"] for e in body["entries"]] == [0, 1, 2]


def test_others_see_hashes_but_not_the_content_of_entries(
    log_of_20: list[AuditEntry], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    body = signed_in(serbian_analyst).get("/api/v1/audit/entries?start=0&end=3").json()
    assert [e["canonical"] for e in body["entries"]] == [None] * 4
    assert all(e["leaf_hash"] for e in body["entries"])
    assert not AuditEntry.objects.filter(object_type="audit.entry").exists()


def test_a_dpo_reads_the_entries_of_their_own_organisation(
    db: None,
    albanian_officer: User,
    serbian_analyst: User,
    albanian_dpo: User,
    write_log: Callable[..., list[AuditEntry]],
    signed_in: Callable[[User], Client],
) -> None:
    write_log(2, actor=albanian_officer)
    write_log(2, actor=serbian_analyst)
    body = signed_in(albanian_dpo).get("/api/v1/audit/entries?start=0&end=3").json()
    shown = [e["canonical"] is not None for e in body["entries"]]
    assert shown == [True, True, False, False]


def test_anonymous_callers_get_401_except_for_the_public_key(log_of_20: list[AuditEntry]) -> None:
    client = Client()
    for path in ("tree-head", "proof/inclusion?leaf_index=0", "entries?start=0&end=1"):
        response = client.get(f"/api/v1/audit/{path}")
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
    assert client.get("/api/v1/audit/key").status_code == 200
    keys = client.get("/api/v1/audit/keys").json()["keys"]
    assert keys[0]["kid"] == heads.latest().key_id  # type: ignore[union-attr]


def test_a_tree_head_is_signed_on_demand_when_none_exists(
    write_log: Callable[..., list[AuditEntry]],
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    write_log(3)
    head = signed_in(albanian_officer).get("/api/v1/audit/tree-head").json()
    assert head["tree_size"] == 3
