"""Sending a 2 KB message with two persons to three organisations.

Through the service layer (validate, sign, encrypt, store, log) and through the JSON API (the
whole middleware stack, in process), with the crypto-only rate (canonicalise, sign, encrypt to
three recipients) of the same machine beside it. Target: ≥ 300 messages/s through the service
layer on SQLite.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.common import summary_ms, time_calls

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
    return (
        "## Exchange: sending a message\n\n"
        f"A 2 KB request with two persons to three organisations, SQLite, one process; "
        f"{n} messages through the service layer, {api_n} through the API.\n\n"
        "| path | messages/s | latency | target | met |\n|---|---|---|---|---|\n"
        f"| service layer (validate, sign, encrypt, store, log) | {service_rate:.0f} | {summary_ms(service)} "
        f"| ≥ {TARGET_PER_SECOND}/s | {met} |\n"
        f"| JSON API (session auth, full middleware, in process) | {api_rate:.0f} | {summary_ms(api)} | — | — |\n"
        f"| crypto only (RFC 8785, JWS Ed25519, JWE to 3) | {crypto_rate:.0f} | {summary_ms(crypto)} | — | — |\n"
    )
