"""Every marking enforced on every read path, for every reader.

A message is sent through ``send_message`` from the Albanian police to the Serbian ministry with
every TLP label at every classification level; then each reader below asks for it through every
page and API endpoint that can show it. What each reader must get comes from the rules written
out in :func:`may_read` (the issue's rules, not the policy code under test):

- the reader's organisation is a recipient;
- TLP:RED reaches only the users named on the message (an API key is never a named user);
- the reader's clearance is at or above the message's classification
  (UNCLASSIFIED < RESTRICTED < CONFIDENTIAL).

Forwarding adds the handling code: TLP:RED and TLP:AMBER+STRICT are never passed on, H2 waits
for the originator's permission, the forwarded copy keeps the markings. And a thread's subject
belongs to the message that opened it: a reader who may see a later message of the thread, but
not the first one, is not shown the subject.

The organisations, users, sessions and API key are built once for the module (``world``); each
test's messages are rolled back after it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from tests.conftest import make_organisation, make_user, signed_in_client  # type: ignore[import-not-found]

from firstline.accounts import services as accounts
from firstline.accounts.models import Role, User
from firstline.exchange import attachments, keys
from firstline.exchange.models import Message
from firstline.exchange.services import send_message

from .conftest import message_fields

TLPS = ["RED", "AMBER+STRICT", "AMBER", "GREEN", "CLEAR"]
LEVELS = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL"]  # the node's default order, lowest first
HANDLINGS = ["H0", "H1", "H2", "H3"]
NO_ONWARD = ("RED", "AMBER+STRICT")

RECIPIENT, THIRD = "rs-moi", "mk-kumanovo"
SUBJECT = "Convoy through Vermica"
BODY = "The convoy crossed at Qafa e Prushit before dawn."
SEARCH_WORD = "Prushit"  # a word of the body only
FILE = b"%PDF-1.4 the crossing report"
FILE_NAME = "crossing-report.pdf"
SECRETS = (SUBJECT, "Qafa e Prushit", "Krasniqi", FILE_NAME)  # what a hidden answer never holds
WHY = "case RS-4: the convoy's route"
API = "/api/v1/exchange"
SENT = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)  # an urgent request sent then is overdue


def cleared(clearance: str, classification: str) -> bool:
    return LEVELS.index(clearance) >= LEVELS.index(classification)


@dataclass(frozen=True)
class Reader:
    """Who asks. ``named``: named on a TLP:RED message whenever the sender may name them (a
    user cleared for its level; the service refuses to name anyone else)."""

    name: str
    username: str  # "" for the API key
    organisation: str
    clearance: str
    named: bool = False

    @property
    def api_key(self) -> bool:
        return not self.username


READERS = [
    Reader("named user", "rs-named", RECIPIENT, "CONFIDENTIAL", named=True),
    Reader("colleague", "rs-colleague", RECIPIENT, "CONFIDENTIAL"),
    Reader("restricted colleague", "rs-restricted", RECIPIENT, "RESTRICTED", named=True),
    Reader("unclassified colleague", "rs-unclassified", RECIPIENT, "UNCLASSIFIED", named=True),
    Reader("third organisation", "mk-reader", THIRD, "RESTRICTED"),
    Reader("api key", "", RECIPIENT, "RESTRICTED"),  # the recipient organisation's
]
BY_NAME = {r.name: r for r in READERS}


def may_read(reader: Reader, tlp: str, classification: str) -> bool:
    """The rules of the issue, written out."""
    return (
        reader.organisation == RECIPIENT
        and (tlp != "RED" or reader.named)
        and cleared(reader.clearance, classification)
    )


def named_on(tlp: str, classification: str) -> list[str]:
    """Whom the sender names on a TLP:RED message: every named reader cleared for it."""
    if tlp != "RED":
        return []
    return [r.username for r in READERS if r.named and cleared(r.clearance, classification)]


# --- the world: three organisations, the readers, built once for the module ---------------------


@dataclass
class Caller:
    """A reader's way in: a signed-in session, or ``Authorization: Bearer`` with the key."""

    client: Client
    headers: dict[str, str]

    def get(self, path: str, data: dict[str, str] | None = None) -> Any:
        return self.client.get(path, data, **self.headers)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self.client.post(
            path, json.dumps(payload), content_type="application/json", **self.headers
        )


@dataclass
class World:
    sender: User
    sender_client: Caller
    users: dict[str, User]
    callers: dict[str, Caller]


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built in a transaction of its own, rolled back after the module; each test runs in a
    savepoint inside it (pytest-django's ``db``), so its messages go with it."""
    with django_db_blocker.unblock(), transaction.atomic():
        orgs = {key: make_organisation(key) for key in ("al-asp-ctu", RECIPIENT, THIRD)}
        for org in orgs.values():
            keys.ensure_keys(org)
        sender = make_user(orgs["al-asp-ctu"], Role.ANALYST, "al-sender", "CONFIDENTIAL")
        users, callers = {}, {}
        for reader in READERS:
            if reader.api_key:
                admin = make_user(orgs[RECIPIENT], Role.ORG_ADMIN, "rs-admin", "CONFIDENTIAL")
                _, secret = accounts.create_api_key(
                    actor=admin,
                    name="case system",
                    role=Role.ANALYST,
                    clearance=reader.clearance,
                    scopes=["exchange.view", "exchange.add"],
                )
                callers[reader.name] = Caller(Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"})
            else:
                user = make_user(
                    orgs[reader.organisation], Role.ANALYST, reader.username, reader.clearance
                )
                users[reader.name] = user
                callers[reader.name] = Caller(signed_in_client(user), {})
        sender_client = Caller(signed_in_client(sender), {})
        yield World(sender, sender_client, users, callers)
        transaction.set_rollback(True)


def send_marked(
    world: World, tlp: str, classification: str, handling: str = "H0", **overrides: Any
) -> Message:
    """An urgent request (already overdue) with a person and a file, as the sender marks it."""
    upload = attachments.store_upload(
        world.sender, io.BytesIO(FILE), name=FILE_NAME, content_type="application/pdf"
    )
    fields = message_fields(
        subject=SUBJECT,
        body=BODY,
        urgency="urgent_direct",
        tlp=tlp,
        handling=handling,
        handling_text="Only for the convoy case." if handling == "H3" else "",
        classification=classification,
        named_users=named_on(tlp, classification),
        attachments=[upload.uuid],
    )
    fields.update(overrides)
    return send_message(world.sender, now=SENT, **fields)


# --- the read paths: each answers (shown, the text the reader got) ------------------------------


def _found(response: Any) -> bool:
    """200 shows it, 404 hides it; anything else is a fault of the path itself."""
    assert response.status_code in (200, 404), (response.status_code, response.content[:300])
    return bool(response.status_code == 200)


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return str(response.content.decode())


Path = Callable[[Caller, Message], tuple[bool, str]]


def _listed(path: str, **params: str) -> Path:
    def read(caller: Caller, m: Message) -> tuple[bool, str]:
        response = caller.get(path, params or None)
        assert response.status_code == 200, response.content[:300]
        text = _text(response)
        return m.thread.reference in text, text

    return read


def _api_listed(path: str, **params: str) -> Path:
    def read(caller: Caller, m: Message) -> tuple[bool, str]:
        response = caller.get(f"{API}{path}", params or None)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        items = body["items"] if isinstance(body, dict) else body
        return str(m.uuid) in {i["id"] for i in items}, _text(response)

    return read


def _one(url: Callable[[Message], str], *, shows_body: bool = False) -> Path:
    def read(caller: Caller, m: Message) -> tuple[bool, str]:
        response = caller.get(url(m))
        found, text = _found(response), _text(response)
        if found and shows_body:
            assert "Qafa e Prushit" in text  # the content itself, not an empty shell
        return found, text

    return read


def _attachment(m: Message) -> str:
    return f"{API}/messages/{m.uuid}/attachments/{m.attachments.get().uuid}"


def _downloaded(caller: Caller, m: Message) -> tuple[bool, str]:
    response = caller.get(_attachment(m))
    found = _found(response)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if found:
        assert content == FILE
    return found, "" if found else content.decode(errors="replace")


PAGES: dict[str, Path] = {
    "inbox page": _listed("/exchange/"),
    "overdue page": _listed("/exchange/overdue/"),
    "search page": _listed("/exchange/search/", q=SEARCH_WORD, justification=WHY),
    "thread page": _one(lambda m: f"/exchange/threads/{m.thread.reference}/", shows_body=True),
    "signature page": _one(lambda m: f"/exchange/messages/{m.uuid}/signature/"),
    "reply page": _one(lambda m: f"/exchange/messages/{m.uuid}/reply/"),
    "forward page": _one(lambda m: f"/exchange/messages/{m.uuid}/forward/"),
}
API_PATHS: dict[str, Path] = {
    "API inbox": _api_listed("/messages", folder="inbox"),
    "API overdue": _api_listed("/messages", folder="overdue"),
    "API search": _api_listed("/search", q=SEARCH_WORD, justification=WHY),
    "API message": _one(lambda m: f"{API}/messages/{m.uuid}", shows_body=True),
    "API thread": _one(lambda m: f"{API}/threads/{m.thread.reference}", shows_body=True),
    "API envelope": _one(lambda m: f"{API}/messages/{m.uuid}/envelope"),
    "API attachment": _downloaded,
}


def paths_of(reader: Reader) -> dict[str, Path]:
    """A key has no pages: it signs in to nothing, it calls the API."""
    return API_PATHS if reader.api_key else PAGES | API_PATHS


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("classification", LEVELS)
@pytest.mark.parametrize("tlp", TLPS)
def test_every_path_shows_a_message_exactly_to_the_readers_the_rules_allow(
    world: World, db: None, tlp: str, classification: str
) -> None:
    message = send_marked(world, tlp, classification)
    shown, leaked = {}, []
    for reader in READERS:
        for name, read in paths_of(reader).items():
            seen, text = read(world.callers[reader.name], message)
            shown[reader.name, name] = seen
            if not seen and any(secret in text for secret in SECRETS):
                leaked.append((reader.name, name))
    expected = {
        (reader.name, name): may_read(reader, tlp, classification)
        for reader in READERS
        for name in paths_of(reader)
    }
    assert shown == expected
    assert leaked == []


def forward_outcome(reader: Reader, tlp: str, handling: str, classification: str) -> int:
    """What asking to forward answers, by the rules: not visible 404; TLP:RED and
    TLP:AMBER+STRICT are never passed on (409); H2 asks the originator first (202)."""
    if not may_read(reader, tlp, classification):
        return 404
    if tlp in NO_ONWARD:
        return 409
    return 202 if handling == "H2" else 201


@pytest.mark.parametrize("classification", LEVELS)
@pytest.mark.parametrize("handling", HANDLINGS)
@pytest.mark.parametrize("tlp", TLPS)
def test_forwarding_follows_the_markings_and_the_copy_keeps_them(
    world: World, db: None, tlp: str, handling: str, classification: str
) -> None:
    message = send_marked(world, tlp, classification, handling)
    third = world.callers["third organisation"]
    third_reader = BY_NAME["third organisation"]
    answered, copies = {}, []

    def inbox_count() -> int:
        return int(third.get(f"{API}/messages", {"folder": "inbox"}).json()["count"])

    for reader in READERS:
        before = inbox_count()
        response = world.callers[reader.name].post(
            f"{API}/messages/{message.uuid}/forward", {"recipients": [THIRD]}
        )
        answered[reader.name] = response.status_code
        if response.status_code == 202:
            ask = response.json()["permission_request"]
            assert inbox_count() == before  # nothing goes on before the originator decides
            decision = world.sender_client.post(
                f"{API}/permission-requests/{ask['id']}/decision", {"approve": True}
            )
            assert decision.status_code == 200, decision.content
            copies.append(decision.json()["forwarded"])
        elif response.status_code == 201:
            copies.append(response.json()["message"])
    assert answered == {r.name: forward_outcome(r, tlp, handling, classification) for r in READERS}
    for copy_id in copies:
        copy = Message.objects.get(uuid=copy_id)
        assert (copy.tlp, copy.handling, copy.classification) == (tlp, handling, classification)
        assert copy.forwarded_from == message
        expected = cleared(third_reader.clearance, classification)
        assert _one(lambda m: f"{API}/messages/{m.uuid}")(third, copy)[0] is expected
        assert _downloaded(third, copy)[0] is expected


# --- a thread's subject belongs to the message that opened it -----------------------------------

LATER_BODY = "Second report: the convoy came back through Dragash."
LATER_WORD = "Dragash"
SUBJECT_WORD = "Vermica"  # of the subject only


@dataclass(frozen=True)
class Scene:
    """A thread opened by a message the reader may not see, and a later one they may."""

    reader: str
    opener: dict[str, Any]
    later: dict[str, Any]
    folder: str = "inbox"  # where the later message reaches the reader
    reply_by: str = ""  # the later message is a reply of this reader (else the sender's)


SCENES = {
    "TLP:RED opener, a colleague not named": Scene("colleague", {"tlp": "RED"}, {}),
    "TLP:RED opener, the organisation's API key": Scene("api key", {"tlp": "RED"}, {}),
    "CONFIDENTIAL opener, an UNCLASSIFIED later message": Scene(
        "unclassified colleague", {"classification": "CONFIDENTIAL"}, {}
    ),
    "opener to another organisation": Scene("third organisation", {}, {"recipients": [THIRD]}),
    "TLP:RED opener answered by its named user in TLP:AMBER": Scene(
        "colleague",
        {"tlp": "RED"},
        {"tlp": "AMBER", "message_type": "reply", "urgency": "", "recipients": []},
        folder="sent",  # the named user's colleagues see their organisation's sent reply
        reply_by="named user",
    ),
}


def continue_thread(world: World, scene: Scene) -> tuple[Message, Message]:
    """The opener (as the scene marks it) and a later message of its thread."""
    markings = {"tlp": "AMBER", "classification": "RESTRICTED"} | scene.opener
    opener = send_marked(world, **markings)
    later_fields = {
        "subject": "",
        "body": LATER_BODY,
        "classification": "UNCLASSIFIED",
        "entities": [],
        "evaluation": None,
        "message_type": "spontaneous",
        "urgency": "",
    }
    fields = message_fields(**(later_fields | scene.later))
    if scene.reply_by:
        later = send_message(
            world.users[scene.reply_by], in_reply_to=opener.uuid, now=SENT, **fields
        )
    else:
        later = send_message(world.sender, thread=opener.thread.reference, now=SENT, **fields)
    return opener, later


def subject_paths(folder: str) -> dict[str, Callable[[Caller, Message], Any]]:
    """Every answer in which the later message (or its thread) shows its subject."""
    search = {"q": LATER_WORD, "justification": WHY}
    return {
        f"{folder} page": lambda c, m: c.get(f"/exchange/{'' if folder == 'inbox' else 'sent/'}"),
        "thread page": lambda c, m: c.get(f"/exchange/threads/{m.thread.reference}/"),
        "search page": lambda c, m: c.get("/exchange/search/", search),
        f"API {folder}": lambda c, m: c.get(f"{API}/messages", {"folder": folder}),
        "API message": lambda c, m: c.get(f"{API}/messages/{m.uuid}"),
        "API thread": lambda c, m: c.get(f"{API}/threads/{m.thread.reference}"),
        "API search": lambda c, m: c.get(f"{API}/search", search),
    }


@pytest.mark.parametrize("scene", SCENES.values(), ids=SCENES.keys())
def test_a_threads_subject_is_not_shown_to_a_reader_who_may_not_see_its_first_message(
    world: World, db: None, scene: Scene
) -> None:
    _, later = continue_thread(world, scene)
    reader = BY_NAME[scene.reader]
    caller = world.callers[reader.name]
    paths = {
        name: read
        for name, read in subject_paths(scene.folder).items()
        if not (reader.api_key and "page" in name)
    }
    shown, leaked, said = {}, [], {}
    for name, read in paths.items():
        response = read(caller, later)
        assert response.status_code == 200, (name, response.content[:300])
        text = _text(response)
        shown[name] = str(later.uuid) in text or later.thread.reference in text
        if SUBJECT in text:
            leaked.append(name)
        if "page" in name:
            said[name] = "(subject withheld)" in text
    assert shown == dict.fromkeys(paths, True)  # the later message is there...
    assert leaked == []  # ...without the subject of the message the reader may not see
    assert said == dict.fromkeys(said, True)  # and the pages say it is withheld
    assert caller.get(f"{API}/messages/{later.uuid}").json()["subject"] == ""
    for found in (
        caller.get(f"{API}/search", {"q": SUBJECT_WORD, "justification": WHY}).json(),
        caller.get(f"{API}/search", {"q": LATER_WORD, "justification": WHY}).json(),
    ):
        assert all(m["subject"] == "" for m in found)
    assert caller.get(f"{API}/search", {"q": SUBJECT_WORD, "justification": WHY}).json() == []


def test_a_reader_who_may_see_the_first_message_sees_the_subject_on_every_message(
    world: World, db: None
) -> None:
    opener, later = continue_thread(world, SCENES["TLP:RED opener, a colleague not named"])
    named = world.callers["named user"]
    assert SUBJECT in _text(named.get(f"/exchange/threads/{later.thread.reference}/"))
    assert named.get(f"{API}/threads/{later.thread.reference}").json()["subject"] == SUBJECT
    assert named.get(f"{API}/messages/{later.uuid}").json()["subject"] == SUBJECT
    inbox = named.get(f"{API}/messages", {"folder": "inbox"}).json()["items"]
    assert {m["id"]: m["subject"] for m in inbox} == {
        str(opener.uuid): SUBJECT,
        str(later.uuid): SUBJECT,
    }
    found = named.get(f"{API}/search", {"q": SUBJECT_WORD, "justification": WHY}).json()
    assert [m["id"] for m in found] == [str(opener.uuid)]  # the subject is the opener's words


def test_forwarding_a_later_message_does_not_pass_on_a_subject_the_forwarder_may_not_see(
    world: World, db: None
) -> None:
    _, later = continue_thread(world, SCENES["TLP:RED opener, a colleague not named"])
    response = world.callers["colleague"].post(
        f"{API}/messages/{later.uuid}/forward", {"recipients": [THIRD]}
    )
    assert response.status_code == 201, response.content
    copy = Message.objects.select_related("thread").get(uuid=response.json()["message"])
    assert SUBJECT_WORD not in copy.thread.subject
    assert copy.thread.subject == f"Fwd: {later.thread.reference}"


def test_a_permission_request_does_not_show_a_subject_the_requester_may_not_see(
    world: World, db: None
) -> None:
    scene = Scene("colleague", {"tlp": "RED"}, {"handling": "H2"})
    _, later = continue_thread(world, scene)
    colleague = world.callers["colleague"]
    response = colleague.post(f"{API}/messages/{later.uuid}/forward", {"recipients": [THIRD]})
    assert response.status_code == 202, response.content
    page = _text(colleague.get("/exchange/permissions/"))
    assert later.thread.reference in page and "(subject withheld)" in page
    assert SUBJECT not in page
    assert SUBJECT in _text(world.sender_client.get("/exchange/permissions/"))  # the originator
