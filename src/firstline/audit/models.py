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

from typing import Any

from django.db import connection, models
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


# The columns of an entry, in the order the verifier and the CSV export use.
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
# The columns a writer writes; the database computes the others from ``canonical``.
WRITTEN_COLUMNS = ("seq", "canonical", "leaf_hash")


class FromCanonical(models.Func):
    """A value read out of the entry's canonical JSON by the database itself.

    Every column of an entry but ``seq``, ``canonical`` and ``leaf_hash`` is generated from the
    canonical form (``GENERATED ALWAYS AS ...``, see ``CanonicalColumn``): it cannot be
    written, so it cannot disagree with what the leaf hash covers. On SQLite ``audit verify``
    checks the columns' definitions instead of comparing every row (see
    ``bulk.generated_columns_as_defined``). ``kind`` is "text" (a JSON string), "list" (a
    JSON array, as JSON) or "time" (the ``at`` string as the backend's own timestamp).
    """

    def __init__(self, *path: str, kind: str = "text", output_field: models.Field[Any, Any]):
        super().__init__(models.F("canonical"), output_field=output_field)
        self.path = path
        self.kind = kind

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        canonical, params = compiler.compile(self.source_expressions[0])
        value = f"json_extract({canonical}, '$.{'.'.join(self.path)}')"
        if self.kind == "time":  # Django's SQLite form: 'YYYY-MM-DD HH:MM:SS[.ffffff]'
            value = (
                f"(substr({value}, 1, 10) || ' ' || CASE WHEN substr({value}, 21, 6) = "
                f"'000000' THEN substr({value}, 12, 8) ELSE substr({value}, 12, 15) END)"
            )
        return value, params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        canonical, params = compiler.compile(self.source_expressions[0])
        document = f"({canonical})::jsonb"
        if self.kind == "list":
            return f"({document} #> '{{{','.join(self.path)}}}')", params
        value = f"({document} #>> '{{{','.join(self.path)}}}')"
        if self.kind == "time":  # make_timestamp is immutable, as a generated column must be
            parts = ", ".join(
                f"substr({value}, {start}, {length})::{cast}"
                for start, length, cast in (
                    (1, 4, "int"), (6, 2, "int"), (9, 2, "int"), (12, 2, "int"), (15, 2, "int"),
                    (18, 9, "float8"),
                )
            )  # fmt: skip
            value = f"(make_timestamp({parts}) AT TIME ZONE 'UTC')"
        return value, params


class CanonicalColumn(models.GeneratedField):
    """A column generated from the canonical form: VIRTUAL on SQLite, which computes it when
    read, so that a row holds little more than its canonical form (``audit verify`` reads
    every row); STORED on PostgreSQL, whose generated columns are all stored (before 18).

    The choice follows the database, so migrations do not record it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_persist"] = True  # replaced by the property below
        super().__init__(*args, **kwargs)

    @property
    def db_persist(self) -> bool:
        return bool(connection.vendor != "sqlite")

    @db_persist.setter
    def db_persist(self, value: bool) -> None:
        pass

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_persist", None)
        return name, path, args, kwargs


def _generated(*path: str, field: models.Field[Any, Any], kind: str = "text") -> Any:
    return CanonicalColumn(
        expression=FromCanonical(*path, kind=kind, output_field=field), output_field=field
    )


class AuditEntry(models.Model):
    """One append-only log entry. ``seq`` is gapless and gives the Merkle leaf index.

    Only ``seq``, ``canonical`` (the RFC 8785 JSON that is hashed) and ``leaf_hash`` are
    written; the other columns are the database's reading of ``canonical``, for searching."""

    seq = models.BigIntegerField(unique=True)
    canonical = models.TextField()
    leaf_hash = models.BinaryField(max_length=32)
    at = _generated("at", field=models.DateTimeField(), kind="time")
    actor_user = _generated("actor", "user", field=models.CharField(max_length=64))
    actor_organisation = _generated("actor", "organisation", field=models.CharField(max_length=64))
    actor_node = _generated("actor", "node", field=models.CharField(max_length=128))
    operation = _generated(
        "operation", field=models.CharField(max_length=32, choices=Operation.choices)
    )
    object_type = _generated("object", "type", field=models.CharField(max_length=64))
    object_ids = _generated("object", "ids", field=models.JSONField(), kind="list")
    subjects = _generated("subjects", field=models.JSONField(), kind="list")
    recipients = _generated("recipients", field=models.JSONField(), kind="list")
    justification = _generated("justification", field=models.TextField())
    request_id = _generated("request_id", field=models.CharField(max_length=64))
    outcome = _generated("outcome", field=models.CharField(max_length=32))

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["at"], name="audit_entry_at"),
            models.Index(fields=["actor_user"], name="audit_entry_actor_user"),
            models.Index(fields=["actor_organisation"], name="audit_entry_actor_org"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.operation} {self.object_type}"

    def get_operation_display(self) -> str:
        """The operation's label (a generated column gets no ``get_FOO_display`` of its own)."""
        try:
            return str(Operation(self.operation).label)
        except ValueError:
            return str(self.operation)

    def audit_subjects(self) -> list[str]:
        """The data subjects of a read of this entry: the ones it names (``audit.reads``).

        Whoever reads the log learns who was looked at, so reading an entry is a read about
        its subjects, and their own access history shows it."""
        return list(self.subjects)


class RefKind(models.TextChoices):
    SUBJECT = "subject", _("Data subject")
    RECIPIENT = "recipient", _("Recipient")


class AuditRef(models.Model):
    """A subject or recipient named by an entry, indexed for the oversight search."""

    entry = models.ForeignKey(
        AuditEntry, on_delete=models.CASCADE, related_name="refs", db_index=False
    )
    kind = models.CharField(max_length=16, choices=RefKind.choices)
    ref = models.CharField(max_length=128)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "ref"], name="audit_ref_kind_ref"),
            # serves the foreign key, and lets verify read the index alone, in its order
            models.Index(fields=["entry", "kind", "ref"], name="audit_ref_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class RowidField(models.BigIntegerField):
    """A 64-bit primary key that SQLite keeps as the table's rowid (``integer primary key``).

    Declared ``bigint``, SQLite would add a separate index beside the rowid, and every read by
    id would go through both: verify reads two million nodes per million entries.
    PostgreSQL keeps ``bigint``.
    """

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AuditNode(models.Model):
    """The hash of one perfect subtree; ``id`` is its in-order number (``merkle.node_id``)."""

    id = RowidField(primary_key=True)
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
