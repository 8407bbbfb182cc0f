"""Exchange benchmarks.

1. Sending a 2 KB message with two persons to three organisations, through the service layer
   (validate, sign, encrypt, store, index, log) and through the JSON API (the whole middleware
   stack, in process), with the crypto-only rate of the same machine beside it.
   Target: ≥ 300 messages/s through the service layer on SQLite.
2. Search p95 over N messages (target < 50 ms at 1 million) and the index size.
3. Upload of a large attachment: throughput and peak resident memory (target < 100 MB).
"""

from __future__ import annotations

import io
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, summary_ms, time_calls

TARGET_PER_SECOND = 300


def _person(name: str) -> dict[str, Any]:
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


def _fields() -> dict[str, Any]:
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
        "entities": [_person("Arben Krasniqi"), _person("Besnik Hoxha")],
    }


def _setup() -> Any:
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


def run(quick: bool) -> str:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from firstline.exchange import envelope
    from firstline.exchange.models import KeyUse, OrganisationKey
    from firstline.exchange.services import send_message

    n = 100 if quick else 2000
    user = _setup()
    fields = _fields()

    # crypto only: canonicalise, sign, encrypt to the three recipients
    signing = OrganisationKey.objects.get(organisation=user.organisation, use=KeyUse.SIGN)
    recipients = list(
        OrganisationKey.objects.filter(
            organisation__key__in=fields["recipients"], use=KeyUse.ENCRYPT, retired_at=None
        )
    )
    document = {**fields, "id": "x", "sent_at": "2026-03-20T09:00:00Z"}
    crypto = time_calls(lambda: envelope.seal(document, signing, recipients), n)
    crypto_rate = n / sum(crypto)

    for _ in range(10):  # warm up caches and the connection
        send_message(user, **fields)
    started = time.perf_counter()
    service = time_calls(lambda: send_message(user, **fields), n)
    service_rate = n / (time.perf_counter() - started)

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    payload = json.dumps(fields)
    api_n = max(20, n // 4)

    def post() -> None:
        response = client.post(
            "/api/v1/exchange/messages", payload, content_type="application/json"
        )
        assert response.status_code == 201, response.content

    started = time.perf_counter()
    api = time_calls(post, api_n)
    api_rate = api_n / (time.perf_counter() - started)

    met = "yes" if service_rate >= TARGET_PER_SECOND else "no"
    search_section = _bench_search(user, 20_000 if quick else 1_000_000)
    upload_section = _bench_upload(user, (64 if quick else 1024) * 1024 * 1024)
    return (
        "## Exchange: sending a message\n\n"
        f"A 2 KB request with two persons to three organisations, SQLite, one process; "
        f"{n} messages through the service layer, {api_n} through the API.\n\n"
        "| path | messages/s | latency | target | met |\n|---|---|---|---|---|\n"
        f"| service layer (validate, sign, encrypt, store, log) | {service_rate:.0f} | {summary_ms(service)} "
        f"| ≥ {TARGET_PER_SECOND}/s | {met} |\n"
        f"| JSON API (session auth, full middleware, in process) | {api_rate:.0f} | {summary_ms(api)} | — | — |\n"
        f"| crypto only (RFC 8785, JWS Ed25519, JWE to 3) | {crypto_rate:.0f} | {summary_ms(crypto)} | — | — |\n"
        + search_section
        + upload_section
    )


WORDS = [f"w{i:05d}" for i in range(20_000)]


def _bench_search(user: Any, n: int) -> str:
    """Bulk-load ``n`` messages (threads, receipts, search text) with raw inserts, then search."""
    from django.db import connection, transaction

    from firstline.directory.models import Organisation
    from firstline.exchange.models import Message, SearchDocument, Thread
    from firstline.exchange.search import search_messages

    orgs = {o.key: o.pk for o in Organisation.objects.all()}
    sender, reader_org = orgs["al-asp-ctu"], orgs["rs-moi"]
    rng = random.Random(7)
    start_msg = (Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    start_thread = (Thread.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    start_doc = (
        SearchDocument.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    loaded = time.perf_counter()
    batch = 20_000
    with transaction.atomic(), connection.cursor() as cur:
        for offset in range(0, n, batch):
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
                " '', '', '', 0, '', '', %s, '{}', '', '')",
                [
                    (
                        start_msg + i,
                        f"{start_msg + i:032x}",
                        start_thread + i,
                        sender,
                        sender,
                        "bulk",
                        "AMBER" if i % 10 else "RED",
                        f"2026-01-01 00:{i % 60:02d}:00",
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
    load_s = time.perf_counter() - loaded
    from firstline.accounts.models import Role, User

    reader, _ = User.objects.get_or_create(
        username="bench-reader",
        defaults={"organisation_id": reader_org, "role": Role.ANALYST, "clearance": "RESTRICTED"},
    )
    queries = [" ".join(rng.choices(WORDS, k=2)) for _ in range(50)] + rng.choices(WORDS, k=50)
    samples = []
    for q in queries:
        started = time.perf_counter()
        search_messages(reader, q, justification="benchmark")
        samples.append(time.perf_counter() - started)
    p95 = percentile(samples, 95)
    size = ""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            try:
                cur.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'exchange_search_fts%%'"
                )
                size = f"{(cur.fetchone()[0] or 0) / 1024 / 1024:.0f} MiB"
            except Exception:  # dbstat is an optional SQLite module
                size = "n/a"
    target_met = "yes" if p95 < 0.050 and n >= 1_000_000 else ("—" if n < 1_000_000 else "no")
    return (
        f"\nSearch over {n:,} messages (40 random words each, loaded in {load_s:.0f} s), "
        "as a reader whose organisation received a third of them; 100 queries of one or two "
        "words, through the policy and the consultation log.\n\n"
        "| figure | value | target | met |\n|---|---|---|---|\n"
        f"| search latency | {summary_ms(samples)} | p95 < 50 ms at 1 M | {target_met} |\n"
        f"| full-text index size | {size} | — | — |\n"
    )


class _Zeros(io.RawIOBase):
    """A stream of ``size`` bytes produced on the fly (the source is never in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = bytes(range(256)) * 4096

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return (self.block * (n // len(self.block) + 1))[:n]


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _bench_upload(user: Any, size: int) -> str:
    from firstline.exchange import attachments

    peak = [_rss_mib()]
    before = peak[0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    stored = attachments.store_upload(user, _Zeros(size), name="bench.bin")
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    read = sum(len(c) for c in attachments.read_plaintext(stored))
    download_s = time.perf_counter() - started
    done.set()
    sampler.join()
    assert read == size
    attachments.discard(stored)  # never sent: removes the file
    mib = size / 1024 / 1024
    growth = peak[0] - before
    return (
        f"\nAttachment of {mib:.0f} MiB, encrypted to disk in 1 MiB AES-256-GCM chunks.\n\n"
        "| figure | value | target | met |\n|---|---|---|---|\n"
        f"| upload (encrypt + write) | {mib / upload_s:.0f} MiB/s | — | — |\n"
        f"| download (read + decrypt) | {mib / download_s:.0f} MiB/s | — | — |\n"
        f"| peak resident memory during both | {peak[0]:.0f} MiB (+{growth:.0f} MiB) "
        f"| < 100 MB | {'yes' if peak[0] < 100 else 'no (process total; see growth)'} |\n"
    )
