"""Background work of the coordination domain: e-mails and the daily overdue digest.

Every task takes primary keys or an ISO date and is safe to run twice: what was already sent
is recorded (``notified_status``, ``notified_at``, ``DigestDelivery``) and not sent again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task

from firstline import policy
from firstline.accounts.models import Role, User
from firstline.coordination.ical import calendar_bytes
from firstline.coordination.models import (
    OPEN_STATUSES,
    Action,
    DigestDelivery,
    Invitation,
    Registration,
    RegistrationStatus,
)
from firstline.core import clock

DIGEST_ROLES = (Role.COORDINATOR, Role.ORG_ADMIN)


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@task()
def notify_registration(registration_id: int) -> str:
    """Tell the registrant where they stand: confirmed (with the event as iCalendar),
    waiting list, promoted, or cancelled. Sends nothing if they were told already."""
    registration = Registration.objects.select_related("event").filter(pk=registration_id).first()
    if registration is None or registration.notified_status == registration.status:
        return "nothing to send"
    if not registration.email:
        Registration.objects.filter(pk=registration.pk).update(notified_status=registration.status)
        return "no address"
    event = registration.event
    promoted = (
        registration.status == RegistrationStatus.CONFIRMED and registration.promoted_at is not None
    )
    context = {
        "registration": registration,
        "event": event,
        "promoted": promoted,
        "url": _site(f"/coordination/events/{event.pk}/"),
        "badge_url": _site(f"/coordination/registrations/{registration.pk}/badge/"),
    }
    message = EmailMessage(
        subject=render_to_string("coordination/email/registration_subject.txt", context).strip(),
        body=render_to_string("coordination/email/registration.txt", context),
        to=[registration.email],
    )
    if registration.status == RegistrationStatus.CONFIRMED:
        message.attach(
            "event.ics",
            calendar_bytes([event], name=event.display_title, method="PUBLISH"),
            "text/calendar",
        )
    message.send()
    Registration.objects.filter(pk=registration.pk, status=registration.status).update(
        notified_status=registration.status
    )
    return registration.status


@task()
def notify_invitation(invitation_id: int) -> str:
    """E-mail an invitation to the invited person or organisation, once."""
    invitation = (
        Invitation.objects.select_related("event", "organisation", "person")
        .filter(pk=invitation_id, notified_at__isnull=True)
        .first()
    )
    if invitation is None:
        return "nothing to send"
    address = (invitation.person.email if invitation.person else "") or (
        invitation.organisation.email if invitation.organisation else ""
    )
    if address:
        event = invitation.event
        context = {
            "invitation": invitation,
            "event": event,
            "url": _site(f"/coordination/events/{event.pk}/"),
        }
        message = EmailMessage(
            subject=render_to_string("coordination/email/invitation_subject.txt", context).strip(),
            body=render_to_string("coordination/email/invitation.txt", context),
            to=[address],
        )
        message.attach(
            "event.ics",
            calendar_bytes([event], name=event.display_title, method="PUBLISH"),
            "text/calendar",
        )
        message.send()
    Invitation.objects.filter(pk=invitation.pk).update(notified_at=clock.now())
    return address or "no address"


def digest_recipients(day: dt.date) -> dict[int, list[Action]]:
    """User id → the overdue actions they answer for (owner) or coordinate (plan) on ``day``."""
    overdue = Action.objects.filter(due__lt=day, status__in=OPEN_STATUSES).select_related("plan")
    org_actions: dict[int, set[int]] = defaultdict(set)
    for action_id, owner_id, coordinator_id in overdue.values_list(
        "pk", "owner_id", "plan__coordinator_id"
    ):
        org_actions[owner_id].add(action_id)
        org_actions[coordinator_id].add(action_id)
    if not org_actions:
        return {}
    users = User.objects.filter(
        is_active=True, organisation_id__in=list(org_actions), role__in=DIGEST_ROLES
    ).exclude(email="")
    result: dict[int, list[Action]] = {}
    for user in users:
        assert user.organisation_id is not None
        ids = org_actions[user.organisation_id]
        visible = (
            policy.visible_to(user, Action)
            .filter(pk__in=ids)
            .select_related("plan", "owner")
            .order_by("due", "pk")
        )
        actions = list(visible)
        if actions:
            result[user.pk] = actions
    return result


@task()
def send_overdue_digests(day: str) -> int:
    """E-mail each owner and coordinator the overdue actions of ``day`` (ISO date), once a day.

    A delivery is recorded in the transaction that sends it, so a second run the same day sends
    nothing more, and a failed send leaves no record (the next run retries it).
    """
    date = dt.date.fromisoformat(day)
    sent = 0
    for user_id, actions in digest_recipients(date).items():
        user = User.objects.get(pk=user_id)
        with transaction.atomic():
            _, created = DigestDelivery.objects.get_or_create(
                user=user, day=date, defaults={"sent_at": clock.now(), "actions": len(actions)}
            )
            if not created:
                continue
            context = {
                "user": user,
                "day": date,
                "actions": actions,
                "url": _site("/coordination/overdue/"),
            }
            EmailMessage(
                subject=render_to_string("coordination/email/digest_subject.txt", context).strip(),
                body=render_to_string("coordination/email/digest.txt", context),
                to=[user.email],
            ).send()
            sent += 1
    return sent
