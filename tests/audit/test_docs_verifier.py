"""The third-party verifier in docs/audit.md works, as written, against a real log."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from django.test import Client

from firstline.accounts.models import User
from firstline.audit import heads
from firstline.audit.models import AuditEntry

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def doc_verifier() -> dict[str, Any]:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- third-party-verifier -->\n```python\n(.*?)```", text, re.S)
    assert match, "docs/audit.md lost its verifier block"
    code = match.group(1)
    assert "firstline" not in code
    imports = set(re.findall(r"^(?:from|import) (\w+)", code, re.M))
    assert imports <= {"base64", "hashlib", "json", "cryptography"}
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


def test_the_documented_verifier_checks_heads_and_proofs(
    write_log: Callable[..., list[AuditEntry]],
    node_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    v = doc_verifier()
    client = signed_in(node_admin)
    write_log(13)
    old = client.get("/api/v1/audit/tree-head").json()
    write_log(24)
    heads.sign_tree_head()
    new = client.get("/api/v1/audit/tree-head").json()
    jwk = client.get("/api/v1/audit/key").json()

    v["verify_tree_head"](jwk, old)
    v["verify_tree_head"](jwk, new)
    forged = {**new, "tree_size": new["tree_size"] + 1}
    with pytest.raises(InvalidSignature):
        v["verify_tree_head"](jwk, forged)

    size, root = new["tree_size"], base64.b64decode(new["root_hash"])
    entries = client.get(f"/api/v1/audit/entries?start=0&end={size - 1}").json()["entries"]
    for entry in entries:
        i = entry["leaf_index"]
        proof = client.get(f"/api/v1/audit/proof/inclusion?leaf_index={i}&tree_size={size}")
        leaf = v["leaf_hash"](entry["canonical"])
        assert v["verify_inclusion"](leaf, i, size, proof.json()["inclusion_path"], root)
        assert not v["verify_inclusion"](
            leaf, (i + 1) % size, size, proof.json()["inclusion_path"], root
        )

    proof = client.get(
        f"/api/v1/audit/proof/consistency?first={old['tree_size']}&second={size}"
    ).json()
    old_root = base64.b64decode(old["root_hash"])
    assert v["verify_consistency"](
        old["tree_size"], size, old_root, root, proof["consistency_path"]
    )
    assert not v["verify_consistency"](
        old["tree_size"], size, root, root, proof["consistency_path"]
    )


def test_the_documented_verifier_checks_a_downloaded_proof(
    write_log: Callable[..., list[AuditEntry]],
    node_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    v = doc_verifier()
    write_log(6)
    client = signed_in(node_admin)
    jwk = client.get("/api/v1/audit/key").json()
    proof = client.get("/audit/entries/5/proof.json").json()
    head = proof["tree_head"]
    v["verify_tree_head"](jwk, head)
    assert v["verify_inclusion"](
        v["leaf_hash"](proof["canonical"]),
        5,
        head["tree_size"],
        proof["inclusion_path"],
        base64.b64decode(head["root_hash"]),
    )


def test_the_documented_verifier_checks_what_the_commands_print(
    write_log: Callable[..., list[AuditEntry]],
) -> None:
    # `firstline audit prove` and `consistency` are what an auditor given shell access runs;
    # every first size is tried, powers of two included (the proof then starts at the root)
    import json
    from io import StringIO

    from django.core.management import call_command

    def run(*args: str) -> dict[str, Any]:
        out = StringIO()
        call_command("audit", *args, stdout=out)
        return dict(json.loads(out.getvalue()))

    v = doc_verifier()
    entries = write_log(37)
    head = run("sign")
    root = base64.b64decode(head["root_hash"])
    for first in range(1, 37):
        proof = run("consistency", str(first), "37")
        first_root = base64.b64decode(proof["first_hash"])
        assert v["verify_consistency"](first, 37, first_root, root, proof["consistency_path"])
        assert not v["verify_consistency"](first, 37, root, first_root, proof["consistency_path"])
    for index in (0, 8, 31, 36):
        proof = run("prove", str(index))
        leaf = v["leaf_hash"](entries[index].canonical)
        assert v["verify_inclusion"](leaf, index, 37, proof["inclusion_path"], root)
