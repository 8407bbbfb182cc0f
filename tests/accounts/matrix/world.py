"""The own and the other organisation's objects the matrix requests, built through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.accounts.matrix.expectations import KNOWLEDGE_ITEM, ROLES, START

from firstline.accounts import apikeys, services
from firstline.accounts.models import ApiKey, Role, User
from firstline.core.models import WorkerHeartbeat
from firstline.directory.models import Organisation

# --- how to find the own and the other organisation's object for each path parameter -------------


@dataclass
class World:
    home: Organisation
    abroad: Organisation
    users: dict[str, User]
    sessions: dict[str, str]
    secrets: dict[str, str]
    keys: dict[str, ApiKey]
    targets: dict[str, User]
    objects: dict[str, dict[str, Any]]


OBJECTS: dict[str, Callable[[World, str], Any]] = {
    "key": lambda w, side: (w.home if side == "own" else w.abroad).key,
    "prefix": lambda w, side: w.keys[side].prefix,
    "user_id": lambda w, side: w.targets[side].pk,
    "username": lambda w, side: w.targets[side].username,
}


def _user(org: Organisation | None, role: str, name: str, **extra: Any) -> User:
    user = User.objects.create_user(
        username=name, password="x", organisation=org, role=role, clearance="RESTRICTED", **extra
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def _domain_objects(
    home: Organisation,
    abroad: Organisation,
    third: Organisation,
    users: dict[str, User],
    abroad_admin: User,
    targets: dict[str, User],
) -> dict[str, dict[str, Any]]:
    """The own and the other organisation's object for each path parameter of the domains,
    made through each domain's services (see tests/<domain>/conftest.py)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from firstline.audit import heads
    from firstline.audit.models import AuditEntry
    from firstline.coordination.models import PolicyLevel, RecommendationStatus
    from firstline.coordination.services import actions, calendars, documents, events
    from firstline.coordination.services import registrations as regs
    from firstline.directory.models import FocalPoint, Membership, Network, Person, Unit
    from firstline.exchange import attachments, followup
    from firstline.exchange.services import send_message

    sides: dict[str, tuple[Organisation, User, User]] = {
        # organisation, an organiser of it, one of its practitioners (not a matrix actor)
        "own": (home, users["coordinator"], targets["own"]),
        "other": (abroad, abroad_admin, targets["other"]),
    }
    third_user = _user(third, Role.ORG_ADMIN, "third-admin")
    start = START
    objects: dict[str, dict[str, Any]] = {}

    def put(name: str, side: str, value: Any) -> None:
        objects.setdefault(name, {})[side] = value

    for side, (org, organiser, member) in sides.items():
        # directory
        network = Network.objects.create(
            key=f"{side}-net", name=f"{side} network", level="operational"
        )
        Membership.objects.create(network=network, organisation=org, role="member")
        unit = Unit.objects.create(organisation=org, key=f"{side}-unit", name=f"{side} unit")
        person = Person.objects.create(
            key=f"{side}-person", organisation=org, given_name="Ana", family_name=f"{side.title()}"
        )
        membership = Membership.objects.create(network=network, person=person, role="member")
        focal = FocalPoint.objects.create(country=org.country, topic="FTF", person=person)
        put("network", side, network.key)
        put("unit_key", side, unit.key)
        put("person_key", side, person.key)
        put("membership_id", side, membership.pk)
        put("focal_point_id", side, focal.pk)
        put("code", side, org.country.code)
        put("org_key", side, org.key)
        # exchange: a message to a third organisation (so only its sender side sees it)
        upload = attachments.store_upload(
            member, io.BytesIO(b"notes"), name="notes.txt", content_type="text/plain"
        )
        message = send_message(
            member,
            recipients=[third.key],
            subject=f"{side} message",
            body="Please confirm.",
            message_type="request",
            urgency="other",
            tlp="AMBER",
            handling="H0",
            classification="RESTRICTED",
            evaluation={"source": "B", "information": "2"},
            entities=[
                {
                    "kind": "person",
                    "names": ["Arben Krasniqi"],
                    "category": "person_at_risk",
                    "purpose": "prevention of radicalisation",
                    "legal_basis": "Law 108/2014 on State Police, Art. 4",
                    "review_date": "2027-01-31",
                    "retention_end": "2030-01-31",
                }
            ],
            attachments=[upload.uuid],
        )
        put("message_id", side, message.uuid)
        put("message_subject", side, f"{side} message")
        put("reference", side, message.thread.reference)
        put("attachment_id", side, upload.uuid)
        put("position", side, 0)
        # a request to pass on a message the side's organisation sent (it decides it)
        asked = send_message(
            member,
            recipients=[third.key],
            subject=f"{side} H2 message",
            body="Ask before passing this on.",
            message_type="notification",
            urgency="other",
            tlp="AMBER",
            handling="H2",
            classification="RESTRICTED",
            evaluation={"source": "B", "information": "2"},
        )
        forward = followup.forward_message(
            third_user, asked, recipients=[home.key if side == "other" else abroad.key]
        )
        put("request_id", side, forward.pk)
        # coordination: an event organised by the side's organisation, TLP:AMBER
        event = events.create_event(
            organiser,
            kind="national_workshop",
            title=f"{side} workshop",
            start=start,
            end=start + dt.timedelta(hours=8),
            timezone="Europe/Tirane",
            organisers=[org],
            country=org.country,
            venue="Tirana",
            capacity=10,
            tlp="AMBER",
        )
        session = events.add_session(
            organiser, event, title="Opening", start=start, end=start + dt.timedelta(hours=1)
        )
        registration = regs.register(member, event, dietary_needs="vegetarian")
        document = documents.attach_document(
            organiser,
            event,
            title="Agenda",
            upload=SimpleUploadedFile("agenda.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        minutes = documents.save_minutes(organiser, event, text="We met.")
        put("event_id", side, event.pk)
        put("session_id", side, session.pk)
        put("registration_id", side, registration.pk)
        put("document", side, document.pk)
        put("minutes", side, minutes.minutes_id)
        put("check_in_token", side, regs.badge_token(registration))
        put("feed_token", side, calendars.issue_feed_token(member))
        recommendation = actions.create_recommendation(
            organiser,
            text=f"{side} recommendation",
            level=PolicyLevel.OPERATIONAL,
            event=event,
            status=RecommendationStatus.AGREED,
        )
        put("rec_id", side, recommendation.pk)
        put("rec_text", side, f"{side} recommendation")
        put("event_title", side, f"{side} workshop")
        plan = actions.create_plan(
            organiser,
            key=f"{side}-plan",
            kind="national_action_plan",
            title=f"{side} plan",
            coordinator=org,
            country=org.country,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2027, 12, 31),
            tlp="AMBER",
        )
        objective = actions.add_objective(organiser, plan, code="1", title="Prevention")
        action = actions.create_action(
            organiser,
            objective,
            code="1.1",
            title=f"{side} action",
            owner=org,
            level=PolicyLevel.OPERATIONAL,
            priority="high",
            start=dt.date(2025, 1, 1),
            due=dt.date(2025, 1, 31),
            indicator="Officers trained",
            baseline="0",
            target="120",
        )
        progress = actions.report_progress(
            member,
            action,
            text="Half done.",
            document=SimpleUploadedFile("evidence.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        put("plan", side, plan.key)
        put("action_id", side, action.pk)
        put("action_title", side, f"{side} action")
        put("progress", side, progress.pk)
        put("kind", side, "countries")
        put("ref", side, org.country.code)
        put("abroad_ref", side, abroad.country.code)  # the other country's figures, either side
        put("fmt", side, "csv")
    from firstline.knowledge import services as knowledge

    for side, (_org, _, member) in sides.items():
        # knowledge: a practice of the side's organisation for its national platform (TLP:AMBER)
        item = knowledge.create_item(
            member,
            knowledge.ItemInput(
                kind="practice",
                language="en",
                title=f"{side} practice",
                fields=dict(KNOWLEDGE_ITEM["fields"]),
                tlp="AMBER",
                classification="UNCLASSIFIED",
                scope="national",
            ),
        )
        attachment = knowledge.add_attachment(
            member,
            item.pk,
            SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        )
        put("item_id", side, item.pk)
        put("item_title", side, f"{side} practice")
        put("knowledge_attachment", side, attachment.key)
        put("number", side, 1)
        put("language", side, "sq")
        put("practice", side, "practice")
    for side, (org, _, _) in sides.items():
        entry = (
            AuditEntry.objects.filter(actor_organisation=f"org:{org.pk}").order_by("seq").first()
        )
        assert entry is not None
        put("seq", side, entry.seq)
    heads.sign_tree_head()
    return objects


@pytest.fixture
def world(
    albanian_police: Organisation,
    serbian_ministry: Organisation,
    kumanovo_municipality: Organisation,
    settings: Any,
    tmp_path: Any,
) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    home, abroad = albanian_police, serbian_ministry
    users = {role: _user(home, role, f"home-{role}") for role in ROLES if role != Role.NODE_ADMIN}
    users["node_admin"] = _user(None, Role.NODE_ADMIN, "node-admin", is_staff=True)
    abroad_admin = _user(abroad, Role.ORG_ADMIN, "abroad-admin")
    targets = {
        "own": _user(home, Role.PRACTITIONER, "home-target"),
        "other": _user(abroad, Role.PRACTITIONER, "abroad-target"),
    }

    sessions = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        sessions[name] = session.session_key

    def key(creator: User, scopes: list[str], name: str) -> tuple[ApiKey, str]:
        return services.create_api_key(
            actor=creator, name=name, role=Role.ORG_ADMIN, clearance="RESTRICTED", scopes=scopes
        )

    every = apikeys.available_scopes()
    secrets = {
        "apikey_read": key(users["org_admin"], [s for s in every if s.endswith(".view")], "read")[
            1
        ],
        "apikey_write": key(users["org_admin"], every, "write")[1],
    }
    keys = {
        "own": key(users["org_admin"], ["directory.view"], "own object")[0],
        "other": key(abroad_admin, ["directory.view"], "other object")[0],
    }
    WorkerHeartbeat.objects.create(worker_id="matrix", seen_at=timezone.now())
    objects = _domain_objects(home, abroad, kumanovo_municipality, users, abroad_admin, targets)
    return World(home, abroad, users, sessions, secrets, keys, targets, objects)
