"""After sending: H2 forwarding by permission, TLP limits on passing on, recall and correction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from firstline import policy
from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory.models import Organisation
from firstline.exchange.followup import (
    correct_entity,
    decide_forward,
    forward_message,
    recall_message,
)
from firstline.exchange.models import EntityStatus, ForwardRequest, ForwardStatus, Message

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


def visible(actor: Any) -> list[Message]:
    return list(Message.objects.visible_to(actor))


def test_forwarding_an_h2_message_asks_the_originator_first(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
) -> None:
    original = send(handling="H2", now=NOW)
    ask = forward_message(
        serbian_analyst,
        original,
        recipients=["mk-kumanovo"],
        note="Relevant to your case.",
        now=NOW,
    )
    assert isinstance(ask, ForwardRequest)
    assert ask.status == ForwardStatus.PENDING
    assert visible(kumanovo_coordinator) == []  # nothing released yet
    assert list(policy.visible_to(albanian_officer, ForwardRequest)) == [ask]
    assert list(policy.visible_to(kumanovo_coordinator, ForwardRequest)) == []
    with pytest.raises(PermissionDenied):
        decide_forward(serbian_analyst, ask, approve=True, now=NOW)  # not the originator

    decided = decide_forward(albanian_officer, ask, approve=True, now=NOW + dt.timedelta(hours=1))
    assert decided.status == ForwardStatus.APPROVED
    forwarded = decided.forwarded
    assert forwarded is not None
    assert visible(kumanovo_coordinator) == [forwarded]
    assert forwarded.sender.key == "rs-moi"
    assert forwarded.originator.key == "al-asp-ctu"
    assert forwarded.forwarded_from == original
    assert (forwarded.tlp, forwarded.handling, forwarded.classification) == (
        "AMBER",
        "H2",
        "RESTRICTED",
    )
    assert forwarded.entities.get().legal_basis == original.entities.get().legal_basis
    assert AuditEntry.objects.filter(operation=Operation.PERMISSION_CHANGE).count() == 2
    with pytest.raises(Problem):
        decide_forward(albanian_officer, ask, approve=True, now=NOW)  # decided once only


def test_a_refused_request_releases_nothing(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
) -> None:
    original = send(handling="H2", now=NOW)
    ask = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(ask, ForwardRequest)
    assert (
        decide_forward(albanian_officer, ask, approve=False, now=NOW).status
        == ForwardStatus.REFUSED
    )
    assert visible(kumanovo_coordinator) == []


@pytest.mark.parametrize("handling", ["H0", "H1", "H3"])
def test_other_handling_codes_forward_at_once(
    send: Callable[..., Message], serbian_analyst: User, kumanovo_coordinator: User, handling: str
) -> None:
    original = send(
        handling=handling,
        handling_text="Only for the prevention team." if handling == "H3" else "",
        now=NOW,
    )
    forwarded = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(forwarded, Message)
    assert visible(kumanovo_coordinator) == [forwarded]
    assert forwarded.handling_text == original.handling_text


@pytest.mark.parametrize("tlp", ["RED", "AMBER+STRICT"])
def test_tlp_red_and_amber_strict_are_never_passed_on(
    send: Callable[..., Message], serbian_analyst: User, kumanovo_coordinator: User, tlp: str
) -> None:
    original = send(tlp=tlp, named_users=["rs-analyst"], now=NOW)
    with pytest.raises(Problem) as exc:
        forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert exc.value.errors[0]["field"] == "tlp"
    assert visible(kumanovo_coordinator) == []


def test_only_a_recipient_forwards(send: Callable[..., Message], albanian_officer: User) -> None:
    original = send(now=NOW)
    with pytest.raises(PermissionDenied):
        forward_message(albanian_officer, original, recipients=["mk-kumanovo"], now=NOW)


def test_recall_restricts_the_content_and_notifies_every_recipient(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(recipients=["rs-moi", "mk-kumanovo"], now=NOW)
    with pytest.raises(PermissionDenied):
        recall_message(serbian_analyst, original, reason="wrong", now=NOW)
    with pytest.raises(Problem):
        recall_message(albanian_officer, original, reason=" ", now=NOW)
    recall_message(albanian_officer, original, reason="Wrong person: name confusion.", now=NOW)
    original.refresh_from_db()
    assert original.recalled_at == NOW
    assert set(original.entities.values_list("status", flat=True)) == {EntityStatus.RESTRICTED}
    notice = Message.objects.get(message_type="notification")
    assert notice.thread == original.thread
    assert sorted(r.organisation.key for r in notice.receipts.all()) == ["mk-kumanovo", "rs-moi"]
    assert "Wrong person" in notice.body
    alter = AuditEntry.objects.get(operation=Operation.ALTER)
    assert alter.subjects == [f"entity:{original.entities.get().pk}"]
    body = signed_in(serbian_analyst).get(f"/api/v1/exchange/messages/{original.uuid}").json()
    assert body["body"] == "" and body["entities"] == [] and body["recall_reason"]
    page = (
        signed_in(serbian_analyst)
        .get(f"/exchange/threads/{original.thread.reference}/")
        .content.decode()
    )
    assert "Arben" not in page and "recalled" in page
    with pytest.raises(Problem):
        forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)


def test_correcting_a_person_keeps_the_old_version_and_notifies(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(now=NOW)
    entity = original.entities.get()
    with pytest.raises(Problem) as exc:
        correct_entity(
            albanian_officer, entity, reason="typo", correction={"category": "terrorist"}, now=NOW
        )
    assert exc.value.errors[0]["field"] == "correction.category"
    corrected = correct_entity(
        albanian_officer,
        entity,
        reason="Date of birth was wrong.",
        correction={"date_of_birth": "1998-04-12"},
        now=NOW,
    )
    assert corrected.status == EntityStatus.CORRECTED
    assert corrected.data["date_of_birth"] == "1998-04-12"
    assert corrected.history[0]["date_of_birth"] == "1998-04-02"
    assert Message.objects.filter(message_type="notification", thread=original.thread).count() == 1
    shown = signed_in(serbian_analyst).get(f"/api/v1/exchange/messages/{original.uuid}").json()
    assert shown["entities"][0]["status"] == "corrected"


def test_restricting_an_entity_hides_it(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(
        entities=[{"kind": "vehicle", "registration": "AA 123 BB"}], evaluation=None, now=NOW
    )
    client = signed_in(albanian_officer)
    response = client.post(
        f"/api/v1/exchange/messages/{original.uuid}/entities/0/correction",
        json.dumps({"reason": "Unlawfully transmitted."}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    shown = signed_in(serbian_analyst).get(f"/api/v1/exchange/messages/{original.uuid}").json()
    assert shown["entities"] == [] and shown["restricted_entities"] == 1


def test_forwarding_through_the_api(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_municipality: Organisation,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(handling="H2", now=NOW)
    response = signed_in(serbian_analyst).post(
        f"/api/v1/exchange/messages/{original.uuid}/forward",
        json.dumps({"recipients": ["mk-kumanovo"]}),
        content_type="application/json",
    )
    assert response.status_code == 202
    ask_id = response.json()["permission_request"]["id"]
    pending = signed_in(albanian_officer).get("/api/v1/exchange/permission-requests").json()
    assert [p["id"] for p in pending["items"]] == [ask_id]
    refused = signed_in(serbian_analyst).post(
        f"/api/v1/exchange/permission-requests/{ask_id}/decision",
        json.dumps({"approve": True}),
        content_type="application/json",
    )
    assert refused.status_code == 403
    approved = signed_in(albanian_officer).post(
        f"/api/v1/exchange/permission-requests/{ask_id}/decision",
        json.dumps({"approve": True, "note": "Yes, for the prevention case."}),
        content_type="application/json",
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["forwarded"]
    red = send(tlp="RED", named_users=["rs-analyst"], now=NOW)
    blocked = signed_in(serbian_analyst).post(
        f"/api/v1/exchange/messages/{red.uuid}/forward",
        json.dumps({"recipients": ["mk-kumanovo"]}),
        content_type="application/json",
    )
    assert blocked.status_code == 409
    assert blocked.json()["errors"][0]["field"] == "tlp"


def test_only_those_who_decide_for_the_originator_release_recall_or_correct(
    send: Callable[..., Message],
    albanian_officer: User,
    albanian_police: Organisation,
    serbian_analyst: User,
) -> None:
    """Practitioners (but for their own messages) and the data protection officer, whose part
    is oversight, do not decide about the organisation's information."""
    from tests.exchange.conftest import add_user

    practitioner = add_user(albanian_police, "al-practitioner", role="practitioner")
    dpo = add_user(albanian_police, "al-dpo", role="dpo")
    original = send(handling="H2", now=NOW)
    ask = forward_message(serbian_analyst, original, recipients=["mk-kumanovo"], now=NOW)
    assert isinstance(ask, ForwardRequest)
    before = AuditEntry.objects.count()
    for user in (practitioner, dpo):
        with pytest.raises(PermissionDenied):
            decide_forward(user, ask, approve=True, now=NOW)
        with pytest.raises(PermissionDenied):
            recall_message(user, original, reason="sent in error", now=NOW)
        with pytest.raises(PermissionDenied):
            correct_entity(user, original.entities.first(), reason="wrong name", now=NOW)
    ask.refresh_from_db()
    original.refresh_from_db()
    assert ask.status == ForwardStatus.PENDING and original.recalled_at is None
    assert AuditEntry.objects.count() == before  # nothing happened, nothing logged

    own = send(practitioner, now=NOW)  # a practitioner may recall what they sent themselves
    assert recall_message(practitioner, own, reason="wrong school", now=NOW).recalled_at == NOW
    assert decide_forward(albanian_officer, ask, approve=False, now=NOW).status == (
        ForwardStatus.REFUSED
    )


def test_the_thread_offers_recall_only_to_those_who_may(
    send: Callable[..., Message],
    albanian_police: Organisation,
    signed_in: Callable[[User], Client],
) -> None:
    from tests.exchange.conftest import add_user

    practitioner = add_user(albanian_police, "al-practitioner-2", role="practitioner")
    dpo = add_user(albanian_police, "al-dpo-2", role="dpo")
    message = send(practitioner, now=NOW)
    path = f"/exchange/threads/{message.thread.reference}/"
    recall = f"/exchange/messages/{message.uuid}/recall/"
    assert recall in signed_in(practitioner).get(path).content.decode()
    assert recall not in signed_in(dpo).get(path).content.decode()
    assert signed_in(dpo).get(recall).status_code == 403
