"""The audit log of every access to personal data (Law Enforcement Directive, Art. 25).

Tables:
- ``AuditEntry``: the append-only entries; ``canonical`` is the RFC 8785 JSON that is hashed.
- ``AuditNode``: the hash of every perfect subtree of the Merkle tree (leaves included), written
  in the same transaction as the entry that completes it; proofs read O(log n) of these.
- ``AuditRef``: an index of the subjects and recipients named by each entry, for searching.
  It is derived data, outside the hash; ``audit verify`` checks it against the entries.
- ``LogState``: one row that every writer locks, holding the size and the right edge of the tree.
- ``TreeHead``: signed tree heads; ``LogKey``: every public key that ever signed one.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Operation(models.TextChoices):
    COLLECT = "collect", _("Collection")
    ALTER = "alter", _("Alteration")
    CONSULT = "consult", _("Consultation")
    DISCLOSE = "disclose", _("Disclosure")
    COMBINE = "combine", _("Combination")
    ERASE = "erase", _("Erasure")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    EXPORT = "export", _("Export")
    KEY_CHANGE = "key_change", _("Key change")
    PERMISSION_CHANGE = "permission_change", _("Permission change")


# The columns of an entry, in the order the raw-SQL writer, the verifier and the CSV export use.
ENTRY_COLUMNS = (
    "seq",
    "at",
    "actor_user",
    "actor_organisation",
    "actor_node",
    "operation",
    "object_type",
    "object_ids",
    "subjects",
    "recipients",
    "justification",
    "request_id",
    "outcome",
    "canonical",
    "leaf_hash",
)


class AuditEntry(models.Model):
    """One append-only log entry. ``seq`` is gapless and gives the Merkle leaf index."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_user = models.CharField(max_length=64, blank=True, db_index=True)
    actor_organisation = models.CharField(max_length=64, blank=True, db_index=True)
    actor_node = models.CharField(max_length=128, blank=True)
    operation = models.CharField(max_length=32, choices=Operation.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_ids = models.JSONField(default=list)
    subjects = models.JSONField(default=list)
    recipients = models.JSONField(default=list)
    justification = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=32, default="success")
    canonical = models.TextField()
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.operation} {self.object_type}"


class RefKind(models.TextChoices):
    SUBJECT = "subject", _("Data subject")
    RECIPIENT = "recipient", _("Recipient")


class AuditRef(models.Model):
    """A subject or recipient named by an entry, indexed for the oversight search."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="refs")
    kind = models.CharField(max_length=16, choices=RefKind.choices)
    ref = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["kind", "ref"], name="audit_ref_kind_ref")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class AuditNode(models.Model):
    """The hash of one perfect subtree; ``id`` is its in-order number (``merkle.node_id``)."""

    id = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"node {self.id}"


class LogState(models.Model):
    """A single row locked by every writer, so that sequence numbers never fork.

    ``frontier`` holds the hashes of the perfect subtrees on the tree's right edge (one per set
    bit of ``size``, largest first): enough to hash each new leaf into the tree and to compute
    the current root without reading anything else.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(default=b"")
    head_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When a tree head was last asked for (time trigger)."
    )

    def __str__(self) -> str:
        return f"log of {self.size} entries"


class LogKey(models.Model):
    """A public key that signs (or signed) tree heads; kept after rotation for verification."""

    kid = models.CharField(max_length=64, unique=True, help_text="RFC 7638 JWK thumbprint")
    public_key = models.BinaryField(max_length=32, help_text="raw Ed25519 public key")
    first_used_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.kid


class TreeHead(models.Model):
    """A signed tree head: the log of ``tree_size`` entries had root ``root_hash``.

    The signature is Ed25519 over the RFC 8785 JSON of ``{"root_hash": base64(root_hash),
    "timestamp": timestamp, "tree_size": tree_size}`` (see ``heads.signed_payload``).
    """

    tree_size = models.BigIntegerField(db_index=True)
    root_hash = models.BinaryField(max_length=32)
    timestamp = models.BigIntegerField(help_text="milliseconds since the Unix epoch, UTC")
    signature = models.BinaryField(max_length=64)
    key_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"tree head of {self.tree_size} entries"
