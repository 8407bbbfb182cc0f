"""Exchange benchmarks.

1. Sending a 2 KB message with two persons to three organisations, through the service layer
   (validate, sign, encrypt, store, index, log), through the JSON API in process and through
   the JSON API over real HTTP (gunicorn, ``firstline serve``, API key), with the crypto-only
   rate of the same machine beside it. Target: ≥ 300 messages/s through the service layer on
   SQLite.
2. The inbox page (HTML, signed-in session) with 100,000 messages under 32 concurrent clients
   over real HTTP: p99 (target < 150 ms).
3. Search p95 over N messages (target < 50 ms at 1 million) and the index size.
4. Upload of a large attachment: throughput and peak resident memory (target < 100 MB).

The HTTP figures come from a real ``firstline serve --no-worker --workers 2`` started as a
subprocess on the bench database file; the load generator (Python threads, ``http.client``,
or for the inbox the request's bytes built once and the response read off the socket) runs on
the same two cores, over loopback, bounded in request count and in time. The inbox section
also prints the CPU time the server and the load generator spent per request, which holds
when the machine is shared and its latencies do not.

``FIRSTLINE_BENCH_EXCHANGE=inbox python -m bench exchange [--quick]`` runs only the inbox part.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import BENCH_DIR, percentile, summary_ms, time_calls

TARGET_PER_SECOND = 300
INBOX_TARGET_S = 0.150
INBOX_CLIENTS = 32


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


def _session_cookie(user: Any) -> str:
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


def _api_key(user: Any) -> str:
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SERVED = {"pid": 0}


def _tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of ``root`` and all its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # a process that just ended
    return total


@contextmanager
def _server(workers: int = 2) -> Iterator[int]:
    """``firstline serve --no-worker`` (gunicorn) on the bench database; yields its port."""
    from django.conf import settings
    from django.db import connection

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRSTLINE_")}
    env.update(
        FIRSTLINE_MODE="test",
        FIRSTLINE_SQLITE_PATH=str(connection.settings_dict["NAME"]),
        FIRSTLINE_MASTER_KEY=settings.MASTER_KEY,  # the keys were wrapped under this one
        FIRSTLINE_VAR_DIR=str(BENCH_DIR),
        FIRSTLINE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    log = BENCH_DIR / "exchange-serve.log"
    argv = [sys.executable, "-m", "firstline.cli", "serve", "--no-worker"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    _SERVED["pid"] = process.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"firstline serve exited: {log.read_text()[-2000:]}")
            try:
                status, _ = _request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("firstline serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _raw_bytes(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str] | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def _raw_request(port: int, request: bytes) -> int:
    """Send ``request`` on a new connection and read the response to its end (the server
    closes the connection); its status, or 0 when the response is cut short."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        while chunk := sock.recv(262144):
            chunks.append(chunk)
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    length = _CONTENT_LENGTH.search(head)
    if not separator or not head.startswith(b"HTTP/1.") or length is None:
        return 0
    return int(head[9:12]) if int(length.group(1)) == len(body) else 0


def _load(
    port: int,
    method: str,
    path: str,
    *,
    clients: int,
    total: int,
    seconds: float,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
    raw: bool = False,
) -> tuple[list[float], float, int]:
    """``clients`` threads, each a new connection per request (gunicorn's sync workers close
    them), until ``total`` requests are done or ``seconds`` have passed. ``raw``: the request's
    bytes are built once and the response read off the socket (:func:`_raw_request`), so the
    load generator takes less of the CPU the server runs on.

    Returns the latencies of the successful requests, the elapsed time and the failures."""
    prepared = _raw_bytes(port, method, path, body, headers) if raw else b""
    latencies: list[float] = []
    failures = [0]
    left = [total]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            started = time.perf_counter()
            try:
                if raw:
                    status = _raw_request(port, prepared)
                else:
                    status, _ = _request(port, method, path, body, headers)
            except OSError:
                status = 0
            took = time.perf_counter() - started
            with lock:
                if status == expect:
                    latencies.append(took)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, failures[0]


def _load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def run(quick: bool) -> str:
    from django.conf import settings
    from django.test import Client

    from firstline.exchange import envelope
    from firstline.exchange.models import KeyUse, OrganisationKey
    from firstline.exchange.services import send_message

    if os.environ.get("FIRSTLINE_BENCH_EXCHANGE") == "inbox":
        return run_inbox(quick)
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
    load_before = _load_average()
    # five rounds: this machine's speed for the same code varies by a tenth from one round to
    # the next (measured), so the figure is the median round's rate, with the range beside it
    service: list[float] = []
    round_rates = []
    for _ in range(5):
        started = time.perf_counter()
        service += time_calls(lambda: send_message(user, **fields), n // 5)
        round_rates.append((n // 5) / (time.perf_counter() - started))
    service_rate = statistics.median(round_rates)

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = _session_cookie(user)
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

    inbox_n = 5_000 if quick else 100_000
    search_n = 20_000 if quick else 1_000_000
    reader = _reader()
    _bulk_load(inbox_n)
    with _server() as port:
        http_n = 40 if quick else 400
        secret = _api_key(user)
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        body = payload.encode()
        _request(port, "POST", "/api/v1/exchange/messages", body, headers)  # warm up
        http_lat, http_s, http_fail = _load(
            port,
            "POST",
            "/api/v1/exchange/messages",
            clients=2,
            total=http_n,
            seconds=120,
            body=body,
            headers=headers,
            expect=201,
        )
        http_rate = len(http_lat) / http_s
        inbox_section = _bench_inbox(port, reader, inbox_n, quick)
    search_section = _bench_search(reader, search_n)
    upload_section = _bench_upload(user, (64 if quick else 1024) * 1024 * 1024)

    met = "yes" if service_rate >= TARGET_PER_SECOND else "no"
    return (
        "## Exchange: sending a message\n\n"
        f"A 2 KB request with two persons to three organisations, SQLite; {n} messages through "
        f"the service layer (one process), {api_n} through the API in process, {len(http_lat)} "
        f"through the API over HTTP (gunicorn, 2 sync workers, 2 client threads, API key"
        f"{f', {http_fail} failed' if http_fail else ''}). Load average (1 / 5 min) before the "
        f"service-layer run: {load_before}.\n\n"
        "| path | messages/s | latency | target | met |\n|---|---|---|---|---|\n"
        f"| service layer (validate, sign, encrypt, store, log, index) | {service_rate:.0f} "
        f"(median of 5 rounds; {min(round_rates):.0f} to {max(round_rates):.0f}) "
        f"| {summary_ms(service)} | ≥ {TARGET_PER_SECOND}/s | {met} |\n"
        f"| JSON API (session auth, full middleware, in process) | {api_rate:.0f} | {summary_ms(api)} | — | — |\n"
        f"| JSON API over HTTP (gunicorn, API key) | {http_rate:.0f} | {summary_ms(http_lat)} | — | — |\n"
        f"| crypto only (RFC 8785, JWS Ed25519, JWE to 3) | {crypto_rate:.0f} | {summary_ms(crypto)} | — | — |\n"
        + inbox_section
        + search_section
        + upload_section
    )


def run_inbox(quick: bool) -> str:
    """Only the inbox figure (``FIRSTLINE_BENCH_EXCHANGE=inbox python -m bench exchange``):
    the same bulk-loaded messages and server as the full run, without the sends before it
    (so a few hundred fewer messages in the inbox) and without the search and upload runs.
    The section it writes replaces the whole exchange section: for measuring, not for
    docs/benchmarks.md."""
    from firstline.exchange.services import send_message

    user = _setup()
    for _ in range(10):  # a few real messages, with receipts, deadlines and envelopes
        send_message(user, **_fields())
    inbox_n = 5_000 if quick else 100_000
    reader = _reader()
    _bulk_load(inbox_n)
    with _server() as port:
        return "## Exchange: the inbox page only\n" + _bench_inbox(port, reader, inbox_n, quick)


def _reader() -> Any:
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


def _bench_inbox(port: int, reader: Any, n: int, quick: bool) -> str:
    """The inbox page under ``INBOX_CLIENTS`` concurrent clients, over HTTP.

    Beside the latencies: the CPU time the server (gunicorn and its workers) and the load
    generator (this process) spent per request, which says what the machine can serve when
    it is not shared, whatever else runs on it now."""
    from django.conf import settings

    from firstline.exchange.models import Receipt

    in_inbox = Receipt.objects.filter(organisation=reader.organisation).count()
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={_session_cookie(reader)}"}
    status, page = _request(port, "GET", "/exchange/", headers=headers)
    assert status == 200, (status, page[:500])
    assert page.count(b"<tr") == 51, "the first page shows 50 messages"  # and the header row
    total = INBOX_CLIENTS * (3 if quick else 20)
    # warm up both workers under the same load (their caches, connections and allocator), not
    # counted: the first loaded round after a start measured twice the p99 of the next ones
    _load(port, "GET", "/exchange/", clients=INBOX_CLIENTS, total=total, seconds=60,
          headers=headers, raw=True)  # fmt: skip
    load_before = _load_average()
    # five rounds: on this machine the same code's CPU time per request varies by half from one
    # round to the next (measured), so the figure is the median round, with every round listed
    rounds = []
    for _ in range(1 if quick else 5):
        server_cpu = _tree_cpu_seconds(_SERVED["pid"])
        client_cpu = time.process_time()
        latencies, elapsed, failures = _load(
            port,
            "GET",
            "/exchange/",
            clients=INBOX_CLIENTS,
            total=total,
            seconds=60 if quick else 180,
            headers=headers,
            raw=True,
        )
        done = len(latencies) + failures
        rounds.append(
            {
                "latencies": latencies,
                "p99": percentile(latencies, 99),
                "rate": len(latencies) / elapsed,
                "failures": failures,
                "server_ms": (_tree_cpu_seconds(_SERVED["pid"]) - server_cpu) / done * 1000,
                "client_ms": (time.process_time() - client_cpu) / done * 1000,
            }
        )
    middle = sorted(rounds, key=lambda r: r["p99"])[len(rounds) // 2]
    p99 = middle["p99"]
    failures = sum(r["failures"] for r in rounds)
    met = "yes" if p99 < INBOX_TARGET_S and n >= 100_000 else ("—" if n < 100_000 else "no")
    every = ", ".join(f"{r['p99'] * 1000:.0f}" for r in rounds)
    return (
        f"\nInbox page (HTML, first page of 50, signed-in session) with {n:,} messages on the "
        f"node, {in_inbox:,} of them in the reader's inbox; {INBOX_CLIENTS} concurrent clients, "
        f"{len(rounds)} rounds of {total} requests after one uncounted warm-up round "
        f"({middle['rate']:.0f}/s in the median round"
        f"{f', {failures} failed' if failures else ''}); gunicorn with 2 sync workers, so "
        f"requests queue: latency includes the wait. Load average before: {load_before}.\n\n"
        "| figure | value | target | met |\n|---|---|---|---|\n"
        f"| inbox page latency, median round | {summary_ms(middle['latencies'])} "
        f"| p99 < 150 ms at 100,000 | {met} |\n"
        f"| p99 of each round | {every} ms | — | — |\n"
        f"| all rounds together | {summary_ms([x for r in rounds for x in r['latencies']])} "
        "| — | — |\n"
        f"| CPU per request in the median round: server (gunicorn + workers) "
        f"| {middle['server_ms']:.2f} ms | — | — |\n"
        f"| CPU per request in the median round: load generator "
        f"| {middle['client_ms']:.2f} ms | — | — |\n"
    )


WORDS = [f"w{i:05d}" for i in range(20_000)]


_LOADED = {"messages": 0, "seconds": 0.0}


def _fts_insert_trigger() -> str:
    """The migration's own trigger that indexes each new search row (SQLite)."""
    import importlib

    migration = importlib.import_module("firstline.exchange.migrations.0004_search_index")
    return next(sql for sql in migration.SQLITE_FORWARD if "exchange_search_ai" in sql)


_EPOCH = dt.datetime(2025, 1, 1)


def _sent_at(i: int) -> str:
    """Bulk message ``i`` was sent 30 s after message ``i - 1`` (all before the real sends)."""
    return (_EPOCH + dt.timedelta(seconds=30 * i)).strftime("%Y-%m-%d %H:%M:%S")


def _bulk_load(n: int) -> None:
    """Bring the bulk-loaded messages (threads, receipts, search text) up to ``n`` with raw
    inserts: every third to the reader's organisation (rs-moi), the rest to mk-kumanovo."""
    from django.db import connection, transaction

    from firstline.directory.models import Organisation
    from firstline.exchange.models import Message, SearchDocument, Thread

    first = _LOADED["messages"]
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
                        _sent_at(i),
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
            cur.execute(_fts_insert_trigger())
    _LOADED["seconds"] += time.perf_counter() - loaded
    _LOADED["messages"] = n


def _bench_search(reader: Any, n: int) -> str:
    """Bulk-load up to ``n`` messages, then search as ``reader``."""
    from django.db import connection

    from firstline.exchange.search import search_messages

    _bulk_load(n)
    load_s = _LOADED["seconds"]
    rng = random.Random(11)
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


def _status_kib(pid: int, field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/<pid>/status, in KiB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gunicorn_worker() -> int:
    """The pid of the one gunicorn worker among this process's descendants."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    workers = [
        pid
        for pid, parent in parents.items()
        if "gunicorn" in commands.get(pid, "")
        and "gunicorn" in commands.get(parent, "")
        and descends(pid)
    ]
    if len(workers) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {workers}")
    return workers[0]


def _stream_request(port: int, path: str, size: int, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST ``size`` generated bytes as the raw body, 1 MiB at a time (never whole in memory)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.putrequest("POST", path)
        for name, value in {**headers, "Content-Length": str(size)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        source = _Zeros(size)
        while chunk := source.read(1024 * 1024):
            conn.send(chunk)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _stream_multipart(
    port: int, path: str, fields: dict[str, str], size: int, headers: dict[str, str]
) -> tuple[int, bytes]:
    """POST a form with one file of ``size`` generated bytes as multipart/form-data, streamed."""
    boundary = "----firstline-bench-7d3f"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; '
        'filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.putrequest("POST", path)
        length = len(head) + size + len(tail)
        content_type = f"multipart/form-data; boundary={boundary}"
        for name, value in {
            **headers,
            "Content-Type": content_type,
            "Content-Length": str(length),
        }.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(head)
        source = _Zeros(size)
        while chunk := source.read(1024 * 1024):
            conn.send(chunk)
        conn.send(tail)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _stream_download(port: int, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """GET ``path``, reading the body 1 MiB at a time: (status, bytes received)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        received = 0
        while chunk := response.read(1024 * 1024):
            received += len(chunk)
        return response.status, received
    finally:
        conn.close()


class _Sampler:
    """Samples a process's resident memory every 10 ms in a thread; ``peak`` in KiB."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = _status_kib(pid, "VmRSS")
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _status_kib(self.pid, "VmRSS"))
            time.sleep(0.01)

    def __enter__(self) -> _Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def _bench_upload(user: Any, size: int) -> str:
    """A ``size``-byte attachment through the HTTP API of one gunicorn worker: upload, send,
    download; the worker's resident memory (sampled, and the kernel's high-water mark)."""
    # on a busy machine 1 GiB may take longer than gunicorn's default 30 s worker timeout
    # (in production nginx buffers the upload and passes it on at local speed)
    saved = os.environ.get("GUNICORN_CMD_ARGS")
    os.environ["GUNICORN_CMD_ARGS"] = f"{saved or ''} --timeout=300".strip()
    try:
        return _measure_upload(user, size)
    finally:
        if saved is None:
            os.environ.pop("GUNICORN_CMD_ARGS", None)
        else:
            os.environ["GUNICORN_CMD_ARGS"] = saved


def _measure_upload(user: Any, size: int) -> str:
    from firstline.exchange.models import Attachment

    mib = size / 1024 / 1024
    secret = _api_key(user)
    auth = {"Authorization": f"Bearer {secret}"}
    upload_path = "/api/v1/exchange/attachments?name=bench.bin"
    octets = {**auth, "Content-Type": "application/octet-stream"}
    with _server(workers=1) as port:
        worker = _gunicorn_worker()
        # warm up the path (imports, connections) with a small file, sent and downloaded
        status, body = _stream_request(port, upload_path, 1024, octets)
        assert status == 201, body
        small = json.loads(body)["id"]
        message = {**_fields(), "attachments": [small]}
        headers = {**auth, "Content-Type": "application/json"}
        status, body = _request(
            port, "POST", "/api/v1/exchange/messages", json.dumps(message).encode(), headers
        )
        assert status == 201, body
        _stream_download(
            port, f"/api/v1/exchange/messages/{json.loads(body)['id']}/attachments/{small}", auth
        )
        idle = _status_kib(worker, "VmRSS")
        load = _load_average()

        with _Sampler(worker) as during_upload:
            cpu = _cpu_seconds(worker)
            started = time.perf_counter()
            status, body = _stream_request(port, upload_path, size, octets)
            upload_s = time.perf_counter() - started
            upload_cpu = _cpu_seconds(worker) - cpu
        assert status == 201, body
        big = json.loads(body)["id"]
        message = {**_fields(), "attachments": [big]}
        status, body = _request(
            port, "POST", "/api/v1/exchange/messages", json.dumps(message).encode(), headers
        )
        assert status == 201, body
        url = f"/api/v1/exchange/messages/{json.loads(body)['id']}/attachments/{big}"
        with _Sampler(worker) as during_download:
            cpu = _cpu_seconds(worker)
            started = time.perf_counter()
            status, received = _stream_download(port, url, auth)
            download_s = time.perf_counter() - started
            download_cpu = _cpu_seconds(worker) - cpu
        assert status == 200 and received == size, (status, received)
        # the compose page: a multipart form with the file, signed-in session, CSRF token
        from django.conf import settings

        token = "b" * 32  # an unmasked CSRF secret, sent as cookie and as form field
        page_headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={_session_cookie(user)}; "
            f"{settings.CSRF_COOKIE_NAME}={token}"
        }
        form = {
            "csrfmiddlewaretoken": token,
            "recipients": "rs-moi",
            "message_type": "spontaneous",
            "subject": "A large file",
            "body": "The recording, as discussed.",
            "tlp": "AMBER",
            "handling": "H0",
            "classification": "RESTRICTED",
            "person-TOTAL_FORMS": "0",
            "person-INITIAL_FORMS": "0",
            "entity-TOTAL_FORMS": "0",
            "entity-INITIAL_FORMS": "0",
            "send": "1",
        }
        with _Sampler(worker) as during_page:
            cpu = _cpu_seconds(worker)
            started = time.perf_counter()
            status, body = _stream_multipart(port, "/exchange/compose/", form, size, page_headers)
            page_s = time.perf_counter() - started
            page_cpu = _cpu_seconds(worker) - cpu
        assert status == 302, (status, body[-2000:])
        high_water = _status_kib(worker, "VmHWM")
    for stored in Attachment.objects.filter(size=size):  # 1 GiB files of bench data
        (BENCH_DIR / "media" / stored.path).unlink(missing_ok=True)  # the server's MEDIA_ROOT
    met = "yes" if high_water * 1024 < 100_000_000 else "no"
    return (
        f"\nAttachment of {mib:.0f} MiB through the HTTP API (API key) of one gunicorn sync "
        "worker (`firstline serve --no-worker --workers 1`), encrypted to disk in 1 MiB "
        "AES-256-GCM chunks as the body arrives, then sent with a message and downloaded "
        "(decrypted as it streams out); then the same size through the compose page as a "
        "multipart form (signed-in session), encrypted as it arrives. Resident memory of the "
        "worker process, sampled every 10 ms, and its high-water mark (VmHWM) read from /proc "
        f"at the end. Load average "
        f"(1 / 5 min) before the upload: {load}.\n\n"
        "| figure | value | target | met |\n|---|---|---|---|\n"
        f"| upload over HTTP (receive, encrypt, write) | {mib / upload_s:.0f} MiB/s; worker CPU "
        f"{upload_cpu / mib * 1024:.1f} s per GiB | — | — |\n"
        f"| download over HTTP (read, decrypt, send) | {mib / download_s:.0f} MiB/s; worker CPU "
        f"{download_cpu / mib * 1024:.1f} s per GiB | — | — |\n"
        f"| compose page, multipart form (receive, parse, encrypt, write, send) | "
        f"{mib / page_s:.0f} MiB/s; worker CPU {page_cpu / mib * 1024:.1f} s per GiB | — | — |\n"
        f"| worker resident memory, idle after warm-up | {idle / 1024:.0f} MiB | — | — |\n"
        f"| worker peak during the API upload / the download / the page upload | "
        f"{during_upload.peak / 1024:.0f} / {during_download.peak / 1024:.0f} / "
        f"{during_page.peak / 1024:.0f} MiB | — | — |\n"
        f"| worker high-water mark (VmHWM, whole life) | {high_water / 1024:.0f} MiB "
        f"({high_water * 1024 / 1e6:.0f} MB) | < 100 MB | {met} |\n"
    )
