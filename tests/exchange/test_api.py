"""The exchange API: send, folders, message, thread, envelope — and another org gets 404."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.test import Client
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.exchange import keys
from firstline.exchange.models import KeyUse, Message, OrganisationKey, Receipt

from .conftest import add_user, message_fields

URL = "/api/v1/exchange"


def post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_it_sends_through_the_api(
    albanian_officer: User, serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    response = post(signed_in(albanian_officer), f"{URL}/messages", message_fields())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["thread"].startswith("AL-")
    assert body["recipients"] == ["rs-moi"]
    assert body["evaluation"] == {"scheme": "europol", "source": "B", "information": "2"}
    assert body["entities"][0]["category"] == "person_at_risk"
    assert body["receipts"][0]["read_at"] is None
    assert Message.objects.get().sender_label == f"user:{albanian_officer.pk}"


def test_bad_input_is_problem_json_naming_the_field(
    albanian_officer: User, serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    fields = message_fields(recipients=["xx-nowhere"], evaluation=None)
    response = post(signed_in(albanian_officer), f"{URL}/messages", fields)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem_fields = {e["field"] for e in response.json()["errors"]}
    assert problem_fields == {"recipients[0]", "evaluation"}
    assert Message.objects.count() == 0


def test_the_api_refuses_another_organisation_as_originator(
    send: Callable[..., Message],
    serbian_analyst: User,
    kumanovo_municipality: Any,
    signed_in: Callable[[User], Client],
) -> None:
    """Only a forward (its own endpoint) carries another originator; claiming to forward in
    the payload does not make a message a forward."""
    received = send()
    fields = message_fields(
        recipients=["mk-kumanovo"], originator="al-asp-ctu", forwarded_from=str(received.uuid)
    )
    response = post(signed_in(serbian_analyst), f"{URL}/messages", fields)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["originator"]
    assert Message.objects.count() == 1
    fields["originator"] = "rs-moi"  # naming itself is accepted
    assert post(signed_in(serbian_analyst), f"{URL}/messages", fields).status_code == 201


def test_a_schema_error_is_problem_json_too(
    albanian_officer: User, signed_in: Callable[[User], Client]
) -> None:
    response = post(signed_in(albanian_officer), f"{URL}/messages", {"body": "x"})
    assert response.status_code == 422
    assert "recipients" in {e["field"] for e in response.json()["errors"]}


def test_folders_list_only_what_the_reader_may_see(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send()
    inbox = signed_in(serbian_analyst).get(f"{URL}/messages?folder=inbox").json()
    assert [m["id"] for m in inbox["items"]] == [str(message.uuid)]
    assert inbox["items"][0]["due_at"] is not None
    assert signed_in(kumanovo_coordinator).get(f"{URL}/messages?folder=inbox").json()["count"] == 0
    sent = signed_in(albanian_officer).get(f"{URL}/messages?folder=sent").json()
    assert [m["id"] for m in sent["items"]] == [str(message.uuid)]
    assert signed_in(albanian_officer).get(f"{URL}/messages?folder=inbox").json()["count"] == 0
    bad = signed_in(albanian_officer).get(f"{URL}/messages?folder=spam")
    assert bad.status_code == 400


def test_overdue_requests_are_flagged_in_the_api(
    send: Callable[..., Message], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    message = send(urgency="urgent_direct", now=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    overdue = signed_in(serbian_analyst).get(f"{URL}/messages?folder=overdue").json()
    assert [m["id"] for m in overdue["items"]] == [str(message.uuid)]
    assert overdue["items"][0]["overdue"] is True


def test_reading_a_message_logs_a_consultation_and_the_read_receipt(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send()
    response = signed_in(serbian_analyst).get(f"{URL}/messages/{message.uuid}")
    assert response.status_code == 200
    body = response.json()
    assert body["entities"][0]["data"]["names"] == ["Arben Krasniqi"]
    assert AuditEntry.objects.filter(operation=Operation.CONSULT).count() == 1
    assert Receipt.objects.get(message=message).read_at is not None
    seen_by_sender = signed_in(albanian_officer).get(f"{URL}/messages/{message.uuid}").json()
    assert seen_by_sender["receipts"][0]["read_at"] is not None  # the sender sees it was read


def test_an_api_key_fetch_is_logged_but_is_no_read_receipt(
    send: Callable[..., Message], serbian_ministry: Any, client: Client
) -> None:
    """The receipt says one of the organisation's users read the message; a key is its
    system fetching it, so the sender goes on seeing it unread."""
    from firstline.accounts.services import create_api_key

    admin = add_user(serbian_ministry, "rs-admin", role="org_admin")
    _, secret = create_api_key(
        actor=admin,
        name="case system",
        role="analyst",
        clearance="RESTRICTED",
        scopes=["exchange.view"],
    )
    message = send()
    response = client.get(f"{URL}/messages/{message.uuid}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert Receipt.objects.get(message=message).read_at is None
    (consult,) = AuditEntry.objects.filter(operation=Operation.CONSULT)
    assert consult.actor_user.startswith("apikey:")
    assert consult.object_ids == [str(message.uuid)]


def test_another_organisation_gets_404_everywhere(
    send: Callable[..., Message], kumanovo_coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    message = send()
    client = signed_in(kumanovo_coordinator)
    for path in (
        f"{URL}/messages/{message.uuid}",
        f"{URL}/messages/{message.uuid}/envelope",
        f"{URL}/threads/{message.thread.reference}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Arben" not in response.content.decode()
    assert not AuditEntry.objects.filter(operation=Operation.CONSULT).exists()


def test_a_reply_through_the_api(
    send: Callable[..., Message], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    request = send()
    reply = {
        "recipients": [],
        "message_type": "reply",
        "in_reply_to": str(request.uuid),
        "body": "He entered on 3 March at Preševo.",
        "tlp": "AMBER",
        "handling": "H0",
        "classification": "RESTRICTED",
    }
    response = post(signed_in(serbian_analyst), f"{URL}/messages", reply)
    assert response.status_code == 201, response.content
    thread = signed_in(serbian_analyst).get(f"{URL}/threads/{request.thread.reference}").json()
    assert [m["message_type"] for m in thread["messages"]] == ["request", "reply"]
    assert Receipt.objects.get(message=request).replied_at is not None


def test_the_envelope_downloads_and_verifies_with_jwcrypto(
    send: Callable[..., Message], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    message = send()
    response = signed_in(serbian_analyst).get(f"{URL}/messages/{message.uuid}/envelope")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose+json"
    # what a recipient's own system does: its private key, the sender's published key
    serbian_key = OrganisationKey.objects.get(organisation__key="rs-moi", use=KeyUse.ENCRYPT)
    private = jc_jwk.JWK(**keys.private_key(serbian_key).as_dict(private=True))
    published = signed_in(serbian_analyst).get(f"{URL}/keys/al-asp-ctu").json()["keys"]
    token = jc_jwe.JWE()
    token.deserialize(response.content.decode(), key=private)
    signed = jc_jws.JWS()
    signed.deserialize(token.payload.decode())
    signed.allowed_algs = ["Ed25519"]
    kid = signed.jose_header["kid"]
    signed.verify(jc_jwk.JWK(**next(k for k in published if k["kid"] == kid)))
    assert json.loads(signed.payload)["id"] == str(message.uuid)
