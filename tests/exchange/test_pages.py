"""Exchange pages: folders, thread, compose (with a person), reply, signature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.exchange.models import Message, Receipt


def compose_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "recipients": ["rs-moi"],
        "message_type": "request",
        "urgency": "other",
        "subject": "Travel of a person at risk",
        "body": "Did this person enter Serbia in March?",
        "tlp": "AMBER",
        "handling": "H0",
        "classification": "RESTRICTED",
        "evaluation_source": "B",
        "evaluation_information": "2",
        "person-TOTAL_FORMS": "1",
        "person-INITIAL_FORMS": "0",
        "person-0-names": "Arben Krasniqi",
        "person-0-category": "person_at_risk",
        "person-0-purpose": "prevention",
        "person-0-legal_basis": "Law 108/2014, Art. 4",
        "person-0-review_date": "2027-01-31",
        "person-0-retention_end": "2030-01-31",
        "person-0-document_type": "passport",
        "person-0-document_number": "BA1234567",
        "person-0-document_country": "AL",
        "entity-TOTAL_FORMS": "1",
        "entity-INITIAL_FORMS": "0",
        "entity-0-kind": "vehicle",
        "entity-0-value": "AA 123 BB",
        "send": "1",
    }
    data.update(overrides)
    return data


def test_compose_page_explains_the_markings(
    albanian_officer: User, serbian_ministry, signed_in: Callable[[User], Client]
) -> None:
    page = signed_in(albanian_officer).get("/exchange/compose/").content.decode()
    assert "Named recipients only; no further disclosure." in page
    assert "Not to be disseminated further without the provider" in page
    assert "In most instances reliable" in page
    assert "Ministry of Interior of Serbia" in page


def test_compose_sends_a_request_with_a_person(
    albanian_officer: User, serbian_ministry, signed_in: Callable[[User], Client]
) -> None:
    response = signed_in(albanian_officer).post("/exchange/compose/", compose_data())
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exchange/threads/{message.thread.reference}/"
    assert [e.kind for e in message.entities.all()] == ["person", "vehicle"]
    person = message.entities.first()
    assert person is not None and person.data["identity_documents"][0]["number"] == "BA1234567"


def test_compose_offers_no_originator_the_sender_is_it(
    albanian_officer: User,
    serbian_ministry,
    kumanovo_municipality,
    signed_in: Callable[[User], Client],
) -> None:
    """As in the API, only a forward carries another originator: the form has no such field,
    and a value slipped into the post is not passed on."""
    client = signed_in(albanian_officer)
    assert 'name="originator"' not in client.get("/exchange/compose/").content.decode()
    response = client.post("/exchange/compose/", compose_data(originator="mk-kumanovo"))
    assert response.status_code == 302
    assert Message.objects.get().originator == albanian_officer.organisation


def test_compose_shows_errors_by_field_and_stores_nothing(
    albanian_officer: User, serbian_ministry, signed_in: Callable[[User], Client]
) -> None:
    data = compose_data(**{"person-0-legal_basis": "", "evaluation_source": ""})
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert response.status_code == 200
    persons = response.context["persons"]
    assert "legal_basis" in persons.forms[0].errors
    assert "evaluation_source" in response.context["form"].errors
    assert Message.objects.count() == 0


def test_add_a_person_row_without_sending(
    albanian_officer: User, serbian_ministry, signed_in: Callable[[User], Client]
) -> None:
    data = compose_data(add_person="1")
    del data["send"]
    response = signed_in(albanian_officer).post("/exchange/compose/", data)
    assert len(response.context["persons"].forms) == 2
    assert Message.objects.count() == 0


def test_inbox_sent_and_overdue_pages(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send(urgency="urgent_direct", now=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    reader = signed_in(serbian_analyst)
    assert message.thread.reference in reader.get("/exchange/").content.decode()
    overdue = reader.get("/exchange/overdue/").content.decode()
    assert message.thread.reference in overdue and "OVERDUE" in overdue
    assert (
        message.thread.reference
        in signed_in(albanian_officer).get("/exchange/sent/").content.decode()
    )
    for path in ("/exchange/", "/exchange/sent/", "/exchange/overdue/"):
        assert (
            message.thread.reference
            not in signed_in(kumanovo_coordinator).get(path).content.decode()
        )


def test_the_thread_page_logs_the_reading_and_the_sender_sees_the_receipt(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send(
        entities=[
            {
                **message_entities()[0],
                "special_categories": ["health"],
                "special_justification": "Needed for the care plan.",
            }
        ]
    )
    url = f"/exchange/threads/{message.thread.reference}/"
    why = {"justification_reason": "Case work on this person", "justification_text": "care plan"}
    reader = signed_in(serbian_analyst)
    reader.post(url, why)  # special categories: the reader says why first (test_special_...)
    page = reader.get(url).content.decode()
    assert "Arben Krasniqi" in page
    assert "special categories of personal data" in page
    assert AuditEntry.objects.filter(operation=Operation.CONSULT).count() == 1
    receipt = Receipt.objects.get(message=message)
    assert receipt.read_at is not None
    sender = signed_in(albanian_officer)
    sender.post(url, why)
    sender_page = sender.get(url)
    assert sender_page.context["messages_list"][0].own_receipts[0].read_at == receipt.read_at


def message_entities() -> list[dict[str, Any]]:
    from .conftest import person

    return [person()]


def test_other_organisations_get_404_on_every_page(
    send: Callable[..., Message], kumanovo_coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    message = send()
    client = signed_in(kumanovo_coordinator)
    for path in (
        f"/exchange/threads/{message.thread.reference}/",
        f"/exchange/messages/{message.uuid}/reply/",
        f"/exchange/messages/{message.uuid}/signature/",
    ):
        assert client.get(path).status_code == 404, path


def test_reply_page_answers_in_the_thread(
    send: Callable[..., Message], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    request = send()
    data = {
        "body": "He entered on 3 March.",
        "tlp": "AMBER",
        "handling": "H0",
        "classification": "RESTRICTED",
        "person-TOTAL_FORMS": "0",
        "person-INITIAL_FORMS": "0",
        "entity-TOTAL_FORMS": "0",
        "entity-INITIAL_FORMS": "0",
        "send": "1",
    }
    response = signed_in(serbian_analyst).post(f"/exchange/messages/{request.uuid}/reply/", data)
    assert response.status_code == 302
    assert Receipt.objects.get(message=request).replied_at is not None
    assert request.replies.get().thread == request.thread


def test_the_signature_page_names_the_key(
    send: Callable[..., Message], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    message = send()
    page = (
        signed_in(serbian_analyst)
        .get(f"/exchange/messages/{message.uuid}/signature/")
        .content.decode()
    )
    assert message.signing_kid in page
    assert message.content_sha256 in page


def test_pages_need_sign_in(client: Client) -> None:
    response = client.get("/exchange/")
    assert response.status_code == 302


def test_forward_permission_and_recall_pages(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    original = send(handling="H2")
    reader = signed_in(serbian_analyst)
    assert (
        "Ask to forward (H2)"
        in reader.get(f"/exchange/threads/{original.thread.reference}/").content.decode()
    )
    response = reader.post(
        f"/exchange/messages/{original.uuid}/forward/",
        {"recipients": ["mk-kumanovo"], "note": "FYI"},
    )
    assert response.status_code == 302
    sender = signed_in(albanian_officer)
    page = sender.get("/exchange/permissions/").content.decode()
    assert "Approve and forward" in page
    from firstline.exchange.models import ForwardRequest

    ask = ForwardRequest.objects.get()
    sender.post("/exchange/permissions/", {"request_id": ask.pk, "decision": "approve"})
    assert Message.objects.visible_to(kumanovo_coordinator).count() == 1
    assert reader.get(f"/exchange/messages/{original.uuid}/recall/").status_code == 403
    response = sender.post(
        f"/exchange/messages/{original.uuid}/recall/", {"reason": "Wrong person."}
    )
    assert response.status_code == 302
    original.refresh_from_db()
    assert original.recalled_at is not None
