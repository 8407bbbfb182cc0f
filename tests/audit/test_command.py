"""``firstline audit prove | consistency | sign | keygen`` and the start-up check of the key."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from firstline.audit import checks, keys, merkle
from firstline.audit.models import AuditEntry, TreeHead


def run(*args: str) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def test_prove_prints_a_proof_that_verifies(write_log: Callable[..., list[AuditEntry]]) -> None:
    entries = write_log(9)
    head = json.loads(run("sign"))
    assert head["tree_size"] == 9
    proof = json.loads(run("prove", "4"))
    assert proof["tree_head"] == head
    assert merkle.verify_inclusion(
        merkle.hash_leaf(entries[4].canonical.encode()),
        4,
        9,
        [base64.b64decode(h) for h in proof["inclusion_path"]],
        base64.b64decode(head["root_hash"]),
    )
    assert json.loads(run("prove", "2", "--tree-size", "5"))["tree_size"] == 5


def test_consistency_prints_a_proof_that_verifies(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    write_log(12)
    proof = json.loads(run("consistency", "5", "12"))
    assert merkle.verify_consistency(
        5,
        12,
        base64.b64decode(proof["first_hash"]),
        base64.b64decode(proof["second_hash"]),
        [base64.b64decode(h) for h in proof["consistency_path"]],
    )


def test_out_of_range_arguments_are_refused_saying_why(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    write_log(3)
    with pytest.raises(CommandError, match="leaf_index: must be smaller than tree_size"):
        run("prove", "7")
    with pytest.raises(CommandError, match="holds 3 entries"):
        run("consistency", "1", "8")
    with pytest.raises(CommandError, match="leaf_index: must not be negative, not -1"):
        run("prove", "-1")
    with pytest.raises(CommandError, match="first: must not be negative"):
        run("consistency", "-2", "3")


def test_sign_if_due_signs_only_a_grown_log(write_log: Callable[..., list[AuditEntry]]) -> None:
    write_log(2)
    run("sign", "--if-due")
    run("sign", "--if-due")
    assert TreeHead.objects.count() == 1
    run("sign")
    assert TreeHead.objects.count() == 2


def test_keygen_prints_an_ed25519_key(db: None, settings: object) -> None:
    pem = run("keygen")
    settings.AUDIT_LOG_KEY = pem  # type: ignore[attr-defined]
    keys.private_key.cache_clear()
    try:
        assert keys.private_key().public_key()
        assert checks.log_key_loads() == []
        settings.AUDIT_LOG_KEY = "not a key"  # type: ignore[attr-defined]
        keys.private_key.cache_clear()
        assert [m.id for m in checks.log_key_loads()] == ["audit.E001"]
    finally:
        keys.private_key.cache_clear()
