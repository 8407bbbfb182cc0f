"""Every write of the accounts domain: sign-in outcomes, second factors, API keys, access.

Each function validates, writes inside one transaction and writes its audit entry in that same
transaction, so an access or a change is never recorded without happening, nor the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from firstline import policy
from firstline.accounts import apikeys, lockout
from firstline.accounts.models import ApiKey, LoginThrottle, Role, ThrottleKind, User
from firstline.accounts.policy import grantable_roles, is_person
from firstline.audit.log import record
from firstline.audit.models import Operation
from firstline.core import clock
from firstline.core.problems import Problem
from firstline.directory.models import Organisation

RECOVERY_CODE_COUNT = 10
ACCESS_FIELDS = ("role", "clearance", "organisation_id", "is_active", "is_staff")


@dataclass(frozen=True)
class SystemActor:
    """An operator at the console (``firstline createuser``): named in the audit log."""

    label: str
    is_authenticated: bool = True
    organisation_id: None = None
    role: str = Role.NODE_ADMIN

    @property
    def actor_label(self) -> str:
        return self.label


# --- sign-in -----------------------------------------------------------------------------------


def record_login_failure(
    *,
    username: str,
    address: str,
    user: User | None,
    step: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> lockout.Lock | None:
    """Count a failed attempt (``step`` is ``"password"`` or ``"second_factor"``) against the
    username and the address, and audit it. Returns the lock now in force, if any.

    The counters are read with a row lock so that concurrent failures each count: a burst of
    parallel guesses must not slip through as one.
    """
    at = now or clock.now()
    with transaction.atomic():
        for kind, key in (
            (ThrottleKind.USERNAME, lockout.username_key(username)),
            (ThrottleKind.ADDRESS, address[:190]),
        ):
            if not key:
                continue
            row, created = LoginThrottle.objects.select_for_update().get_or_create(
                kind=kind, key=key, defaults={"last_failure_at": at}
            )
            quiet = not created and at - row.last_failure_at > lockout.FORGET_AFTER
            unlocked = row.locked_until is None or row.locked_until <= at
            if quiet and unlocked:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = at
            seconds = lockout.lock_seconds(kind, row.failures)
            if seconds:
                row.locked_until = at + dt.timedelta(seconds=seconds)
            row.save()
        # The attempted username is not logged: people type their password into that field.
        record(
            actor=None,
            operation=Operation.LOGIN_FAILED,
            object_type="accounts.user",
            object_ids=[user.pk] if user is not None else [],
            subjects=[user] if user is not None else [],
            request=request,
            outcome=f"failed:{step}",
            now=at,
        )
    return lockout.current_lock(username, address, at)


def record_login(
    *, user: User, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> None:
    """A full sign-in (both factors, or a demo account in demo mode): clear the username's
    failures and audit the login. The address counter is left alone: one valid account must
    not let a sprayer reset the counter of the address they spray from."""
    at = now or clock.now()
    with transaction.atomic():
        LoginThrottle.objects.filter(
            kind=ThrottleKind.USERNAME, key=lockout.username_key(user.get_username())
        ).delete()
        record(
            actor=user,
            operation=Operation.LOGIN,
            object_type="accounts.user",
            object_ids=[user.pk],
            subjects=[user],
            request=request,
            now=at,
        )


# --- second factor -----------------------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    """Whether ``user`` has a usable second factor: a confirmed authenticator, or recovery
    codes left. Without one they must enrol before anything else."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def recovery_code_digest(code: str) -> str:
    """What is stored of a recovery code: a keyed hash (HMAC-SHA256 under a key derived from
    SECRET_KEY, 64 bits kept), never the code. A copy of the database alone does not give
    anyone a second factor; a code is 40 random bits, so without the key it cannot be guessed
    offline either."""
    return salted_hmac(
        "firstline.accounts.recovery-code", normalise_code(code), algorithm="sha256"
    ).hexdigest()[:16]


@dataclass(frozen=True)
class SecondFactorResult:
    device: TOTPDevice | StaticDevice | None
    wait_until: dt.datetime | None = None  # set when the device refuses checks for a while


def check_second_factor(user: User, code: str) -> SecondFactorResult:
    """Try ``code`` as a code of the user's authenticator, then as one of their recovery codes
    (which is used up). Devices are locked for the check, so one code cannot be used twice
    by two concurrent requests."""
    token = normalise_code(code)
    if not token:
        return SecondFactorResult(device=None)
    wait_until: dt.datetime | None = None
    with transaction.atomic():
        candidates: list[TOTPDevice | StaticDevice] = []
        # authenticator codes are 6 (or 8) digits; recovery codes 8 letters and digits
        if token.isdigit() and len(token) in (6, 8):
            candidates += TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        if len(token) != 6:
            candidates += StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
        for device in candidates:
            allowed, data = device.verify_is_allowed()
            if not allowed:
                # django-otp's own per-device back-off (1 s, 2 s, 4 s...) is in force
                wait_until = (data or {}).get("locked_until") or wait_until
                continue
            stored = recovery_code_digest(token) if isinstance(device, StaticDevice) else token
            if device.verify_token(stored):
                return SecondFactorResult(device=device)
    return SecondFactorResult(device=None, wait_until=wait_until)


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled, created once so the QR code stays the
    same while the person scans it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def confirm_totp_enrolment(
    *,
    user: User,
    device: TOTPDevice,
    token: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Confirm the authenticator with a code it shows, and issue fresh recovery codes.

    Returns the recovery codes: the only time they are ever shown.
    """
    if device.user_id != user.pk or device.confirmed:
        raise Problem.field("device", "this enrolment is no longer pending; start again")
    with transaction.atomic():
        if not device.verify_token(token.strip().replace(" ", "")):
            raise Problem.field(
                "otp_token", "the code does not match; check the clock of your phone"
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # any other attempt is stale now, and an authenticator being replaced stops working
        others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
        replaced = [d.pk for d in others if d.confirmed]
        others.delete()
        codes = _issue_recovery_codes(user)
        record(
            actor=user,
            operation=Operation.KEY_CHANGE,
            object_type="otp_totp.totpdevice",
            object_ids=[device.pk, *replaced],
            subjects=[user],
            request=request,
            outcome="replaced" if replaced else "enrolled",
            now=now,
        )
    return codes


def _issue_recovery_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_code_digest(code)) for code in codes
    )
    return codes  # shown once; only their digests are kept


def regenerate_recovery_codes(
    *, user: User, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> list[str]:
    """Replace every recovery code of ``user``; the old ones stop working at once."""
    with transaction.atomic():
        codes = _issue_recovery_codes(user)
        record(
            actor=user,
            operation=Operation.KEY_CHANGE,
            object_type="otp_static.staticdevice",
            object_ids=list(StaticDevice.objects.filter(user=user).values_list("pk", flat=True)),
            subjects=[user],
            request=request,
            outcome="recovery_codes_regenerated",
            now=now,
        )
    return codes


def change_password(
    *,
    user: User,
    new_password: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Set a new password (already validated by the form) and audit the change."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record(
            actor=user,
            operation=Operation.KEY_CHANGE,
            object_type="accounts.password",
            object_ids=[user.pk],
            subjects=[user],
            request=request,
            outcome="password_changed",
            now=now,
        )


def update_profile(
    *,
    user: User,
    changes: dict[str, str],
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Save a person's own name and e-mail address (validated by the form); an alteration of
    personal data, so audited."""
    fields = [f for f in ("first_name", "last_name", "email") if f in changes]
    with transaction.atomic():
        for name in fields:
            setattr(user, name, changes[name])
        user.save(update_fields=fields)
        record(
            actor=user,
            operation=Operation.ALTER,
            object_type="accounts.user",
            object_ids=[user.pk],
            subjects=[user],
            request=request,
            now=now,
        )
    return user


# --- API keys ----------------------------------------------------------------------------------


def create_api_key(
    *,
    actor: Any,
    name: str,
    role: str,
    clearance: str,
    scopes: list[str],
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key for the actor's organisation. Returns the key and its secret, which is
    shown to the caller once and never stored."""
    policy.require(actor, policy.ADD, ApiKey)
    errors: list[dict[str, str]] = []
    name = name.strip()
    if not name:
        errors.append(
            {"field": "name", "reason": "give the key a name saying which system uses it"}
        )
    elif len(name) > 100:
        errors.append({"field": "name", "reason": "at most 100 characters"})
    if role == Role.NODE_ADMIN:
        errors.append({"field": "role", "reason": "a key can never act as node administrator"})
    elif role not in grantable_roles(actor):
        errors.append({"field": "role", "reason": f"you cannot grant the role {role!r}"})
    if clearance not in settings.CLASSIFICATION_LEVELS:
        errors.append(
            {
                "field": "clearance",
                "reason": "one of " + ", ".join(settings.CLASSIFICATION_LEVELS),
            }
        )
    elif not policy.cleared_for(actor, clearance):
        errors.append({"field": "clearance", "reason": "above your own clearance"})
    known = set(apikeys.available_scopes())
    unknown = sorted({s for s in scopes if s not in known})
    if unknown:
        errors.append({"field": "scopes", "reason": "unknown scopes: " + ", ".join(unknown)})
    elif not scopes:
        errors.append({"field": "scopes", "reason": "choose at least one scope"})
    if errors:
        raise Problem(
            "Invalid input",
            detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors),
            errors=errors,
        )
    at = now or clock.now()
    with transaction.atomic():
        prefix, secret = apikeys.new_key()
        while ApiKey.objects.filter(prefix=prefix).exists():  # 40 bits: a clash is rare
            prefix, secret = apikeys.new_key()
        key = ApiKey.objects.create(
            organisation_id=actor.organisation_id,
            name=name,
            prefix=prefix,
            secret_hash=apikeys.digest(secret),
            role=role,
            clearance=clearance,
            scopes=sorted(set(scopes)),
            created_by=actor,
            created_at=at,
        )
        record(
            actor=actor,
            operation=Operation.KEY_CHANGE,
            object_type="accounts.apikey",
            object_ids=[key.prefix],
            request=request,
            outcome="created",
            now=at,
        )
    return key, secret


def revoke_api_key(
    *, actor: Any, key: ApiKey, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> ApiKey:
    """Revoke a key: every later request with it is refused. Revoking twice changes nothing."""
    policy.require(actor, policy.CHANGE, key)
    at = now or clock.now()
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=at)
        if updated:
            record(
                actor=actor,
                operation=Operation.KEY_CHANGE,
                object_type="accounts.apikey",
                object_ids=[key.prefix],
                request=request,
                outcome="revoked",
                now=at,
            )
    key.refresh_from_db()
    return key


# --- accounts and access -----------------------------------------------------------------------


def _access_of(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in ACCESS_FIELDS}


def record_access_change(
    *,
    actor: Any,
    user: User,
    before: dict[str, Any] | None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Audit a change of who ``user`` is allowed to be (role, clearance, organisation, active,
    staff). ``before`` is None for a new account. Must run in the transaction of the change."""
    after = _access_of(user)
    changed = [f for f in ACCESS_FIELDS if before is None or before.get(f) != after[f]]
    if not changed:
        return
    record(
        actor=actor,
        operation=Operation.PERMISSION_CHANGE,
        object_type="accounts.user",
        object_ids=[user.pk],
        subjects=[user],
        request=request,
        outcome="created" if before is None else "changed:" + ",".join(changed),
        now=now,
    )


def change_access(
    *,
    actor: Any,
    user: User,
    role: str | None = None,
    clearance: str | None = None,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Change the role and/or clearance of ``user``, within what ``actor`` may grant."""
    policy.require(actor, policy.CHANGE, user)
    errors: list[dict[str, str]] = []
    if is_person(actor) and user.pk == actor.pk:
        raise Problem(
            "Not allowed",
            status=403,
            detail="You cannot change your own role or clearance; ask another administrator.",
        )
    if role is not None and role not in grantable_roles(actor):
        errors.append({"field": "role", "reason": f"you cannot grant the role {role!r}"})
    if clearance is not None:
        if clearance not in settings.CLASSIFICATION_LEVELS:
            errors.append(
                {
                    "field": "clearance",
                    "reason": "one of " + ", ".join(settings.CLASSIFICATION_LEVELS),
                }
            )
        elif not policy.cleared_for(actor, clearance):
            errors.append({"field": "clearance", "reason": "above your own clearance"})
    if errors:
        raise Problem(
            "Invalid input",
            detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors),
            errors=errors,
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = _access_of(user)
        if role is not None:
            user.role = role
            # only node administrators use the admin site (see accounts.admin_site)
            user.is_staff = role == Role.NODE_ADMIN
        if clearance is not None:
            user.clearance = clearance
        user.save(update_fields=["role", "clearance", "is_staff"])
        record_access_change(actor=actor, user=user, before=before, request=request, now=now)
    return user


def create_user(
    *,
    actor: Any,
    username: str,
    password: str,
    organisation: Organisation | None,
    role: str,
    clearance: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    now: dt.datetime | None = None,
) -> User:
    """Create an account. A node administrator has no organisation and may use the admin
    site; everyone else belongs to one organisation. Two-factor enrolment follows at the
    first sign-in."""
    errors: list[dict[str, str]] = []
    if role not in Role.values:
        errors.append({"field": "role", "reason": "one of " + ", ".join(Role.values)})
    if role != Role.NODE_ADMIN and organisation is None:
        errors.append({"field": "organisation", "reason": "required for this role"})
    if role == Role.NODE_ADMIN and organisation is not None:
        errors.append({"field": "organisation", "reason": "a node administrator has none"})
    if clearance not in settings.CLASSIFICATION_LEVELS:
        errors.append(
            {"field": "clearance", "reason": "one of " + ", ".join(settings.CLASSIFICATION_LEVELS)}
        )
    if User.objects.filter(username=username).exists():
        errors.append({"field": "username", "reason": "already taken"})
    user = User(
        username=username,
        email=email,
        organisation=organisation,
        role=role,
        clearance=clearance,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.NODE_ADMIN,
    )
    try:
        User.username_validator(username)
    except ValidationError as exc:
        errors.append({"field": "username", "reason": " ".join(exc.messages)})
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors.append({"field": "password", "reason": " ".join(exc.messages)})
    if errors:
        raise Problem(
            "Invalid input",
            detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors),
            errors=errors,
        )
    with transaction.atomic():
        user.set_password(password)
        user.save()
        record_access_change(actor=actor, user=user, before=None, now=now)
    return user
