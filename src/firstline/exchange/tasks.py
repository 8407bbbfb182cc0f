"""Background jobs of the exchange: the daily digest of overdue requests.

``firstline exchange_digest`` (run daily from cron or a systemd timer) enqueues one job per
organisation with overdue requests. A job takes primary keys and a day, and records that the
digest went out, so running it twice sends one e-mail. The e-mail names reference numbers and
deadlines only — never subjects or personal data, which stay behind sign-in.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_tasks import task

from firstline.core import clock
from firstline.directory.models import Organisation
from firstline.exchange import queries
from firstline.exchange.models import DigestSent, Receipt


def overdue_receipts(organisation_id: int, now: dt.datetime) -> list[Receipt]:
    """The organisation's overdue requests, as its overdue folder lists them."""
    return list(
        queries.overdue_receipts(now)
        .filter(organisation_id=organisation_id)
        .select_related("message__thread")
        .order_by("due_at")
    )


@task()
def send_overdue_digest(organisation_id: int, day: str) -> int:
    """E-mail one organisation its overdue requests of ``day`` (ISO date); once per day."""
    now = clock.now()
    org = Organisation.objects.get(pk=organisation_id)
    late = overdue_receipts(organisation_id, now)
    if not late:
        return 0
    users = org.users.filter(is_active=True).exclude(email="")
    addresses = sorted(({org.email} | set(users.values_list("email", flat=True))) - {""})
    try:
        with transaction.atomic():
            DigestSent.objects.create(
                organisation=org, day=dt.date.fromisoformat(day), overdue=len(late), sent_at=now
            )
            if addresses:
                lines = [
                    f"- {r.message.thread.reference}: due {r.due_at:%Y-%m-%d %H:%M} UTC"
                    for r in late
                ]
                send_mail(
                    subject=f"[{settings.NODE_NAME}] {len(late)} overdue request(s)",
                    message=(
                        f"{org.name} has {len(late)} request(s) past the deadline of "
                        "Directive (EU) 2023/977:\n\n"
                        + "\n".join(lines)
                        + f"\n\n{settings.SITE_URL}{reverse('exchange:overdue')}\n"
                    ),
                    from_email=None,
                    recipient_list=addresses,
                )
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
