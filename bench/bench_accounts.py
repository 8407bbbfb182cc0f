"""Accounts: what sign-in and API-key authentication cost per request."""

from __future__ import annotations

from bench.common import percentile, summary_ms, time_calls


def run(quick: bool) -> str:
    from django.contrib.auth.hashers import Argon2PasswordHasher
    from django.utils import timezone

    from firstline.accounts import apikeys, lockout, services
    from firstline.accounts.models import LoginThrottle, Role, ThrottleKind, User
    from firstline.directory.models import Country, Level, Organisation, Sector

    throttles = 200 if quick else 20_000
    repeat = 50 if quick else 500

    country, _ = Country.objects.get_or_create(code="AL", defaults={"name": "Albania"})
    org, _ = Organisation.objects.get_or_create(
        key="bench-org",
        defaults={
            "name": "Bench",
            "sector": Sector.POLICE,
            "level": Level.NATIONAL,
            "country": country,
        },
    )
    admin, _ = User.objects.get_or_create(
        username="bench-admin",
        defaults={"organisation": org, "role": Role.ORG_ADMIN, "clearance": "RESTRICTED"},
    )
    _, secret = services.create_api_key(
        actor=admin,
        name="bench",
        role=Role.ANALYST,
        clearance="RESTRICTED",
        scopes=["directory.view"],
    )
    now = timezone.now()
    LoginThrottle.objects.bulk_create(
        LoginThrottle(
            kind=ThrottleKind.ADDRESS,
            key=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
            failures=1,
            last_failure_at=now,
        )
        for i in range(throttles)
    )

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("correct horse battery staple", hasher.salt())
    argon = time_calls(
        lambda: hasher.verify("correct horse battery staple", encoded), 5 if quick else 20
    )
    key_auth = time_calls(lambda: apikeys.authenticate(secret), repeat)
    lock_check = time_calls(lambda: lockout.current_lock("someone", "10.0.0.1"), repeat)
    failure = time_calls(
        lambda: services.record_login_failure(
            username="bench-user", address="192.0.2.1", user=None, step="password"
        ),
        repeat // 5,
    )

    def row(name: str, samples: list[float], target_ms: float, floor_ms: float = 0.0) -> str:
        p95 = percentile(samples, 95) * 1000
        met = floor_ms <= p95 <= target_ms
        target = f"p95 {floor_ms:g} to {target_ms:g} ms" if floor_ms else f"p95 ≤ {target_ms:g} ms"
        return f"| {name} | {summary_ms(samples)} | {target} | {'yes' if met else 'NO'} |"

    return "\n".join(
        [
            "## Accounts: sign-in and API-key authentication",
            "",
            f"{throttles} lockout counters in the table; {repeat} calls per figure "
            "(argon2: Django's default parameters, the production hasher).",
            "",
            "| operation | time | target | met |",
            "|---|---|---|---|",
            row("argon2 password check (sign-in)", argon, 1000, 20),
            row("API key authentication (lookup, SHA-256, compare)", key_auth, 5),
            row("lockout check before a sign-in attempt", lock_check, 5),
            row("failed attempt: two counters and an audit entry", failure, 50),
            "",
            "The argon2 check is meant to be slow (it is what makes guessing a stolen password "
            "digest expensive) yet quick enough for a person; an API key needs no such cost, its "
            "secret being 256 random bits.",
        ]
    )
