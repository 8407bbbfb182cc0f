"""Every page and API endpoint that returns personal data writes an audit entry.

The test walks every URL the node serves (the Django admin aside: its screens are logged by
``accounts.admin_site.PolicyAdminMixin`` and tested in tests/accounts/test_admin.py) and fails
on one that is in neither table below, so a new endpoint cannot ship unclassified: add it to ``PERSONAL_DATA``
with a request that reads something (and the user making it), or to ``NO_PERSONAL_DATA``.

For each read it checks the entry, not only that there is one: made by the caller, naming what
it showed, and naming as a data subject the fixture's person it showed (``SHOWS``). Reads of a
message carrying special categories (LED Art. 10) carry the reader's justification
(``SENSITIVE``), and a read whose entry cannot be written fails without showing anything.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.exchange.conftest import person

from firstline.accounts.models import User
from firstline.audit import heads, store
from firstline.audit.log import record
from firstline.audit.models import AuditEntry, Operation
from firstline.coordination.services import events
from firstline.coordination.services import registrations as regs
from firstline.directory.models import FocalPoint, Membership, Network, Organisation, Person
from firstline.exchange import attachments
from firstline.exchange.services import send_message

# url name -> (path to request, fixture name of the user who may read it); ``{name}`` in a path
# is one of the ``records`` below (a message, an event, a registration...), or ``{looked_up}``:
# the entry the test writes first, about the Albanian officer's directory Person
PERSONAL_DATA: dict[str, tuple[str, str]] = {
    "audit:search": ("/audit/", "node_admin"),
    "audit:export": ("/audit/export.csv?subject={person}", "node_admin"),
    "audit:proof": ("/audit/entries/{looked_up}/proof.json", "node_admin"),
    "audit:me": ("/audit/me/", "albanian_officer"),
    "api:entries": (
        "/api/v1/audit/entries?start={looked_up}&end={looked_up}",
        "node_admin",
    ),
    # accounts: the organisation's users (names, e-mail addresses)
    "accounts:users": ("/accounts/users/", "albanian_org_admin"),
    # directory: people, and the memberships and focal points naming them
    "directory:organisation": ("/directory/organisations/al-asp-ctu/", "albanian_officer"),
    "directory:network": ("/directory/networks/matrix-net/", "albanian_officer"),
    "directory:person_edit": (
        "/directory/organisations/al-asp-ctu/people/al-officer/edit/",
        "albanian_org_admin",
    ),
    "api:list_people": ("/api/v1/directory/people", "albanian_officer"),
    "api:get_person": ("/api/v1/directory/people/al-officer", "albanian_officer"),
    "api:list_memberships": ("/api/v1/directory/memberships", "albanian_officer"),
    "api:get_membership": ("/api/v1/directory/memberships/{membership}", "albanian_officer"),
    "api:list_focal_points": ("/api/v1/directory/focal-points", "albanian_officer"),
    "api:get_focal_point": ("/api/v1/directory/focal-points/{focal_point}", "albanian_officer"),
    # exchange: the people a message is about
    "exchange:thread": ("/exchange/threads/{reference}/", "albanian_officer"),
    "exchange:recall": ("/exchange/messages/{message}/recall/", "albanian_officer"),
    "exchange:search": ("/exchange/search/?q=Krasniqi&justification=case+42", "albanian_officer"),
    "api:get_message": ("/api/v1/exchange/messages/{message}", "albanian_officer"),
    "api:get_thread": ("/api/v1/exchange/threads/{reference}", "albanian_officer"),
    "api:search": ("/api/v1/exchange/search?q=Krasniqi&justification=case+42", "albanian_officer"),
    "api:download": (
        "/api/v1/exchange/messages/{message}/attachments/{attachment}",
        "albanian_officer",
    ),
    # coordination: registrations (needs), participants, badges, speakers and invited people
    "coordination:event": ("/coordination/events/{event}/", "albanian_org_admin"),
    "coordination:invitations": ("/coordination/events/{event}/invitations/", "albanian_org_admin"),
    "coordination:registrations": (
        "/coordination/events/{event}/registrations/",
        "albanian_org_admin",
    ),
    "coordination:attendance": ("/coordination/events/{event}/attendance/", "albanian_org_admin"),
    "coordination:participants": (
        "/coordination/events/{event}/participants/",
        "albanian_org_admin",
    ),
    "coordination:badge": (
        "/coordination/registrations/{registration}/badge/",
        "albanian_org_admin",
    ),
    "coordination:check_in": (
        "/coordination/events/{event}/check-in/{token}/",
        "albanian_org_admin",
    ),
    "api:list_registrations": (
        "/api/v1/coordination/events/{event}/registrations",
        "albanian_org_admin",
    ),
    "api:get_event": ("/api/v1/coordination/events/{event}", "albanian_org_admin"),  # speakers
    "api:participants": ("/api/v1/coordination/events/{event}/participants", "albanian_org_admin"),
}
# Which of the fixture's data subjects each read names: the officer's directory Person
# ("person"), the person a message is about ("entity") or the officer's account ("account":
# registrations, the users list). Audit pages name the people of the entries they show.
SHOWS: dict[str, str] = {
    "audit:search": "person",
    "audit:export": "person",  # the subject searched for
    "audit:proof": "person",
    "audit:me": "person",
    "api:entries": "person",
    "accounts:users": "account",
    "directory:organisation": "person",
    "directory:network": "person",
    "directory:person_edit": "person",
    "api:list_people": "person",
    "api:get_person": "person",
    "api:list_memberships": "person",
    "api:get_membership": "person",
    "api:list_focal_points": "person",
    "api:get_focal_point": "person",
    "exchange:thread": "entity",
    "exchange:recall": "entity",
    "exchange:search": "entity",
    "api:get_message": "entity",
    "api:get_thread": "entity",
    "api:search": "entity",
    "api:download": "entity",
    "coordination:event": "person",  # the speaker
    "coordination:invitations": "person",
    "coordination:registrations": "account",
    "coordination:attendance": "account",
    "coordination:participants": "account",
    "coordination:badge": "account",
    "coordination:check_in": "account",
    "api:list_registrations": "account",
    "api:get_event": "person",
    "api:participants": "account",
}
# The reads of a message carrying special categories (LED Art. 10), made with a justification:
# the page's form, or the API's headers.
SENSITIVE: dict[str, str] = {
    "exchange:thread": "/exchange/threads/{reference}/",
    "api:get_message": "/api/v1/exchange/messages/{message}",
    "api:get_thread": "/api/v1/exchange/threads/{reference}",
    "api:download": "/api/v1/exchange/messages/{message}/attachments/{attachment}",
    "api:get_envelope": "/api/v1/exchange/messages/{message}/envelope",
}
NO_PERSONAL_DATA = {
    "core:dashboard",
    "core:healthz",
    "core:readyz",
    "accounts:login",
    "accounts:logout",
    "accounts:verify",
    "accounts:account",  # the signed-in user's own account, shown to them
    "accounts:enrol",  # the user's own second factor
    "accounts:profile",  # POST: the user's own profile
    "accounts:password",  # POST
    "accounts:recovery_codes",  # POST: the user's own codes
    "accounts:replace_authenticator",  # POST: the user's own password check
    "accounts:api_keys",  # keys: names, prefixes, scopes
    "accounts:revoke_api_key",  # POST
    "accounts:change_user_access",  # POST: logged as permission_change
    "api:me",  # the caller's own account
    "api:list_keys",
    "api:get_key",
    "api:create_key",
    "api:revoke_key",
    "api:change_access",  # logged as permission_change
    "directory:organisations",
    "directory:networks",
    "directory:countries",
    "directory:country_map",  # organisations and networks, no people
    "directory:organisation_add",
    "directory:organisation_edit",
    "directory:unit_add",
    "directory:unit_edit",
    "directory:unit_delete",
    "directory:person_add",  # an empty form; the write is logged as collect
    "directory:person_delete",  # the confirmation names no one; the erase is logged
    "api:list_countries",
    "api:get_country",
    "api:list_organisations",
    "api:get_organisation",
    "api:list_units",
    "api:get_unit",
    "api:list_networks",
    "api:get_network",
    # directory writes: the services log collect, alter and erase for people
    "api:create_organisation",
    "api:update_organisation",
    "api:delete_organisation",
    "api:create_unit",
    "api:update_unit",
    "api:delete_unit",
    "api:create_person",
    "api:update_person",
    "api:delete_person",
    "api:create_network",
    "api:update_network",
    "api:delete_network",
    "api:create_membership",
    "api:update_membership",
    "api:delete_membership",
    "api:create_focal_point",
    "api:update_focal_point",
    "api:delete_focal_point",
    # exchange: folders and summaries show subjects and markings, not the entities
    "exchange:inbox",
    "exchange:sent",
    "exchange:overdue",
    "exchange:compose",
    "exchange:reply",
    "exchange:forward",
    "exchange:signature",  # keys and signatures
    "exchange:permissions",  # H2 requests: organisations and subjects
    "api:list_messages",
    "api:get_envelope",  # encrypted to the recipients' keys
    "api:organisation_keys",  # public keys
    "api:permission_requests",
    # exchange writes: sending logs collect, the follow-ups log disclose and alter
    "api:send",
    "api:upload",
    "api:forward",
    "api:decide",
    "api:recall",
    "api:correct",
    # coordination: events, plans, recommendations and figures (organisations, not people)
    "coordination:home",
    "coordination:events",
    "coordination:event_create",
    "coordination:event_edit",
    "coordination:event_ics",
    "coordination:session_create",
    "coordination:item_create",
    "coordination:register",  # the user's own registration form
    "coordination:registration_cancel",  # POST
    "coordination:document",
    "coordination:document_create",
    "coordination:minutes_edit",
    "coordination:minutes_history",
    "coordination:calendar",
    "coordination:network_calendar",
    "coordination:feed_token",
    "coordination:feed_token_revoke",
    "coordination:feed_mine",
    "coordination:feed_network",
    "coordination:recommendations",
    "coordination:recommendation_create",
    "coordination:recommendation",
    "coordination:recommendation_action",
    "coordination:plans",
    "coordination:plan_create",
    "coordination:plan",
    "coordination:action_create",
    "coordination:plan_import",
    "coordination:plan_export",
    "coordination:action",
    "coordination:action_edit",
    "coordination:evidence",
    "coordination:overdue",
    "coordination:dashboards",
    "coordination:dashboard",
    "coordination:report",
    "coordination:report_pdf",
    "api:list_events",
    "api:event_ics",
    "api:list_recommendations",
    "api:get_recommendation",
    "api:recommendation_history",
    "api:list_plans",
    "api:get_plan",
    "api:export_plan",
    "api:list_actions",
    "api:get_action",
    "api:list_progress",
    "api:country_dashboard",
    "api:network_dashboard",
    # coordination writes (registering logs collect; attendance logs alter)
    "api:create_event",
    "api:update_event",
    "api:add_session",
    "api:add_item",
    "api:invite",
    "api:register",
    "api:cancel_registration",
    "api:attendance",
    "api:save_minutes",
    "api:create_recommendation",
    "api:update_recommendation",
    "api:recommendation_to_action",
    "api:create_plan",
    "api:add_objective",
    "api:create_action",
    "api:update_action",
    "api:report_progress",
    "api:import_plan",
    # knowledge: practices, lessons, indicators in context... never linked to a person (see
    # knowledge/models.py); versions name their author, a colleague acting for their organisation
    "api:add_attachment",
    "api:create_item",
    "api:diff_versions",
    "api:edit_item",
    "api:export_item",
    "api:export_selection",
    "api:get_attachment",
    "api:get_item",
    "api:get_version",
    "api:list_versions",
    "api:put_translation",
    "api:search_items",
    "api:translation_queue",
    "knowledge:attach",
    "knowledge:attachment",
    "knowledge:choose_kind",
    "knowledge:create",
    "knowledge:detail",
    "knowledge:diff",
    "knowledge:edit",
    "knowledge:export",
    "knowledge:export_selection",
    "knowledge:history",
    "knowledge:list",
    "knowledge:public_attachment",
    "knowledge:public_detail",
    "knowledge:public_export",
    "knowledge:public_feed",
    "knowledge:public_list",
    "knowledge:queue",
    "knowledge:queue_default",
    "knowledge:translate",
    "set_language",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    "api:log_key",
    "api:log_keys",
    "api:tree_head",
    "api:inclusion_proof",
    "api:consistency_proof",
}


@pytest.fixture
def records(
    albanian_contact: Person,
    albanian_officer: User,
    albanian_org_admin: User,
    serbian_ministry: Organisation,
    settings: Any,
    tmp_path: Any,
) -> dict[str, Any]:
    """Something personal to read in each domain: a message about a person (with a file), an
    event of the Albanian police with a speaker, an invited person and a registration, the
    officer's membership of a network and focal-point role."""
    settings.MEDIA_ROOT = tmp_path / "media"
    organisation = albanian_contact.organisation
    network = Network.objects.create(key="matrix-net", name="Matrix network", level="operational")
    membership = Membership.objects.create(network=network, person=albanian_contact, role="member")
    focal = FocalPoint.objects.create(
        country=organisation.country, topic="FTF", person=albanian_contact
    )
    upload = attachments.store_upload(
        albanian_officer, io.BytesIO(b"notes"), name="notes.txt", content_type="text/plain"
    )
    message = send_message(
        albanian_officer,
        recipients=[serbian_ministry.key],
        subject="Travel of a person at risk",
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
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(
        hour=8, minute=0, second=0, microsecond=0, tzinfo=None
    )
    event = events.create_event(
        albanian_org_admin,
        kind="national_workshop",
        title="Workshop",
        start=start,
        end=start + dt.timedelta(hours=8),
        timezone="Europe/Tirane",
        organisers=[organisation],
        country=organisation.country,
        venue="Tirana",
        capacity=10,
        tlp="AMBER",
    )
    session = events.add_session(
        albanian_org_admin, event, title="Opening", start=start, end=start + dt.timedelta(hours=1)
    )
    events.add_item(
        albanian_org_admin,
        session,
        title="Welcome",
        start=start,
        end=start + dt.timedelta(minutes=30),
        speakers=[events.SpeakerIn(person=albanian_contact)],
    )
    events.invite(albanian_org_admin, event, people=[albanian_contact])
    registration = regs.register(
        albanian_officer, event, dietary_needs="vegetarian", consent_to_list=True
    )
    return {
        "person": f"person:{albanian_contact.pk}",
        "entity": f"entity:{message.entities.get().pk}",
        "account": f"user:{albanian_officer.pk}",
        "membership": membership.pk,
        "focal_point": focal.pk,
        "message": message.uuid,
        "reference": message.thread.reference,
        "attachment": upload.uuid,
        "event": event.pk,
        "registration": registration.pk,
        "token": regs.badge_token(registration),
    }


def url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from url_names(pattern.url_patterns, full)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_is_classified() -> None:
    served = {n for n in url_names(get_resolver().url_patterns) if not n.startswith("admin")}
    unclassified = served - PERSONAL_DATA.keys() - NO_PERSONAL_DATA
    assert not unclassified, f"say whether these return personal data: {sorted(unclassified)}"
    assert PERSONAL_DATA.keys() == SHOWS.keys(), "say which data subject each read names"


@pytest.mark.parametrize("name", sorted(PERSONAL_DATA))
def test_each_read_of_personal_data_writes_an_entry(
    name: str,
    request: pytest.FixtureRequest,
    records: dict[str, Any],
    albanian_contact: Person,
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    with transaction.atomic():  # something to read: someone looked the officer up
        looked_up = record(
            actor=None,
            operation=Operation.CONSULT,
            object_type="directory.person",
            object_ids=[albanian_contact.pk],
            subjects=[albanian_contact],
        )
        record(actor=albanian_officer, operation=Operation.LOGIN)
    heads.sign_tree_head()
    path, user_fixture = PERSONAL_DATA[name]
    path = path.format(**records, looked_up=looked_up.seq)
    reader = request.getfixturevalue(user_fixture)
    before = AuditEntry.objects.count()
    response = signed_in(reader).get(path)
    assert response.status_code == 200, response.content[:300]
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.operation in (Operation.CONSULT, Operation.EXPORT)
    assert entry.actor_user == f"user:{reader.pk}"
    assert entry.object_ids, "the entry names what was shown"
    assert records[SHOWS[name]] in entry.subjects, f"{name} showed {records[SHOWS[name]]}"


@pytest.fixture
def sensitive_records(
    records: dict[str, Any], albanian_officer: User, serbian_ministry: Organisation
) -> dict[str, Any]:
    """A message about a person's health (a special category), with a file."""
    upload = attachments.store_upload(albanian_officer, io.BytesIO(b"notes"), name="notes.txt")
    message = send_message(
        albanian_officer,
        recipients=[serbian_ministry.key],
        subject="Care plan",
        body="See the person below.",
        message_type="spontaneous",
        tlp="AMBER",
        handling="H0",
        classification="RESTRICTED",
        evaluation={"source": "B", "information": "2"},
        entities=[
            person(
                special_categories=["health"],
                special_justification="Strictly necessary for the care plan.",
            )
        ],
        attachments=[upload.uuid],
    )
    return {
        "message": message.uuid,
        "reference": message.thread.reference,
        "attachment": upload.uuid,
        "entity": f"entity:{message.entities.get().pk}",
    }


@pytest.mark.parametrize("name", sorted(SENSITIVE))
def test_each_read_of_special_categories_carries_the_justification(
    name: str,
    sensitive_records: dict[str, Any],
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    path = SENSITIVE[name].format(**sensitive_records)
    client = signed_in(albanian_officer)
    reason = "Case work on this person"
    before = AuditEntry.objects.count()
    if name.startswith("api:"):
        response = client.get(
            path, HTTP_X_JUSTIFICATION_REASON=reason, HTTP_X_JUSTIFICATION="case 2026/17"
        )
    else:
        asked = client.post(
            path, {"justification_reason": reason, "justification_text": "case 2026/17"}
        )
        assert asked.status_code == 302
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.operation == Operation.CONSULT
    assert entry.actor_user == f"user:{albanian_officer.pk}"
    assert entry.justification == f"{reason}: case 2026/17"
    assert sensitive_records["entity"] in entry.subjects


@pytest.mark.parametrize(
    "path",
    ["/api/v1/directory/people/al-officer", "/directory/organisations/al-asp-ctu/"],
)
def test_a_read_fails_when_its_entry_cannot_be_written(
    path: str,
    albanian_contact: Person,
    albanian_officer: User,
    signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No access without an entry (LED Art. 25): the error reaches the reader, not the data."""

    def full_disk(values: dict[str, Any]) -> int:
        raise OperationalError("database or disk is full")

    client = signed_in(albanian_officer)
    assert "Hoxha" in client.get(path).content.decode()  # what the read shows when logged
    monkeypatch.setattr(store, "insert_entry", full_disk)
    client.raise_request_exception = False
    before = AuditEntry.objects.count()
    response = client.get(path)
    assert response.status_code >= 500
    assert "Hoxha" not in response.content.decode()
    assert "Arta" not in response.content.decode()
    assert AuditEntry.objects.count() == before
