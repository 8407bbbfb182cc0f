"""``record`` writes the entry, its tree nodes and its index in the caller's transaction."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from django.db import transaction

from firstline.accounts.models import User
from firstline.audit import merkle, store
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, AuditNode, AuditRef, LogState, Operation, TreeHead
from firstline.directory.models import Organisation, Person


def test_it_refuses_to_write_outside_a_transaction(transactional_db: None) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(actor=None, operation=Operation.CONSULT)


def test_the_entry_rolls_back_with_the_access(db: None) -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(actor=None, operation=Operation.CONSULT)
        _ = 1 / 0
    assert not AuditEntry.objects.exists()
    assert store.log_size() == 0


def test_it_stores_every_perfect_subtree_and_the_right_edge(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    entries = write_log(11)
    tree = merkle.MemoryTree(e.canonical.encode() for e in entries)
    stored = {n.id: bytes(n.hash) for n in AuditNode.objects.all()}
    assert stored == tree.nodes
    state = LogState.objects.get()
    assert state.size == 11
    assert merkle.Frontier.from_bytes(11, bytes(state.frontier)).root() == tree.root()
    assert store.tree_hash(11) == tree.root()
    assert store.tree_hash(6) == tree.root(6)


def test_entries_are_gapless_and_hash_their_canonical_form(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    entries = write_log(5)
    assert [e.seq for e in entries] == [0, 1, 2, 3, 4]
    for e in entries:
        assert bytes(e.leaf_hash) == merkle.hash_leaf(e.canonical.encode())


def test_it_names_people_and_organisations_by_internal_id(
    albanian_officer: User, albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    person = Person.objects.create(
        key="p", organisation=albanian_police, given_name="Arta", family_name="Hoxha"
    )
    with transaction.atomic():
        entry = record(
            actor=albanian_officer,
            operation=Operation.DISCLOSE,
            object_type="directory.person",
            object_ids=[person.pk],
            subjects=[person],
            recipients=[serbian_ministry],
            justification="request from the Serbian ministry",
        )
    assert entry.actor_user == f"user:{albanian_officer.pk}"
    assert entry.actor_organisation == f"org:{albanian_police.pk}"
    assert entry.subjects == [f"person:{person.pk}"]
    assert entry.recipients == [f"org:{serbian_ministry.pk}"]
    assert "Hoxha" not in entry.canonical
    assert set(AuditRef.objects.values_list("kind", "ref")) == {
        ("subject", f"person:{person.pk}"),
        ("recipient", f"org:{serbian_ministry.pk}"),
    }


@pytest.mark.parametrize("bare", [12, "12", "Ana Example"])
def test_it_refuses_a_data_subject_without_its_kind(db: None, bare: object) -> None:
    # "12" could be user 12 or person 12: a DPO searching by data subject would miss it
    with transaction.atomic(), pytest.raises(ValueError, match="typed ids"):
        record(actor=None, operation=Operation.CONSULT, subjects=[bare])
    assert not AuditEntry.objects.exists()


def test_it_accepts_typed_data_subject_ids(db: None) -> None:
    with transaction.atomic():
        entry = record(actor=None, operation=Operation.CONSULT, subjects=["user:3", "entity:40"])
    assert entry.subjects == ["user:3", "entity:40"]


def test_it_issues_a_tree_head_every_n_entries(
    settings: object,
    write_log: Callable[..., list[AuditEntry]],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    settings.AUDIT_STH_EVERY_ENTRIES = 5  # type: ignore[attr-defined]
    settings.AUDIT_STH_EVERY_SECONDS = 10**9  # type: ignore[attr-defined]
    for _ in range(12):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            write_log(1)
    # the first entry asks for a head too (none was ever issued), then every fifth
    assert list(TreeHead.objects.values_list("tree_size", flat=True)) == [1, 5, 10]
    for head in TreeHead.objects.all():
        assert bytes(head.root_hash) == store.tree_hash(head.tree_size)


def test_it_issues_a_tree_head_when_the_period_has_passed(
    settings: object,
    write_log: Callable[..., list[AuditEntry]],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    import datetime as dt

    from firstline.core import clock

    settings.AUDIT_STH_EVERY_ENTRIES = 1000  # type: ignore[attr-defined]
    settings.AUDIT_STH_EVERY_SECONDS = 60  # type: ignore[attr-defined]
    start = clock.now()
    for minutes in (0, 0.2, 0.5, 1.1, 1.2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():  # type: ignore[operator]
            record(
                actor=None,
                operation=Operation.LOGIN,
                now=start + dt.timedelta(minutes=minutes),
            )
    assert list(TreeHead.objects.values_list("tree_size", flat=True)) == [1, 4]


def test_hashes_in_the_api_are_standard_base64(write_log: Callable[..., list[AuditEntry]]) -> None:
    entries = write_log(1)
    assert base64.b64decode(base64.b64encode(bytes(entries[0].leaf_hash))) == bytes(
        entries[0].leaf_hash
    )


def test_a_read_is_logged_once_naming_the_records_and_their_subjects(
    albanian_officer: User, albanian_police: Organisation
) -> None:
    from django.test import RequestFactory

    from firstline.audit.reads import consulted

    people = [
        Person.objects.create(
            key=f"p{i}", organisation=albanian_police, given_name="A", family_name=f"B{i}"
        )
        for i in range(3)
    ]
    request = RequestFactory().get("/directory/people/")
    request.user = albanian_officer
    with transaction.atomic():
        entry = consulted(request, people)
        assert consulted(request, []) is None
    assert entry is not None
    assert entry.object_type == "directory.person"
    assert entry.object_ids == [str(p.pk) for p in people]
    assert entry.subjects == [f"person:{p.pk}" for p in people]
    assert AuditEntry.objects.count() == 1


def test_several_entries_of_one_access_take_consecutive_places_in_one_append(
    db: None, albanian_officer: User
) -> None:
    from firstline.audit.log import Entry, record_many
    from firstline.audit.verify import verify_log

    with transaction.atomic():
        record(actor=albanian_officer, operation=Operation.LOGIN)
    with transaction.atomic():
        assert record_many([], actor=albanian_officer) == []
        first, second = record_many(
            [
                Entry(Operation.DISCLOSE, "exchange.message", ["m-1"], ["person:4"], ["org:2"]),
                Entry(Operation.COLLECT, "exchange.entity", ["7", "8"], ["person:4"]),
            ],
            actor=albanian_officer,
        )
    assert (first.seq, second.seq) == (1, 2)
    stored = list(AuditEntry.objects.order_by("seq").values_list("seq", "operation"))
    assert stored == [(0, "login"), (1, "disclose"), (2, "collect")]
    assert LogState.objects.get().size == 3
    assert set(AuditRef.objects.filter(entry=second).values_list("kind", "ref")) == {
        ("subject", "person:4")
    }
    # the stored tree is the tree of the three entries, node for node
    l0, l1, l2 = (
        bytes(h) for h in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)
    )
    # RFC 9162: MTH of three leaves = H(0x01 || MTH(l0, l1) || l2)
    expected = merkle.hash_children(merkle.hash_children(l0, l1), l2)
    assert store.tree_hash(3) == expected
    assert verify_log().ok
