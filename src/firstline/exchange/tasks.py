"""Background jobs of the exchange: the daily digest of overdue requests.

``firstline exchange_digest`` (run daily from cron or a systemd timer) enqueues one job per
organisation with overdue requests. A job takes primary keys and a day, and records that the
digest went out, so running it twice sends nothing more. The e-mails name reference numbers and
deadlines only — never subjects or personal data, which stay behind sign-in.

Each user is told only of the requests the policy lets them see (``Message.objects.visible_to``):
a TLP:RED request reaches only the users named on it, a classification only those cleared for
it. The organisation's own address is no user and may see nothing, so it gets the count alone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from firstline.core import clock
from firstline.directory.models import Organisation
from firstline.exchange import queries
from firstline.exchange.models import DigestSent, Message, Receipt


def overdue_receipts(organisation_id: int, now: dt.datetime) -> list[Receipt]:
    """The organisation's overdue requests, as its overdue folder lists them."""
    return list(
        queries.overdue_receipts(now)
        .filter(organisation_id=organisation_id)
        .select_related("message__thread")
        .order_by("due_at")
    )


def _email(template: str, context: dict[str, Any], to: str, language: str) -> EmailMessage:
    """One e-mail of ``exchange/email/<template>``, written in ``language``."""
    with translation.override(language):
        subject = render_to_string("exchange/email/digest_subject.txt", context).strip()
        body = render_to_string(f"exchange/email/{template}.txt", context)
    return EmailMessage(subject=subject, body=body, to=[to])


def digest_emails(org: Organisation, late: list[Receipt]) -> list[EmailMessage]:
    """The digest of ``late`` (the organisation's overdue receipts): to each active user with
    an address, the ones they may see (none: no e-mail); to the organisation's address, the
    count and where to sign in."""
    context: dict[str, Any] = {
        "node": settings.NODE_NAME,
        "organisation": org,
        "url": f"{settings.SITE_URL}{reverse('exchange:overdue')}",
    }
    emails = []
    if org.email:
        count = {**context, "n": len(late)}
        emails.append(_email("digest_organisation", count, org.email, settings.LANGUAGE_CODE))
    late_ids = [r.message_id for r in late]
    for user in org.users.filter(is_active=True).exclude(email="").order_by("pk"):
        # the policy door, as the overdue folder reads it: never a copy of its rules here
        visible = set(
            Message.objects.visible_to(user).filter(pk__in=late_ids).values_list("pk", flat=True)
        )
        lines = [
            (r.message.thread.reference, f"{r.due_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}")
            for r in late
            if r.message_id in visible and r.due_at is not None
        ]
        if lines:
            language = user.language or settings.LANGUAGE_CODE
            emails.append(
                _email("digest", {**context, "n": len(lines), "lines": lines}, user.email, language)
            )
    return emails


@task()
def send_overdue_digest(organisation_id: int, day: str) -> int:
    """E-mail one organisation's users its overdue requests of ``day`` (ISO date), once per
    day; return how many requests of the organisation are overdue.

    ``DigestSent`` is written in the transaction that sends, and is unique per organisation and
    day: a second run (or a concurrent one, which waits on the unique index) fails to insert it
    and sends nothing; a failed send rolls the record back, so the next run retries.
    """
    now = clock.now()
    org = Organisation.objects.get(pk=organisation_id)
    late = overdue_receipts(organisation_id, now)
    if not late:
        return 0
    try:
        with transaction.atomic():
            DigestSent.objects.create(
                organisation=org, day=dt.date.fromisoformat(day), overdue=len(late), sent_at=now
            )
            emails = digest_emails(org, late)
            if emails:
                get_connection().send_messages(emails)
    except IntegrityError:
        return 0  # already sent today
    return len(late)


def enqueue_overdue_digests(now: dt.datetime | None = None) -> list[int]:
    """Enqueue today's digest for every organisation with an overdue request."""
    at = now or clock.now()
    day = at.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date().isoformat()
    org_ids = sorted(set(queries.overdue_receipts(at).values_list("organisation_id", flat=True)))
    for org_id in org_ids:
        send_overdue_digest.enqueue(org_id, day)
    return org_ids


@task()
def purge_unsent_uploads(older_than_hours: int = 24) -> int:
    """Delete uploads never bound to a message (their send failed or never happened)."""
    from firstline.exchange.attachments import discard
    from firstline.exchange.models import Attachment

    cutoff = clock.now() - dt.timedelta(hours=older_than_hours)
    stale = list(Attachment.objects.filter(message__isnull=True, uploaded_at__lt=cutoff))
    for attachment in stale:
        discard(attachment)
    return len(stale)
