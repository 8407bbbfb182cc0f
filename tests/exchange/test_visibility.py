"""Who sees a message: sender and recipient organisations, within clearance; TLP:RED named users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from firstline import policy
from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.directory.models import Organisation
from firstline.exchange.markings import TLP
from firstline.exchange.models import Entity, Message, Receipt, Thread
from firstline.exchange.services import consult_messages

from .conftest import KeyActor, add_user

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


def visible(actor: object) -> list[Message]:
    return list(Message.objects.visible_to(actor))


def test_sender_and_recipient_organisations_see_it_others_do_not(
    send: Callable[..., Message],
    albanian_org_admin: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    node_admin: User,
) -> None:
    message = send(now=NOW)
    assert visible(albanian_org_admin) == [message]  # a colleague in the sending organisation
    assert visible(serbian_analyst) == [message]
    assert visible(kumanovo_coordinator) == []
    assert visible(node_admin) == []  # running the node gives no access to the content
    assert list(policy.visible_to(kumanovo_coordinator, Thread)) == []
    assert list(policy.visible_to(kumanovo_coordinator, Entity)) == []
    assert list(policy.visible_to(kumanovo_coordinator, Receipt)) == []
    assert policy.can(serbian_analyst, policy.VIEW, message)
    assert not policy.can(kumanovo_coordinator, policy.VIEW, message)


@pytest.mark.parametrize("level", ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL"])
def test_a_reader_needs_clearance_at_or_above_the_classification(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    level: str,
) -> None:
    sender = add_user(albanian_police, "al-confidential", clearance="CONFIDENTIAL")
    readers = {
        lvl: add_user(serbian_ministry, f"rs-{lvl.lower()}", clearance=lvl)
        for lvl in ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL")
    }
    message = send(actor=sender, classification=level, now=NOW)
    for reader_level, reader in readers.items():
        expected = policy.clearance_rank(reader_level) >= policy.clearance_rank(level)
        assert (visible(reader) == [message]) is expected


@pytest.mark.parametrize("tlp", [t.value for t in TLP])
def test_tlp_red_is_for_named_users_only_other_labels_for_the_organisation(
    send: Callable[..., Message],
    serbian_ministry: Organisation,
    serbian_analyst: User,
    albanian_org_admin: User,
    tlp: str,
) -> None:
    colleague = add_user(serbian_ministry, "rs-colleague")
    named = ["rs-analyst"] if tlp == TLP.RED else []
    message = send(tlp=tlp, named_users=named, now=NOW)
    assert visible(serbian_analyst) == [message]
    assert (visible(colleague) == [message]) is (tlp != TLP.RED)
    assert (visible(KeyActor(serbian_ministry.pk)) == [message]) is (tlp != TLP.RED)
    assert visible(albanian_org_admin) == [message]  # the sending organisation keeps its copy


def test_an_api_key_actor_sees_its_organisations_messages(
    send: Callable[..., Message],
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
) -> None:
    message = send(now=NOW)
    assert visible(KeyActor(serbian_ministry.pk)) == [message]
    assert visible(KeyActor(kumanovo_municipality.pk)) == []
    assert visible(KeyActor(serbian_ministry.pk, clearance="UNCLASSIFIED")) == []


def test_reading_sets_the_read_receipt_once_and_logs_a_consultation(
    send: Callable[..., Message],
    serbian_ministry: Organisation,
    serbian_analyst: User,
    albanian_officer: User,
) -> None:
    message = send(now=NOW)
    consult_messages(albanian_officer, [message], now=NOW + dt.timedelta(hours=1))
    receipt = Receipt.objects.get(message=message)
    assert receipt.read_at is None  # the sender reading its own copy is not a receipt
    first = NOW + dt.timedelta(hours=2)
    consult_messages(serbian_analyst, [message], now=first)
    colleague = add_user(serbian_ministry, "rs-colleague")
    consult_messages(colleague, [message], now=first + dt.timedelta(hours=1))
    receipt.refresh_from_db()
    assert receipt.read_at == first
    assert receipt.read_by == f"user:{serbian_analyst.pk}"
    consults = AuditEntry.objects.filter(operation=Operation.CONSULT)
    assert consults.count() == 3
    person_id = f"entity:{message.entities.get().pk}"
    assert all(c.subjects == [person_id] for c in consults)
    assert all(c.object_ids == [str(message.uuid)] for c in consults)


def test_the_first_read_is_a_consultation_even_without_personal_data(
    send: Callable[..., Message], serbian_ministry: Organisation, serbian_analyst: User
) -> None:
    """A receipt's "read" is the first read by one of the organisation's users, logged: the
    log, not only the receipt's editable row, says who read it first, whatever the message
    holds. Later reads of a message without personal data show nothing protected by the
    Directive's logging rule and are not logged."""
    message = send(message_type="notification", urgency="", evaluation=None, entities=[], now=NOW)
    consult_messages(serbian_analyst, [message], now=NOW)
    consult_messages(add_user(serbian_ministry, "rs-colleague"), [message], now=NOW)
    assert Receipt.objects.get(message=message).read_at == NOW
    (entry,) = AuditEntry.objects.filter(operation=Operation.CONSULT)
    assert entry.object_ids == [str(message.uuid)]
    assert entry.actor_user == f"user:{serbian_analyst.pk}"
    assert entry.subjects == []


def test_one_read_names_each_message_in_one_entry(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    """A first read of personal data is in the personal-data entry already: no second entry
    for it; a first read without personal data gets its own, in the same append."""
    with_person = send(now=NOW)
    without = send(message_type="notification", urgency="", evaluation=None, entities=[], now=NOW)
    consult_messages(serbian_analyst, [with_person, without], now=NOW)
    consults = list(AuditEntry.objects.filter(operation=Operation.CONSULT).order_by("seq"))
    assert [c.object_ids for c in consults] == [[str(with_person.uuid)], [str(without.uuid)]]
    assert consults[0].subjects == [f"entity:{with_person.entities.get().pk}"]
    assert consults[1].seq == consults[0].seq + 1
    assert Receipt.objects.filter(read_at=NOW).count() == 2


def test_an_api_key_read_sets_no_receipt_but_its_reading_of_personal_data_is_logged(
    send: Callable[..., Message], serbian_ministry: Organisation, serbian_analyst: User
) -> None:
    """An API key is the organisation's system fetching, not one of its users reading."""
    key = KeyActor(serbian_ministry.pk)
    with_person = send(now=NOW)
    without = send(message_type="notification", urgency="", evaluation=None, entities=[], now=NOW)
    consult_messages(key, [with_person, without], now=NOW)
    assert not Receipt.objects.filter(read_at__isnull=False).exists()
    (entry,) = AuditEntry.objects.filter(operation=Operation.CONSULT)
    assert entry.object_ids == [str(with_person.uuid)]
    assert entry.actor_user == key.actor_label
    later = NOW + dt.timedelta(hours=1)
    consult_messages(serbian_analyst, [with_person, without], now=later)  # the first user
    assert Receipt.objects.filter(read_at=later, read_by=f"user:{serbian_analyst.pk}").count() == 2


def test_a_read_receipt_is_not_set_if_its_audit_entry_cannot_be_written(
    send: Callable[..., Message], serbian_analyst: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from firstline.audit import store

    message = send(message_type="notification", urgency="", evaluation=None, entities=[], now=NOW)
    before = AuditEntry.objects.count()

    def unavailable(values: dict[str, object]) -> int:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(store, "insert_entry", unavailable)
    with pytest.raises(RuntimeError):
        consult_messages(serbian_analyst, [message], now=NOW)
    assert Receipt.objects.get(message=message).read_at is None
    assert AuditEntry.objects.count() == before


def test_the_inbox_query_is_the_policy_restricted_to_what_was_received(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
) -> None:
    """``visible_received`` is written apart from the policy (for PostgreSQL's planner): it
    must return exactly ``visible_to`` ∩ received, for every marking, reader and receipt."""
    from firstline.exchange.policy import visible_received

    colleague = add_user(serbian_ministry, "rs-colleague-2")
    low = add_user(serbian_ministry, "rs-low", clearance="UNCLASSIFIED")
    al_colleague = add_user(albanian_police, "al-colleague-2")
    for tlp in TLP.values:
        for classification in ("UNCLASSIFIED", "RESTRICTED"):
            named = ["rs-analyst"] if tlp == TLP.RED else []
            send(tlp=tlp, classification=classification, named_users=named, now=NOW)
            # and the other way, so that both organisations have received something
            send(
                serbian_analyst,
                tlp=tlp,
                classification=classification,
                named_users=["al-officer"] if named else [],
                recipients=["al-asp-ctu"],
                now=NOW,
            )
    readers = [
        serbian_analyst,
        colleague,
        low,
        albanian_officer,
        al_colleague,
        kumanovo_coordinator,
        KeyActor(serbian_ministry.pk),
        KeyActor(albanian_police.pk, clearance="UNCLASSIFIED"),
    ]
    for reader in readers:
        org = reader.organisation_id
        received = Receipt.objects.filter(organisation_id=org)
        expected = set(
            Message.objects.visible_to(reader)
            .filter(pk__in=received.values("message_id"))
            .values_list("pk", flat=True)
        )
        got = set(visible_received(reader, Receipt.objects.all()).values_list("pk", flat=True))
        assert got == expected, reader
    assert len(expected) > 0  # the last reader (a key of the sender) sees some
