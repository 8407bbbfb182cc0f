"""The exchange benchmarks' data: organisations with keys, users, the 2 KB message, sessions and
API keys, and the bulk load of up to a million messages (raw SQL) for the inbox and search."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any


def person(name: str) -> dict[str, Any]:
    return {
        "kind": "person",
        "names": [name],
        "aliases": ["Beni"],
        "date_of_birth": "1998-04-02",
        "place_of_birth": "Kukës",
        "nationalities": ["AL"],
        "identity_documents": [
            {"type": "passport", "number": "BA1234567", "issuing_country": "AL"}
        ],
        "category": "person_at_risk",
        "purpose": "prevention of radicalisation",
        "legal_basis": "Law 108/2014 on State Police, Art. 4",
        "review_date": "2027-01-31",
        "retention_end": "2030-01-31",
        "facts": "Travelled to Skopje on 3 March.",
        "assessment": "May be in contact with a recruiter.",
    }


def message_fields() -> dict[str, Any]:
    body = ("Please confirm whether the persons below entered in March. " * 40)[:2048]
    return {
        "recipients": ["rs-moi", "mk-kumanovo", "ba-sipa"],
        "subject": "Travel of two persons at risk",
        "body": body,
        "message_type": "request",
        "urgency": "other",
        "tlp": "AMBER",
        "handling": "H0",
        "classification": "RESTRICTED",
        "evaluation": {"source": "B", "information": "2"},
        "entities": [person("Arben Krasniqi"), person("Besnik Hoxha")],
    }


def setup_organisations() -> Any:
    from firstline.accounts.models import Role, User
    from firstline.directory.models import Country, Level, Organisation, Sector
    from firstline.exchange import keys

    orgs = []
    for code, key, sector in (
        ("AL", "al-asp-ctu", Sector.POLICE),
        ("RS", "rs-moi", Sector.INTERIOR_MINISTRY),
        ("MK", "mk-kumanovo", Sector.LOCAL_GOVERNMENT),
        ("BA", "ba-sipa", Sector.POLICE),
    ):
        country, _ = Country.objects.get_or_create(code=code, defaults={"name": code})
        org, _ = Organisation.objects.get_or_create(
            key=key,
            defaults={"name": key, "sector": sector, "level": Level.NATIONAL, "country": country},
        )
        keys.ensure_keys(org)
        orgs.append(org)
    user, _ = User.objects.get_or_create(
        username="bench-sender",
        defaults={"organisation": orgs[0], "role": Role.ANALYST, "clearance": "RESTRICTED"},
    )
    return user


def session_cookie(user: Any) -> str:
    """A signed-in session that passed the second factor, as its cookie value."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def api_key(user: Any) -> str:
    """An API key of the sender's organisation allowed to send and read messages."""
    from firstline.accounts import apikeys
    from firstline.accounts.models import ApiKey
    from firstline.core import clock

    prefix, secret = apikeys.new_key()
    ApiKey.objects.create(
        organisation_id=user.organisation_id,
        name="bench",
        prefix=prefix,
        secret_hash=apikeys.digest(secret),
        role=user.role,
        clearance=user.clearance,
        scopes=["exchange.add", "exchange.view"],
        created_by=user,
        created_at=clock.now(),
    )
    return secret


def make_reader() -> Any:
    """An analyst of the organisation that receives a third of the bulk-loaded messages."""
    from firstline.accounts.models import Role, User
    from firstline.directory.models import Organisation

    reader, _ = User.objects.get_or_create(
        username="bench-reader",
        defaults={
            "organisation": Organisation.objects.get(key="rs-moi"),
            "role": Role.ANALYST,
            "clearance": "RESTRICTED",
        },
    )
    return reader


WORDS = [f"w{i:05d}" for i in range(20_000)]


LOADED = {"messages": 0, "seconds": 0.0}


def fts_insert_trigger() -> str:
    """The migration's own trigger that indexes each new search row (SQLite)."""
    import importlib

    migration = importlib.import_module("firstline.exchange.migrations.0004_search_index")
    return next(sql for sql in migration.SQLITE_FORWARD if "exchange_search_ai" in sql)


EPOCH = dt.datetime(2025, 1, 1)


def sent_at(i: int) -> str:
    """Bulk message ``i`` was sent 30 s after message ``i - 1`` (all before the real sends)."""
    return (EPOCH + dt.timedelta(seconds=30 * i)).strftime("%Y-%m-%d %H:%M:%S")


def bulk_load(n: int) -> None:
    """Bring the bulk-loaded messages (threads, receipts, search text) up to ``n`` with raw
    inserts: every third to the reader's organisation (rs-moi), the rest to mk-kumanovo."""
    from django.db import connection, transaction

    from firstline.directory.models import Organisation
    from firstline.exchange.models import Message, SearchDocument, Thread

    first = LOADED["messages"]
    if n <= first:
        return
    orgs = {o.key: o.pk for o in Organisation.objects.all()}
    sender, reader_org = orgs["al-asp-ctu"], orgs["rs-moi"]
    rng = random.Random(7 + first)
    start_msg = (Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    start_thread = (Thread.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    start_doc = (
        SearchDocument.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    start_msg, start_thread, start_doc = start_msg - first, start_thread - first, start_doc - first
    loaded = time.perf_counter()
    batch = 20_000
    sqlite = connection.vendor == "sqlite"
    with transaction.atomic(), connection.cursor() as cur:
        if sqlite:  # index the text once at the end, as a restore would, not row by row
            cur.execute("DROP TRIGGER exchange_search_ai")
        for offset in range(first, n, batch):
            rows = range(offset, min(n, offset + batch))
            cur.executemany(
                "INSERT INTO exchange_thread (id, reference, subject, created_at) VALUES (%s, %s, %s, %s)",
                [
                    (start_thread + i, f"BN-{i:09d}", f"subject {i}", "2026-01-01 00:00:00")
                    for i in rows
                ],
            )
            cur.executemany(
                "INSERT INTO exchange_message (id, uuid, thread_id, sender_id, sender_label, originator_id,"
                " message_type, urgency, body, tlp, handling, handling_text, classification,"
                " evaluation_scheme, source_grade, information_grade, has_personal_data, late_reason,"
                " recall_reason, sent_at, envelope, signing_kid, content_sha256)"
                " VALUES (%s, %s, %s, %s, '', %s, 'spontaneous', '', %s, %s, 'H0', '', 'RESTRICTED',"
                " '', '', '', FALSE, '', '', %s, '{}', '', '')",
                [
                    (
                        start_msg + i,
                        f"{start_msg + i:032x}",
                        start_thread + i,
                        sender,
                        sender,
                        "bulk",
                        "AMBER" if i % 10 else "RED",
                        sent_at(i),
                    )
                    for i in rows
                ],
            )
            cur.executemany(
                "INSERT INTO exchange_receipt (message_id, organisation_id, delivered_at, read_by)"
                " VALUES (%s, %s, '2026-01-01 00:00:00', '')",
                # every third message goes to the reader's organisation
                [(start_msg + i, reader_org if i % 3 == 0 else orgs["mk-kumanovo"]) for i in rows],
            )
            cur.executemany(
                "INSERT INTO exchange_searchdocument (id, message_id, text) VALUES (%s, %s, %s)",
                [(start_doc + i, start_msg + i, " ".join(rng.choices(WORDS, k=40))) for i in rows],
            )
        if sqlite:
            cur.execute("INSERT INTO exchange_search_fts(exchange_search_fts) VALUES ('rebuild')")
            cur.execute(fts_insert_trigger())
    LOADED["seconds"] += time.perf_counter() - loaded
    LOADED["messages"] = n
