"""send_message: validated, signed, encrypted, stored and logged in one transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory.models import Organisation
from firstline.exchange import keys, services
from firstline.exchange.models import (
    Entity,
    KeyUse,
    Message,
    OrganisationKey,
    Receipt,
    SearchDocument,
    Thread,
)

from .conftest import message_fields, person

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


def _private_jwk(org: Organisation, use: str) -> jc_jwk.JWK:
    key = OrganisationKey.objects.get(organisation=org, use=use, retired_at=None)
    return jc_jwk.JWK(**keys.private_key(key).as_dict(private=True))


def _public_jwk(org: Organisation, use: str) -> jc_jwk.JWK:
    key = OrganisationKey.objects.get(organisation=org, use=use, retired_at=None)
    return jc_jwk.JWK(**key.public_jwk)


def _open_with_jwcrypto(
    envelope: dict[str, Any], recipient: Organisation, sender: Organisation
) -> dict[str, Any]:
    token = jc_jwe.JWE()
    token.deserialize(json.dumps(envelope), key=_private_jwk(recipient, KeyUse.ENCRYPT))
    signed = jc_jws.JWS()
    signed.deserialize(token.payload.decode())
    signed.allowed_algs = ["Ed25519", "EdDSA"]
    signed.verify(_public_jwk(sender, KeyUse.SIGN))
    assert signed.jose_header["alg"] == "Ed25519"
    return json.loads(signed.payload)


def test_it_sends_a_request_with_a_person(
    send: Callable[..., Message], serbian_ministry: Organisation
) -> None:
    message = send(now=NOW)
    assert message.thread.reference == "AL-2026-000001"
    assert message.has_personal_data
    assert message.evaluation_scheme == "europol"
    assert (message.source_grade, message.information_grade) == ("B", "2")
    entity = message.entities.get()
    assert entity.category == "person_at_risk"
    assert entity.data["names"] == ["Arben Krasniqi"]
    assert entity.facts and entity.assessment and entity.facts != entity.assessment
    receipt = message.receipts.get()
    assert receipt.organisation == serbian_ministry
    assert receipt.delivered_at == NOW
    assert receipt.due_at == dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC)


def test_references_count_up_per_node_and_year(send: Callable[..., Message]) -> None:
    first = send(now=NOW)
    second = send(now=NOW)
    assert (first.thread.reference, second.thread.reference) == ("AL-2026-000001", "AL-2026-000002")


def test_it_logs_a_disclosure_and_a_collection(send: Callable[..., Message]) -> None:
    message = send(now=NOW)
    person_id = f"entity:{message.entities.get().pk}"
    disclose = AuditEntry.objects.get(operation=Operation.DISCLOSE)
    assert disclose.recipients == ["rs-moi"]
    assert disclose.subjects == [person_id]
    assert disclose.object_ids == [str(message.uuid)]
    collect = AuditEntry.objects.get(operation=Operation.COLLECT)
    assert collect.subjects == [person_id]
    assert "Arben" not in disclose.canonical + collect.canonical  # ids, never names


def test_the_envelope_verifies_and_decrypts_with_jwcrypto(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
) -> None:
    message = send(recipients=["rs-moi", "mk-kumanovo"], now=NOW)
    for recipient in (serbian_ministry, kumanovo_municipality):
        document = _open_with_jwcrypto(message.envelope, recipient, albanian_police)
        assert document["id"] == str(message.uuid)
        assert document["body"] == message.body
        assert document["markings"] == {
            "tlp": "AMBER",
            "handling": "H0",
            "handling_text": "",
            "classification": "RESTRICTED",
        }
        assert document["evaluation"] == {"scheme": "europol", "source": "B", "information": "2"}
        assert document["entities"][0]["legal_basis"].startswith("Law 108/2014")
        assert document["sender"] == "al-asp-ctu"
    header = message.envelope["protected"]
    assert {r["header"]["alg"] for r in message.envelope["recipients"]} == {"ECDH-ES+A256KW"}
    assert len(message.envelope["recipients"]) == 2
    assert header


def test_the_envelope_opens_with_joserfc_for_one_recipient(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
) -> None:
    from firstline.exchange import envelope

    message = send(recipients=["rs-moi", "mk-kumanovo"], now=NOW)
    decrypt = OrganisationKey.objects.get(organisation=serbian_ministry, use="enc")
    verify = OrganisationKey.objects.get(kid=message.signing_kid)
    assert verify.organisation == albanian_police
    document = envelope.open_envelope(message.envelope, decrypt, verify)
    assert envelope.digest(envelope.canonical(document)) == message.content_sha256


def test_old_messages_still_open_after_rotation(
    send: Callable[..., Message], albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    from firstline.exchange import envelope

    message = send(now=NOW)
    old_enc = OrganisationKey.objects.get(organisation=serbian_ministry, use="enc")
    keys.rotate_keys(serbian_ministry)
    keys.rotate_keys(albanian_police)
    old_enc.refresh_from_db()
    assert old_enc.retired_at is not None
    document = envelope.open_envelope(
        message.envelope, old_enc, OrganisationKey.objects.get(kid=message.signing_kid)
    )
    assert document["id"] == str(message.uuid)
    newer = send(now=NOW)
    assert newer.signing_kid != message.signing_kid


def test_organisations_without_keys_get_them_at_their_first_message(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
) -> None:
    assert not OrganisationKey.objects.exists()
    message = send(recipients=["rs-moi", "mk-kumanovo"], now=NOW)
    for org in (albanian_police, serbian_ministry, kumanovo_municipality):
        assert {k.use for k in OrganisationKey.objects.filter(organisation=org)} == {"sig", "enc"}
    assert message.signing_kid == _public_jwk(albanian_police, KeyUse.SIGN).thumbprint()
    assert [r["header"]["kid"] for r in message.envelope["recipients"]] == [
        _public_jwk(org, KeyUse.ENCRYPT).thumbprint()
        for org in (serbian_ministry, kumanovo_municipality)
    ]
    created = AuditEntry.objects.filter(operation=Operation.KEY_CHANGE)
    assert created.count() == 3  # one entry per organisation, in the send's transaction
    _open_with_jwcrypto(message.envelope, kumanovo_municipality, albanian_police)


def test_after_a_rotation_the_next_message_is_signed_and_sealed_with_the_new_keys(
    send: Callable[..., Message], albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    send(now=NOW)  # the old keys are now unwrapped and memoised in this process
    old_sign = OrganisationKey.objects.get(organisation=albanian_police, use=KeyUse.SIGN)
    keys.rotate_keys(albanian_police)
    keys.rotate_keys(serbian_ministry)
    message = send(now=NOW)
    new_sign = OrganisationKey.objects.get(
        organisation=albanian_police, use=KeyUse.SIGN, retired_at=None
    )
    assert message.signing_kid == new_sign.kid != old_sign.kid
    assert [r["header"]["kid"] for r in message.envelope["recipients"]] == [
        OrganisationKey.objects.get(organisation=serbian_ministry, use="enc", retired_at=None).kid
    ]
    # opens with the recipient's new key and verifies with the sender's new public key only
    document = _open_with_jwcrypto(message.envelope, serbian_ministry, albanian_police)
    assert document["id"] == str(message.uuid)
    token = jc_jwe.JWE()
    token.deserialize(
        json.dumps(message.envelope), key=_private_jwk(serbian_ministry, KeyUse.ENCRYPT)
    )
    signed = jc_jws.JWS()
    signed.deserialize(token.payload.decode())
    signed.allowed_algs = ["Ed25519"]
    assert signed.jose_header["kid"] == new_sign.kid
    with pytest.raises(jc_jws.InvalidJWSSignature):
        signed.verify(jc_jwk.JWK(**old_sign.public_jwk))


@pytest.mark.parametrize(
    "entities",
    [
        [person(), person(names=["Besnik Hoxha"], place_of_birth="Prizren \u2028 \x7f")],
        # floats (coordinates) take the reference serialiser inside envelope.canonical
        [{"kind": "location", "name": "Kukës", "latitude": 42.07, "longitude": 20.42}],
    ],
)
def test_the_signed_bytes_are_rfc8785_by_the_reference_library(
    send: Callable[..., Message],
    serbian_ministry: Organisation,
    albanian_police: Organisation,
    entities: list[dict[str, Any]],
) -> None:
    import hashlib

    import rfc8785

    message = send(now=NOW, entities=entities)
    document = _open_with_jwcrypto(message.envelope, serbian_ministry, albanian_police)
    assert hashlib.sha256(rfc8785.dumps(document)).hexdigest() == message.content_sha256


def _problem_fields(exc: pytest.ExceptionInfo[Problem]) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in exc.value.errors}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recipients": ["xx-nowhere"]}, "recipients[0]"),
        ({"recipients": []}, "recipients"),
        ({"recipients": ["al-asp-ctu"]}, "recipients[0]"),
        ({"evaluation": None}, "evaluation"),
        ({"evaluation": {"source": "F", "information": "2"}}, "evaluation.source"),
        ({"entities": [person(legal_basis="")]}, "entities[0].legal_basis"),
        ({"entities": [person(category="terrorist")]}, "entities[0].category"),
        ({"entities": [person(names=[])]}, "entities[0].names"),
        ({"entities": [person(review_date="31.01.2027")]}, "entities[0].review_date"),
        ({"entities": [person(retention_end="2026-01-01")]}, "entities[0].retention_end"),
        (
            {"entities": [person(special_categories=["religious_beliefs"])]},
            "entities[0].special_justification",
        ),
        ({"entities": [person(shoe_size="44")]}, "entities[0].shoe_size"),
        ({"entities": [person(), {"kind": "spaceship"}]}, "entities[1].kind"),
        (
            {"entities": [{"kind": "communication", "type": "fax", "value": "+355"}]},
            "entities[0].type",
        ),
        ({"classification": "CONFIDENTIAL"}, "classification"),
        ({"classification": "TOP SECRET"}, "classification"),
        ({"handling": "H3"}, "handling_text"),
        ({"tlp": "BLACK"}, "tlp"),
        ({"tlp": "RED"}, "named_users"),
        ({"tlp": "RED", "named_users": ["al-officer"]}, "named_users[0]"),
        ({"urgency": ""}, "urgency"),
        ({"subject": ""}, "subject"),
        ({"body": "  "}, "body"),
        ({"message_type": "reply"}, "in_reply_to"),
        ({"evaluation": None, "entities": [], "personal_data": True}, "evaluation"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    send: Callable[..., Message], overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(Problem) as exc:
        send(now=NOW, **overrides)
    assert field in _problem_fields(exc)
    assert exc.value.status == 422
    assert Message.objects.count() == Thread.objects.count() == 0
    assert AuditEntry.objects.filter(operation=Operation.DISCLOSE).count() == 0


def test_a_sender_cannot_name_another_organisation_as_the_originator(
    send: Callable[..., Message], kumanovo_municipality: Organisation
) -> None:
    """The originator decides H2 forwarding requests and sees their subjects: naming another
    organisation would hand it that decision and those subjects."""
    with pytest.raises(Problem) as exc:
        send(originator="mk-kumanovo", handling="H2", now=NOW)
    assert list(_problem_fields(exc)) == ["originator"]
    assert "only a forwarded message" in _problem_fields(exc)["originator"]
    assert exc.value.status == 422
    assert Message.objects.count() == Thread.objects.count() == 0
    assert not AuditEntry.objects.filter(operation=Operation.DISCLOSE).exists()
    assert send(originator="al-asp-ctu", now=NOW).originator.key == "al-asp-ctu"  # itself: fine


def test_a_forward_carries_the_forwarded_messages_originator_and_no_other(
    send: Callable[..., Message], serbian_analyst: User, kumanovo_municipality: Organisation
) -> None:
    original = send(now=NOW)
    onward = {"recipients": ["mk-kumanovo"], "forwarded_from": original, "now": NOW}
    for other in ("rs-moi", "mk-kumanovo"):  # the forwarder itself, or anyone else
        with pytest.raises(Problem) as exc:
            send(serbian_analyst, originator=other, **onward)
        assert "'al-asp-ctu'" in _problem_fields(exc)["originator"]
    assert Message.objects.count() == 1
    assert send(serbian_analyst, originator="al-asp-ctu", **onward).originator.key == "al-asp-ctu"
    assert send(serbian_analyst, **onward).originator.key == "al-asp-ctu"  # carried unasked


def test_special_categories_with_a_justification_are_accepted(send: Callable[..., Message]) -> None:
    message = send(
        entities=[
            person(
                special_categories=["religious_beliefs"],
                special_justification="Strictly necessary: the recruitment happens at a place of worship.",
            )
        ],
        now=NOW,
    )
    assert message.entities.get().special_categories == ["religious_beliefs"]


def test_every_kind_of_entity_is_stored(send: Callable[..., Message]) -> None:
    message = send(
        entities=[
            person(),
            {"kind": "organisation", "name": "Youth club", "country": "AL"},
            {"kind": "location", "name": "Bus station", "municipality": "Kukës"},
            {"kind": "event", "description": "Meeting", "date": "2026-03-01"},
            {"kind": "document", "title": "Leaflet", "reference": "L-1"},
            {"kind": "vehicle", "registration": "AA 123 BB", "make": "Opel"},
            {"kind": "communication", "type": "online_handle", "value": "@someone"},
        ],
        now=NOW,
    )
    assert list(message.entities.values_list("kind", flat=True)) == [
        "person",
        "organisation",
        "location",
        "event",
        "document",
        "vehicle",
        "communication",
    ]


def test_admiralty_grades_when_the_node_uses_that_scale(
    send: Callable[..., Message], settings
) -> None:
    settings.EVALUATION_SCHEME = "admiralty"
    message = send(evaluation={"source": "F", "information": "6"}, now=NOW)
    assert message.evaluation_scheme == "admiralty"
    with pytest.raises(Problem):
        send(evaluation={"source": "X", "information": "1"}, now=NOW)


def test_a_person_at_risk_message_without_personal_data_needs_no_evaluation(
    send: Callable[..., Message],
) -> None:
    message = send(message_type="notification", urgency="", evaluation=None, entities=[], now=NOW)
    assert not message.has_personal_data
    assert message.receipts.get().due_at is None


def test_a_reply_stays_in_the_thread_and_sets_the_replied_receipt(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    request = send(now=NOW)
    later = NOW + dt.timedelta(days=1)
    reply = send(
        actor=serbian_analyst,
        recipients=[],
        subject="",
        message_type="reply",
        in_reply_to=request.uuid,
        evaluation={"source": "A", "information": "1"},
        now=later,
    )
    assert reply.thread == request.thread
    assert [r.organisation.key for r in reply.receipts.all()] == ["al-asp-ctu"]
    assert Receipt.objects.get(message=request).replied_at == later


def test_a_thread_can_link_another(send: Callable[..., Message]) -> None:
    first = send(now=NOW)
    second = send(links=[first.thread.reference], now=NOW)
    assert list(second.thread.links.all()) == [first.thread]
    assert list(first.thread.links.all()) == [second.thread]


def test_someone_without_an_organisation_cannot_send(
    send: Callable[..., Message], node_admin: User
) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        send(actor=node_admin, now=NOW)


STEPS = [
    "open_thread",
    "seal",
    "store_message",
    "bind_attachments",
    "store_entities",
    "store_receipts",
    "index_message",
    "audit_send",
]


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_in_any_step_leaves_nothing_half_written(
    send: Callable[..., Message],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    albanian_police,
    serbian_ministry,
) -> None:
    keys.ensure_keys(albanian_police)
    keys.ensure_keys(serbian_ministry)
    before = AuditEntry.objects.count()
    original = getattr(services, step)

    def failing(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)  # do the step's writes, then fail after them
        raise RuntimeError(f"injected failure in {step}")

    monkeypatch.setattr(services, step, failing)
    with pytest.raises(RuntimeError, match="injected"):
        send(now=NOW)
    assert Message.objects.count() == 0
    assert Thread.objects.count() == 0
    assert Entity.objects.count() == 0
    assert Receipt.objects.count() == 0
    assert SearchDocument.objects.count() == 0
    assert AuditEntry.objects.count() == before
    monkeypatch.undo()
    assert send(now=NOW).thread.reference == "AL-2026-000001"  # the counter rolled back too


def test_a_failing_audit_write_rolls_the_message_back(
    send: Callable[..., Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of the send's two entries fails: the first entry, the message and its
    receipts all roll back with it."""
    from firstline.audit import store
    from firstline.audit.models import AuditEntry

    real = store.insert_entry
    calls: list[int] = []

    def failing_second(values: dict[str, Any]) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("audit log unavailable")
        return real(values)

    before = AuditEntry.objects.count()
    monkeypatch.setattr(store, "insert_entry", failing_second)
    with pytest.raises(RuntimeError):
        send(now=NOW)
    assert len(calls) == 2
    assert Message.objects.count() == 0 and Receipt.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_message_fields_helper_is_valid() -> None:
    assert message_fields()["entities"][0]["kind"] == "person"
