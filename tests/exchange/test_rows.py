"""rows.insert converts values exactly as the ORM does, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.utils.translation import gettext_lazy

from firstline.directory.models import Organisation
from firstline.exchange import rows
from firstline.exchange.markings import MessageType
from firstline.exchange.models import Entity, Message, Receipt, SearchDocument, Thread

NOW = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)


def _comparable(values: list[Any]) -> list[Any]:
    # psycopg's Jsonb wrapper has no equality: compare its type and content
    return [(type(v), v.obj) if hasattr(v, "obj") else (type(v), v) for v in values]


def _ours(objs: list[Any]) -> list[Any]:
    return _comparable(rows._insert_params(objs, connection))


def _orm_params(objs: list[Any]) -> list[Any]:
    """What the ORM's INSERT would bind: get_db_prep_save(pre_save(obj, add=True))."""
    fields = [f for f in type(objs[0])._meta.concrete_fields if not f.primary_key]
    return _comparable(
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    )


@pytest.fixture
def thread(db: None) -> Thread:
    (thread,) = rows.insert([Thread(reference="AL-2026-000001", subject="s", created_at=NOW)])
    return thread


def _message(thread: Thread, sender: Organisation, **overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "uuid": uuid.uuid4(),
        "thread": thread,
        "sender": sender,
        "sender_label": "al-officer",
        "originator": sender,
        "message_type": MessageType.REQUEST,  # a str subclass: converted, not passed through
        "urgency": "other",
        "body": "Përshëndetje\n\x1f body",
        "tlp": "AMBER",
        "handling": "H0",
        "classification": "RESTRICTED",
        "has_personal_data": True,
        "sent_at": NOW,
        "envelope": {"protected": "e30", "recipients": [{"header": {"kid": "k"}}]},
        "signing_kid": "kid",
        "content_sha256": "0" * 64,
    }
    fields.update(overrides)
    return Message(**fields)


def test_a_message_binds_what_the_orm_binds(thread: Thread, albanian_police: Organisation) -> None:
    message = _message(thread, albanian_police, handling_text=gettext_lazy("Handling code"))
    assert _ours([message]) == _orm_params([message])
    rows.insert([message])
    stored = Message.objects.get(pk=message.pk)
    assert stored.body == message.body
    assert stored.sent_at == NOW
    assert stored.sender_id == albanian_police.pk
    assert stored.handling_text == "Handling code"


def test_rows_sharing_values_bind_what_the_orm_binds(
    thread: Thread,
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
) -> None:
    (message,) = rows.insert([_message(thread, albanian_police)])
    due = NOW + dt.timedelta(days=7)
    receipts = [
        Receipt(message_id=message.pk, organisation_id=org.pk, delivered_at=NOW, due_at=due)
        for org in (serbian_ministry, kumanovo_municipality)
    ]
    receipts.append(Receipt(message=message, organisation=albanian_police, delivered_at=NOW))
    assert _ours(receipts) == _orm_params(receipts)
    rows.insert(receipts)
    assert [r.due_at for r in Receipt.objects.order_by("pk")] == [due, due, None]


def test_entities_and_search_text_bind_what_the_orm_binds(
    thread: Thread, albanian_police: Organisation
) -> None:
    (message,) = rows.insert([_message(thread, albanian_police)])
    entities = [
        Entity(
            message=message,
            position=i,
            kind="person",
            label="Arben",
            data={"names": ["Arben"], "date_of_birth": None},
            category="person_at_risk",
            purpose="prevention",
            legal_basis="Law 108/2014",
            review_date=dt.date(2027, 1, 31),
            retention_end=dt.date(2030, 1, 31),
            special_categories=[],
            facts="",
            assessment="",
        )
        for i in range(2)
    ]
    assert _ours(entities) == _orm_params(entities)
    document = SearchDocument(message=message, text="Arben")
    assert _ours([document]) == _orm_params([document])
