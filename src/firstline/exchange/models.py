"""Secure exchange between organisations: keys, threads, messages, entities, receipts.

Every read goes through ``firstline.policy`` (rules in ``exchange/policy.py``); every write
through ``exchange/services.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from firstline import policy
from firstline.exchange.markings import (
    TLP,
    EntityKind,
    EvaluationScheme,
    Handling,
    MessageType,
    SubjectCategory,
    Urgency,
)


class KeyUse(models.TextChoices):
    SIGN = "sig", _("Signing (Ed25519)")
    ENCRYPT = "enc", _("Encryption (X25519)")


class OrganisationKey(models.Model):
    """One key pair of an organisation; the private half is wrapped under the node master key.

    Rotation sets ``retired_at`` and creates a new pair: retired keys still verify old
    signatures and decrypt old envelopes, they are never used to sign or encrypt again.
    """

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="exchange_keys"
    )
    use = models.CharField(max_length=3, choices=KeyUse.choices)
    kid = models.CharField(max_length=64, unique=True, help_text=_("RFC 7638 thumbprint"))
    public_jwk = models.JSONField()
    wrapped_private = models.BinaryField(help_text=_("AES-256-GCM nonce || ciphertext"))
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "use", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "use"],
                condition=models.Q(retired_at__isnull=True),
                name="exchange_one_active_key_per_use",
            )
        ]

    def __str__(self) -> str:
        return f"{self.use} {self.kid}"


class ReferenceCounter(models.Model):
    """The node's running number of threads per year (locked when a thread is created)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Thread(models.Model):
    """A case of exchange: a subject, a reference number unique on the node, linked threads."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField()
    links = models.ManyToManyField("self", blank=True, symmetrical=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"


class MessageQuerySet(models.QuerySet["Message"]):
    def visible_to(self, actor: Any) -> MessageQuerySet:
        """What ``actor`` may read: the policy door, never a local filter."""
        return policy.visible_to(actor, self)  # type: ignore[return-value]


class Message(models.Model):
    """One message from an organisation to one or more organisations, with its markings.

    ``envelope`` is the JWE (general JSON serialisation) of the JWS-signed canonical form;
    the columns hold the same content for the node's own pages and search.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    forwarded_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="forwards"
    )
    sender = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="sent_messages"
    )
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sender_label = models.CharField(max_length=64, blank=True, help_text=_("actor label"))
    originator = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="originated_messages"
    )
    recipients: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "directory.Organisation", through="Receipt", related_name="received_messages"
    )
    named_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text=_("TLP:RED: the only users of the recipient organisations who may read it"),
    )
    message_type = models.CharField(_("type"), max_length=16, choices=MessageType.choices)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, blank=True)
    body = models.TextField(_("text"))
    tlp = models.CharField("TLP", max_length=16, choices=TLP.choices)
    handling = models.CharField(_("handling code"), max_length=2, choices=Handling.choices)
    handling_text = models.TextField(_("handling conditions"), blank=True)
    classification = models.CharField(_("classification"), max_length=32)
    evaluation_scheme = models.CharField(
        max_length=16, choices=EvaluationScheme.choices, blank=True
    )
    source_grade = models.CharField(_("source evaluation"), max_length=1, blank=True)
    information_grade = models.CharField(_("information evaluation"), max_length=1, blank=True)
    has_personal_data = models.BooleanField(default=False)
    late_reason = models.TextField(_("reason for a late reply"), blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_reason = models.TextField(_("why the message was recalled"), blank=True)
    sent_at = models.DateTimeField()
    envelope = models.JSONField(help_text=_("JWE general JSON serialisation"))
    signing_kid = models.CharField(max_length=64)
    content_sha256 = models.CharField(max_length=64)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["sender", "sent_at"]),
            # the folders' order: a page of the inbox is read off this index, newest first
            models.Index(fields=["sent_at", "id"], name="exchange_message_sent_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_message_type_display()} {self.uuid}"


class EntityStatus(models.TextChoices):
    """LED Art. 7(3): a sender who learns data was wrong tells every recipient."""

    VALID = "valid", _("Valid")
    CORRECTED = "corrected", _("Corrected")
    RESTRICTED = "restricted", _("Restricted (incorrect or unlawfully transmitted)")


class Entity(models.Model):
    """Structured data in a message. Persons carry the LED Art. 6 category and legal basis.

    ``data`` holds the kind-specific fields (names, aliases, documents, registration...);
    facts and assessments stay in separate columns (LED Art. 7).
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="entities")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=EntityKind.choices)
    label = models.CharField(max_length=255)
    data = models.JSONField(default=dict)
    category = models.CharField(max_length=16, choices=SubjectCategory.choices, blank=True)
    purpose = models.CharField(max_length=255, blank=True)
    legal_basis = models.CharField(max_length=255, blank=True)
    review_date = models.DateField(null=True, blank=True)
    retention_end = models.DateField(null=True, blank=True)
    special_categories = models.JSONField(default=list, blank=True)
    special_justification = models.TextField(blank=True)
    facts = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=EntityStatus.choices, default=EntityStatus.VALID
    )
    status_reason = models.TextField(blank=True)
    history = models.JSONField(
        default=list, blank=True, help_text=_("earlier versions replaced by corrections")
    )

    class Meta:
        ordering = ["message_id", "position"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return f"{self.kind} {self.label}"

    @property
    def is_person(self) -> bool:
        return self.kind == EntityKind.PERSON


class Receipt(models.Model):
    """Per recipient organisation: delivered (at send), read (the first read by one of its
    users, logged; an API key fetching is not a read), replied.

    For requests ``due_at`` is the Directive 2023/977 deadline counted from delivery.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="exchange_receipts"
    )
    delivered_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.CharField(max_length=64, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message_id", "organisation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "organisation"], name="exchange_one_receipt_per_org"
            )
        ]
        indexes = [models.Index(fields=["organisation", "due_at"])]

    def __str__(self) -> str:
        return f"receipt {self.message_id} → {self.organisation_id}"


class ForwardStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the originator")
    APPROVED = "approved", _("Approved and forwarded")
    REFUSED = "refused", _("Refused")


class ForwardRequest(models.Model):
    """H2: a recipient asks the originator before passing a message on; approval releases it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="forward_requests")
    requester = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    requester_label = models.CharField(max_length=64)
    requester_clearance = models.CharField(max_length=32)
    recipients = models.JSONField(help_text=_("keys of the organisations to forward to"))
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ForwardStatus.choices, default=ForwardStatus.PENDING
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=64, blank=True)
    decision_note = models.TextField(blank=True)
    forwarded = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"forward {self.message_id} by {self.requester_id}: {self.status}"


class SearchDocument(models.Model):
    """The searchable text of a message (subject, body, entity fields), one row per message.

    Indexed by SQLite FTS5 (an external-content table kept in step by triggers) or by a
    PostgreSQL GIN index over ``to_tsvector('simple', text)``; see migration 0003. Rebuilt
    when the message is recalled or an entity corrected, so restricted data stops matching.
    """

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="search")
    text = models.TextField()

    def __str__(self) -> str:
        return f"search text of {self.message_id}"


class DigestSent(models.Model):
    """That an organisation's overdue digest of one day went out: the job runs once per day."""

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    overdue = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "day"], name="exchange_one_digest_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"digest {self.organisation_id} {self.day}"


class Attachment(models.Model):
    """A file sent with a message, stored encrypted (AES-256-GCM, a key per file, chunked).

    Uploaded first (``message`` empty, owned by the uploading organisation), then bound to a
    message by ``send_message``, whose signed document carries its name, size and SHA-256.

    Forwarding passes a file on without copying its bytes: the forwarded message gets a row
    of its own (owned by the forwarding organisation) whose ``source`` is the stored file, and
    the key, nonce prefix and ciphertext are the source's.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, help_text=_("of the plaintext"))
    wrapped_key = models.BinaryField(help_text=_("the file key, sealed under the master key"))
    nonce_prefix = models.BinaryField()
    chunk_size = models.PositiveIntegerField()
    path = models.CharField(max_length=255, help_text=_("relative to MEDIA_ROOT"))
    uploaded_at = models.DateTimeField()
    uploaded_by = models.CharField(max_length=64)
    source = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("forwarded: the stored file passed on (its key, nonce prefix and bytes)"),
    )

    class Meta:
        ordering = ["message_id", "id"]

    def __str__(self) -> str:
        return self.name
