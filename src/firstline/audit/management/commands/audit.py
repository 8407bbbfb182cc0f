"""``firstline audit verify | prove INDEX | consistency M N | sign | keygen``."""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentParser
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from firstline.audit import heads, proofs, store
from firstline.audit.verify import CHUNK, verify_log
from firstline.core.problems import Problem


class Command(BaseCommand):
    help = "Check the tamper-evident audit log, print proofs, sign a tree head."
    # Django's system checks import every URLconf and API module (about 0.8 s); none of these
    # actions needs them, and ``verify`` must run even where the rest of the site would not.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help="recompute the tree from the stored entries and check every signed head",
        )
        verify.add_argument("--chunk", type=int, default=CHUNK, help="entries read per query")
        prove = sub.add_parser("prove", help="print the inclusion proof of one entry (JSON)")
        prove.add_argument("index", type=int, help="the entry's sequence number")
        prove.add_argument(
            "--tree-size", type=int, help="tree size (default: the latest signed head)"
        )
        consistency = sub.add_parser(
            "consistency", help="print the consistency proof between two tree sizes (JSON)"
        )
        consistency.add_argument("first", type=int)
        consistency.add_argument("second", type=int)
        sign = sub.add_parser("sign", help="sign a tree head for the log as it is now")
        sign.add_argument(
            "--if-due",
            action="store_true",
            help="only if entries were added since the last head (for a periodic timer)",
        )
        sub.add_parser("keygen", help="print a new Ed25519 log key (PEM) for FIRSTLINE_LOG_KEY")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "verify":
                self.verify(options["chunk"])
            elif action == "prove":
                self.emit(proofs.inclusion(options["index"], options["tree_size"]))
            elif action == "consistency":
                self.emit(proofs.consistency(options["first"], options["second"]))
            elif action == "sign":
                head = heads.sign_tree_head(only_if_grown=options["if_due"])
                self.emit(heads.as_json(head))
            elif action == "keygen":
                self.keygen()
        except Problem as exc:
            raise CommandError(exc.detail) from None

    def emit(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, indent=2))

    def verify(self, chunk: int) -> None:
        total = store.log_size()
        started = time.perf_counter()
        with tqdm(
            total=total,
            unit="entries",
            unit_scale=True,
            disable=not sys.stderr.isatty(),  # where it draws
            file=sys.stderr,
        ) as bar:
            report = verify_log(chunk=chunk, progress=bar.update)
        seconds = time.perf_counter() - started
        for note in report.notes:
            self.stderr.write(f"note: {note}")
        if not report.ok:
            raise CommandError(f"audit log verification FAILED: {report.problem}")
        self.stdout.write(
            f"audit log verified: {report.entries} entries, {report.heads} signed tree heads "
            f"(keys: {', '.join(sorted(report.keys)) or 'none'}) in {seconds:.2f} s "
            f"({report.entries / max(seconds, 1e-9):,.0f} entries/s)"
        )

    def keygen(self) -> None:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.stdout.write(pem.decode("ascii").rstrip())
