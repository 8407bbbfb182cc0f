"""Organisation keys: generated, wrapped under the master key, published as JWK, rotated."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import call_command
from jwcrypto import jwk

from firstline.audit.models import AuditEntry, Operation
from firstline.directory.models import Organisation
from firstline.exchange import keys
from firstline.exchange.models import KeyUse, OrganisationKey


def _thumbprint(public: dict[str, str]) -> str:
    # RFC 7638 for an OKP key: the required members, sorted, no whitespace
    members = {k: public[k] for k in ("crv", "kty", "x")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def test_it_creates_an_ed25519_and_an_x25519_key_per_organisation(
    albanian_police: Organisation,
) -> None:
    active = keys.ensure_keys(albanian_police)
    assert active[KeyUse.SIGN].public_jwk["crv"] == "Ed25519"
    assert active[KeyUse.ENCRYPT].public_jwk["crv"] == "X25519"
    assert keys.ensure_keys(albanian_police) == active  # idempotent
    assert OrganisationKey.objects.count() == 2


def test_the_kid_is_the_rfc7638_thumbprint(albanian_police: Organisation) -> None:
    for key in keys.ensure_keys(albanian_police).values():
        assert key.kid == _thumbprint(key.public_jwk)
        assert key.public_jwk["kid"] == key.kid
        assert jwk.JWK(**key.public_jwk).thumbprint() == key.kid  # an independent library agrees


def test_private_keys_are_encrypted_at_rest(albanian_police: Organisation) -> None:
    key = keys.ensure_keys(albanian_police)[KeyUse.SIGN]
    raw = keys.unwrap(key.wrapped_private, albanian_police.pk, KeyUse.SIGN)
    assert len(raw) == 32
    assert raw not in bytes(key.wrapped_private)
    assert "d" not in key.public_jwk


def test_a_wrapped_key_does_not_open_for_another_organisation(
    albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    key = keys.ensure_keys(albanian_police)[KeyUse.SIGN]
    with pytest.raises(InvalidTag):
        keys.unwrap(key.wrapped_private, serbian_ministry.pk, KeyUse.SIGN)


def test_a_wrapped_key_does_not_open_under_another_master_key(
    albanian_police: Organisation, settings
) -> None:
    key = keys.ensure_keys(albanian_police)[KeyUse.SIGN]
    settings.MASTER_KEY = base64.urlsafe_b64encode(b"x" * 32).decode()
    with pytest.raises(InvalidTag):
        keys.unwrap(key.wrapped_private, albanian_police.pk, KeyUse.SIGN)


def test_a_short_master_key_is_refused(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.MASTER_KEY = "c2hvcnQ"
    with pytest.raises(ImproperlyConfigured):
        keys.wrap(b"k" * 32, 1, "sig")


def test_rotation_keeps_the_old_keys_and_is_audited(albanian_police: Organisation) -> None:
    old = keys.ensure_keys(albanian_police)
    new = keys.rotate_keys(albanian_police, reason="annual rotation")
    assert {k.kid for k in new.values()}.isdisjoint({k.kid for k in old.values()})
    assert OrganisationKey.objects.filter(organisation=albanian_police).count() == 4
    assert OrganisationKey.objects.filter(retired_at__isnull=False).count() == 2
    entries = AuditEntry.objects.filter(operation=Operation.KEY_CHANGE)
    assert entries.count() == 2
    assert set(entries.last().object_ids) == {k.kid for k in [*old.values(), *new.values()]}
    assert entries.last().justification == "annual rotation"
    published = keys.published_keys(albanian_police)
    assert [("exp" in k) for k in published] == [False, False, True, True]


def test_the_keys_command_rotates(albanian_police: Organisation, capsys) -> None:
    keys.ensure_keys(albanian_police)
    call_command("keys", "rotate", "al-asp-ctu")
    out = capsys.readouterr().out
    active = OrganisationKey.objects.filter(retired_at=None)
    for key in active:
        assert key.kid in out


def test_the_api_publishes_the_key_set(
    albanian_police: Organisation, serbian_analyst, signed_in
) -> None:
    keys.ensure_keys(albanian_police)
    keys.rotate_keys(albanian_police)
    response = signed_in(serbian_analyst).get("/api/v1/exchange/keys/al-asp-ctu")
    assert response.status_code == 200
    body = response.json()
    assert body["organisation"] == "al-asp-ctu"
    assert len(body["keys"]) == 4
    assert all("d" not in k for k in body["keys"])
    assert {k["alg"] for k in body["keys"]} == {"Ed25519", "ECDH-ES+A256KW"}


def test_the_key_api_needs_authentication(albanian_police: Organisation, client) -> None:
    assert client.get("/api/v1/exchange/keys/al-asp-ctu").status_code == 401


def test_an_unknown_organisation_has_no_keys(serbian_analyst, signed_in) -> None:
    response = signed_in(serbian_analyst).get("/api/v1/exchange/keys/nowhere")
    assert response.status_code == 404


# --- the per-process memo of unwrapped private keys (keys._unwrapped) -----------------------


def test_an_unwrapped_key_is_memoised_and_is_the_one_published(
    albanian_police: Organisation,
) -> None:
    key = keys.ensure_keys(albanian_police)[KeyUse.SIGN]
    first = keys.private_key(key)
    again = keys.private_key(OrganisationKey.objects.get(pk=key.pk))  # a fresh row, same key
    assert again is first
    assert first.as_dict(private=False)["x"] == key.public_jwk["x"]


def test_the_memo_never_opens_a_key_for_another_organisation(
    albanian_police: Organisation, serbian_ministry: Organisation
) -> None:
    albanian = keys.ensure_keys(albanian_police)[KeyUse.SIGN]
    keys.private_key(albanian)  # memoised now
    # the Albanian wrapped key copied onto a Serbian row, kid and all: unwrapping must fail
    copied = OrganisationKey(
        organisation=serbian_ministry,
        use=KeyUse.SIGN,
        kid=albanian.kid,
        public_jwk=albanian.public_jwk,
        wrapped_private=albanian.wrapped_private,
    )
    with pytest.raises(InvalidTag):
        keys.private_key(copied)
    copied.organisation = albanian_police
    copied.use = KeyUse.ENCRYPT  # the wrong use is a different associated data
    with pytest.raises(InvalidTag):
        keys.private_key(copied)


def test_the_memo_does_not_survive_a_change_of_master_key_or_altered_bytes(
    albanian_police: Organisation, settings
) -> None:
    key = keys.ensure_keys(albanian_police)[KeyUse.ENCRYPT]
    keys.private_key(key)
    altered = bytearray(key.wrapped_private)
    altered[-1] ^= 1
    key.wrapped_private = bytes(altered)
    with pytest.raises(InvalidTag):
        keys.private_key(key)
    key.refresh_from_db()
    settings.MASTER_KEY = base64.urlsafe_b64encode(b"x" * 32).decode()
    with pytest.raises(InvalidTag):
        keys.private_key(key)


def test_after_a_rotation_the_new_key_is_used_and_the_old_still_opens(
    albanian_police: Organisation,
) -> None:
    old = keys.ensure_keys(albanian_police)[KeyUse.SIGN]
    old_private = keys.private_key(old)
    new = keys.rotate_keys(albanian_police)[KeyUse.SIGN]
    new_private = keys.private_key(new)
    assert new_private is not old_private
    assert new_private.as_dict(private=False)["x"] == new.public_jwk["x"]
    old.refresh_from_db()
    assert old.retired_at is not None
    assert keys.private_key(old).as_dict(private=False)["x"] == old.public_jwk["x"]
