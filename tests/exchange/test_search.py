"""Search: only visible messages, every marking enforced, logged with its justification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client

from firstline.accounts.models import User
from firstline.audit.models import AuditEntry, Operation
from firstline.core.problems import Problem
from firstline.directory.models import Organisation
from firstline.exchange.followup import correct_entity, recall_message
from firstline.exchange.markings import TLP
from firstline.exchange.models import Message
from firstline.exchange.search import Filters, search_messages

from .conftest import add_user, person

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)
WHY = "case AL-17: checking earlier contacts"


def found(actor: object, query: str, **filters: object) -> list[Message]:
    return search_messages(actor, query, justification=WHY, filters=Filters(**filters), now=NOW)  # type: ignore[arg-type]


def test_it_finds_subject_body_and_entity_fields(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    message = send(now=NOW)
    assert found(serbian_analyst, "Krasniqi") == [message]  # a person's name
    assert found(serbian_analyst, "BA1234567") == [message]  # an identity document
    assert found(serbian_analyst, "travel") == [message]  # the subject
    assert found(serbian_analyst, "Serbia March") == [message]  # the body, every word
    assert found(serbian_analyst, "Krasniqi nonexistentword") == []


def test_the_search_is_logged_with_its_justification(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    message = send(now=NOW)
    found(serbian_analyst, "Krasniqi")
    entry = AuditEntry.objects.get(operation=Operation.CONSULT, object_type="exchange.search")
    assert entry.justification == f"search: {WHY}"
    assert entry.object_ids == [str(message.uuid)]
    assert entry.subjects == [f"entity:{message.entities.get().pk}"]
    with pytest.raises(Problem) as exc:
        search_messages(serbian_analyst, "Krasniqi", justification=" ")
    assert exc.value.errors[0]["field"] == "justification"


def test_search_syntax_in_the_query_is_just_words(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    message = send(now=NOW)
    assert found(serbian_analyst, '"Krasniqi"* ^:-(') == [message]
    with pytest.raises(Problem):
        found(serbian_analyst, "***")


def test_other_organisations_find_nothing(
    send: Callable[..., Message], kumanovo_coordinator: User
) -> None:
    send(now=NOW)
    assert found(kumanovo_coordinator, "Krasniqi") == []


@pytest.mark.parametrize("tlp", [t.value for t in TLP])
def test_tlp_is_enforced_in_search(
    send: Callable[..., Message], serbian_ministry: Organisation, serbian_analyst: User, tlp: str
) -> None:
    colleague = add_user(serbian_ministry, "rs-colleague")
    message = send(tlp=tlp, named_users=["rs-analyst"] if tlp == "RED" else [], now=NOW)
    assert found(serbian_analyst, "Krasniqi") == [message]
    assert (found(colleague, "Krasniqi") == [message]) is (tlp != "RED")


@pytest.mark.parametrize("level", ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL"])
def test_classification_is_enforced_in_search(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    level: str,
) -> None:
    sender = add_user(albanian_police, "al-confidential", clearance="CONFIDENTIAL")
    reader = add_user(serbian_ministry, "rs-restricted", clearance="RESTRICTED")
    message = send(actor=sender, classification=level, now=NOW)
    assert (found(reader, "Krasniqi") == [message]) is (level != "CONFIDENTIAL")


def test_filters(send: Callable[..., Message], serbian_analyst: User) -> None:
    request = send(now=NOW)
    warning = send(
        message_type="early_warning",
        urgency="",
        tlp="GREEN",
        entities=[person(category="suspect")],
        now=NOW + dt.timedelta(days=2),
    )
    assert found(serbian_analyst, "Krasniqi", message_type="early_warning") == [warning]
    assert found(serbian_analyst, "Krasniqi", tlp="AMBER") == [request]
    assert found(serbian_analyst, "Krasniqi", category="suspect") == [warning]
    assert found(serbian_analyst, "Krasniqi", thread=request.thread.reference) == [request]
    assert found(serbian_analyst, "Krasniqi", since=dt.date(2026, 3, 21)) == [warning]
    assert found(serbian_analyst, "Krasniqi", until=dt.date(2026, 3, 20)) == [request]
    assert set(found(serbian_analyst, "Krasniqi", organisation="al-asp-ctu")) == {request, warning}
    assert found(serbian_analyst, "Krasniqi", organisation="mk-kumanovo") == []


def test_recalled_and_restricted_data_stops_matching(
    send: Callable[..., Message], albanian_officer: User, serbian_analyst: User
) -> None:
    message = send(now=NOW)
    other = send(entities=[person(names=["Dritan Berisha"])], now=NOW)
    correct_entity(albanian_officer, other.entities.get(), reason="Unlawfully sent.", now=NOW)
    assert found(serbian_analyst, "Berisha") == []
    recall_message(albanian_officer, message, reason="Wrong person.", now=NOW)
    assert found(serbian_analyst, "Krasniqi") == []


def test_search_api_and_page(
    send: Callable[..., Message],
    serbian_analyst: User,
    kumanovo_coordinator: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send(now=NOW)
    client = signed_in(serbian_analyst)
    response = client.get("/api/v1/exchange/search", {"q": "Krasniqi", "justification": WHY})
    assert [m["id"] for m in response.json()] == [str(message.uuid)]
    missing = client.get("/api/v1/exchange/search", {"q": "Krasniqi"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "justification"
    assert (
        signed_in(kumanovo_coordinator)
        .get("/api/v1/exchange/search", {"q": "Krasniqi", "justification": WHY})
        .json()
        == []
    )
    page = client.get("/exchange/search/", {"q": "Krasniqi", "justification": WHY}).content.decode()
    assert message.thread.reference in page
    page = client.get("/exchange/search/", {"q": "Krasniqi"})
    assert "justification" in page.context["form"].errors


def test_it_filters_by_handling_code(send: Callable[..., Message], serbian_analyst: User) -> None:
    plain = send(now=NOW)
    no_onward = send(handling="H2", now=NOW)
    restricted = send(handling="H3", handling_text="Not for the press.", now=NOW)
    assert found(serbian_analyst, "Krasniqi", handling="H0") == [plain]
    assert found(serbian_analyst, "Krasniqi", handling="H2") == [no_onward]
    assert found(serbian_analyst, "Krasniqi", handling="H3") == [restricted]
    assert found(serbian_analyst, "Krasniqi", handling="H1") == []
    with pytest.raises(Problem) as exc:
        found(serbian_analyst, "Krasniqi", handling="H9")
    assert exc.value.errors[0]["field"] == "handling"


def test_it_filters_by_classification_within_the_readers_clearance(
    send: Callable[..., Message], albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    sender = add_user(albanian_police, "al-confidential", clearance="CONFIDENTIAL")
    by_level = {
        level: send(actor=sender, classification=level, now=NOW)
        for level in ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL")
    }
    cleared = add_user(serbian_ministry, "rs-confidential", clearance="CONFIDENTIAL")
    restricted = add_user(serbian_ministry, "rs-restricted", clearance="RESTRICTED")
    for level, message in by_level.items():
        assert found(cleared, "Krasniqi", classification=level) == [message]
    assert found(restricted, "Krasniqi", classification="RESTRICTED") == [by_level["RESTRICTED"]]
    # asking for a level above the clearance finds nothing; it does not widen what is seen
    assert found(restricted, "Krasniqi", classification="CONFIDENTIAL") == []
    with pytest.raises(Problem) as exc:
        found(cleared, "Krasniqi", classification="TOP SECRET")
    assert exc.value.errors[0]["field"] == "classification"


def test_the_api_and_the_page_filter_by_handling_and_classification(
    send: Callable[..., Message],
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    signed_in: Callable[[User], Client],
) -> None:
    sender = add_user(albanian_police, "al-confidential", clearance="CONFIDENTIAL")
    wanted = send(actor=sender, handling="H1", classification="UNCLASSIFIED", now=NOW)
    send(actor=sender, handling="H1", classification="RESTRICTED", now=NOW)
    send(actor=sender, handling="H0", classification="UNCLASSIFIED", now=NOW)
    secret = send(actor=sender, handling="H1", classification="CONFIDENTIAL", now=NOW)
    reader = add_user(serbian_ministry, "rs-restricted", clearance="RESTRICTED")
    client = signed_in(reader)
    query = {"q": "Krasniqi", "justification": WHY, "handling": "H1"}

    api = client.get("/api/v1/exchange/search", query | {"classification": "UNCLASSIFIED"})
    assert [m["id"] for m in api.json()] == [str(wanted.uuid)]
    above = client.get("/api/v1/exchange/search", query | {"classification": "CONFIDENTIAL"})
    assert above.status_code == 200 and above.json() == []
    bad = client.get("/api/v1/exchange/search", query | {"handling": "H7"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "handling"

    page = client.get("/exchange/search/", query | {"classification": "UNCLASSIFIED"})
    assert [m.uuid for m in page.context["results"]] == [wanted.uuid]
    offered = [value for value, _ in page.context["form"].fields["classification"].choices]
    assert offered == ["", "UNCLASSIFIED", "RESTRICTED"]  # no level above the clearance
    refused = client.get("/exchange/search/", query | {"classification": "CONFIDENTIAL"})
    assert "classification" in refused.context["form"].errors
    assert secret.thread.reference not in refused.content.decode()


def test_a_threads_subject_is_found_in_the_message_that_opened_it_only(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    opener = send(now=NOW)
    later = send(
        thread=opener.thread.reference,
        body="The person was seen again in Preševo.",
        entities=[],
        evaluation=None,
        message_type="spontaneous",
        urgency="",
        now=NOW,
    )
    assert found(serbian_analyst, "travel") == [opener]  # a word of the subject
    assert found(serbian_analyst, "Preševo") == [later]


def test_the_migration_takes_the_subject_off_later_messages_search_text(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    """0009: search text written before it began with the thread's subject on every message."""
    import importlib

    from django.apps import apps

    from firstline.exchange.models import SearchDocument

    migration = importlib.import_module(
        "firstline.exchange.migrations.0009_search_subject_in_first_message_only"
    )
    opener = send(now=NOW)
    later = send(thread=opener.thread.reference, body="Seen again in Preševo.", now=NOW)
    subject = opener.thread.subject
    SearchDocument.objects.filter(message=later).update(text=f"{subject}\nSeen again in Preševo.")
    assert found(serbian_analyst, "travel") == [later, opener]  # as before the fix

    migration.forward(apps, None)
    assert SearchDocument.objects.get(message=later).text.startswith("Seen again in Preševo.")
    assert SearchDocument.objects.get(message=opener).text.startswith(subject)
    assert found(serbian_analyst, "travel") == [opener]

    migration.backward(apps, None)
    assert SearchDocument.objects.get(message=later).text.startswith(f"{subject}\nSeen again")
