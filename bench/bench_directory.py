"""Directory: CSV import and export throughput, and the latency of the directory's pages and API.

The dataset is the demo directory plus synthetic organisations (spread over the six
beneficiaries), one or two people each, and memberships in the national platforms and the
regional networks, imported through the same CSV importer and services as production data.
"""

from __future__ import annotations

import io
import time
from typing import Any

BENEFICIARIES = ("AL", "BA", "XK", "ME", "MK", "RS")
SECTORS = ("police", "education", "social_welfare", "health", "local_government", "civil_society")


def _synthetic_rows(n_orgs: int) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for i in range(n_orgs):
        code = BENEFICIARIES[i % len(BENEFICIARIES)]
        key = f"{code.lower()}-bench-{i:05d}"
        rows.append(
            {
                "record_type": "organisation",
                "key": key,
                "name": f"Benchmark organisation {i:05d}",
                "sector": SECTORS[i % len(SECTORS)],
                "level": "local" if i % 3 else "national",
                "country": code,
                "municipality": f"Town {i % 40}",
            }
        )
        for j in range(1 + i % 2):
            rows.append(
                {
                    "record_type": "person",
                    "key": f"{key}-p{j}",
                    "organisation": key,
                    "given_name": "Bench",
                    "family_name": f"Person {i:05d}-{j}",
                    "role": "Contact (synthetic)",
                    "email": f"bench{i}.{j}@example.org",
                }
            )
        rows.append(
            {
                "record_type": "membership",
                "network": f"{code.lower()}-platform",
                "organisation": key,
                "role": "member",
                "start": "2022-01-01",
            }
        )
        if i % 5 == 0:
            rows.append(
                {
                    "record_type": "membership",
                    "network": "cti",
                    "person": f"{key}-p0",
                    "role": "member",
                }
            )
    return rows


def _signed_in_client(username: str) -> Any:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from firstline.accounts.models import User

    user = User.objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def run(quick: bool) -> str:
    from django.core.management import call_command

    from bench.common import summary_ms, time_calls
    from firstline.directory import csv_io
    from firstline.directory.models import Membership, Organisation, Person
    from firstline.directory.services import ConsoleActor

    actor = ConsoleActor("bench")
    call_command("demo", "--accounts", stdout=io.StringIO())

    n_orgs = 300 if quick else 3000
    buffer = io.StringIO(newline="")
    n_rows = csv_io.write_rows(_synthetic_rows(n_orgs), buffer)
    text = buffer.getvalue()

    started = time.perf_counter()
    dry = csv_io.import_csv(actor, text, dry_run=True)
    dry_s = time.perf_counter() - started
    assert dry.ok, dry.errors[:5]
    started = time.perf_counter()
    report = csv_io.import_csv(actor, text)
    import_s = time.perf_counter() - started
    assert report.ok, report.errors[:5]
    started = time.perf_counter()
    csv_io.import_csv(actor, text)
    reimport_s = time.perf_counter() - started
    started = time.perf_counter()
    exported = csv_io.export_text(actor)
    export_s = time.perf_counter() - started
    total_rows = exported.count("\n") - 1

    client = _signed_in_client("demo-analyst")
    repeat = 20 if quick else 100

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    pages = {
        "organisation list, filtered (country=MK, sector=education)": "/directory/?country=MK&sector=education",
        "organisation list, page 10": "/directory/?page=10",
        "organisation page (al-asp-ctu, 4 people, logged)": "/directory/organisations/al-asp-ctu/",
        "network page (cti)": "/directory/networks/cti/",
        f"stakeholder map of AL ({Organisation.objects.filter(country__code='AL').count()} organisations)": "/directory/countries/AL/map/",
        "API people list, 50 per page (logged)": "/api/v1/directory/people?limit=50",
        "API organisations list, 100 per page": "/api/v1/directory/organisations?limit=100",
    }
    targets = {
        "organisation list": 150,
        "organisation page": 150,
        "network page": 250,
        "stakeholder map": 400,
        "API people": 150,
        "API organisations": 150,
    }
    lines = [
        "## Directory",
        "",
        f"Dataset: the demo directory plus {n_orgs} synthetic organisations → "
        f"{Organisation.objects.count()} organisations, {Person.objects.count()} people, "
        f"{Membership.objects.count()} memberships; the import file has {n_rows} rows, "
        f"the export {total_rows}. SQLite.",
        "",
        "| measure | result | target | met |",
        "|---|---|---|---|",
    ]
    rate = n_rows / import_s
    lines.append(
        f"| import, new rows (one transaction, audited) | {import_s:.1f} s, {rate:.0f} rows/s | ≥ 200 rows/s | {'yes' if rate >= 200 else 'no'} |"
    )
    lines.append(f"| dry run of the same file | {dry_s:.1f} s | — | — |")
    rerate = n_rows / reimport_s
    lines.append(
        f"| re-import, nothing changed | {reimport_s:.1f} s, {rerate:.0f} rows/s | ≥ 400 rows/s | {'yes' if rerate >= 400 else 'no'} |"
    )
    export_rate = total_rows / export_s
    lines.append(
        f"| export (sorted, audited) | {export_s:.2f} s, {export_rate:.0f} rows/s | ≥ 2000 rows/s | {'yes' if export_rate >= 2000 else 'no'} |"
    )
    from bench.common import percentile

    for label, url in pages.items():
        get(url)  # warm up
        samples = time_calls(lambda url=url: get(url), repeat)  # type: ignore[misc]
        target = next((t for k, t in targets.items() if label.startswith(k)), 200)
        p95 = percentile(samples, 95) * 1000
        lines.append(
            f"| {label} | {summary_ms(samples)} | p95 ≤ {target} ms | {'yes' if p95 <= target else 'no'} |"
        )
    return "\n".join(lines) + "\n"
