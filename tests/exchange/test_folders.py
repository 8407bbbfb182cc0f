"""Folder pages (inbox, sent, overdue): keyset pages, the rows' cells, markings on every page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.core.exceptions import EmptyResultSet
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.utils import timezone, translation

from firstline.accounts.models import User
from firstline.directory.models import Organisation
from firstline.exchange import listing, queries, views
from firstline.exchange.markings import TLP
from firstline.exchange.models import Message
from firstline.exchange.policy import visibility_key
from firstline.exchange.queries import cursor_of, folder_page, parse_cursor

from .conftest import KeyActor, add_user

START = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


def references(page: str) -> list[str]:
    return re.findall(r'<a href="/exchange/threads/([^/"]+)/">', page)


def next_link(page: str) -> str:
    found = re.search(r'<a href="\?after=([0-9-]+)" rel="next">', page)
    return found.group(1) if found else ""


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    return 3


def send_several(send: Callable[..., Message], count: int, **fields: object) -> list[Message]:
    """``count`` messages one minute apart, oldest first."""
    return [
        send(now=START + dt.timedelta(minutes=i), subject=f"Request {i}", **fields)
        for i in range(count)
    ]


def test_the_inbox_pages_through_every_message_newest_first_without_repeats(
    send: Callable[..., Message],
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
    small_pages: int,
) -> None:
    sent = send_several(send, 7)
    expected = [m.thread.reference for m in reversed(sent)]
    reader = signed_in(serbian_analyst)
    first = reader.get("/exchange/").content.decode()
    assert references(first) == expected[:3]
    assert "First page" not in first
    second = reader.get(f"/exchange/?after={next_link(first)}").content.decode()
    assert references(second) == expected[3:6]
    assert 'href="?"' in second  # back to the first page
    last = reader.get(f"/exchange/?after={next_link(second)}").content.decode()
    assert references(last) == expected[6:]
    assert next_link(last) == ""


def test_a_message_arriving_between_two_pages_is_neither_repeated_nor_skipped(
    send: Callable[..., Message],
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
    small_pages: int,
) -> None:
    sent = send_several(send, 5)
    reader = signed_in(serbian_analyst)
    first = reader.get("/exchange/").content.decode()
    newcomer = send(now=START + dt.timedelta(hours=1), subject="Late arrival")
    second = reader.get(f"/exchange/?after={next_link(first)}").content.decode()
    assert references(second) == [sent[1].thread.reference, sent[0].thread.reference]
    assert references(reader.get("/exchange/").content.decode())[0] == newcomer.thread.reference


def test_messages_sent_at_the_same_instant_are_split_across_pages_by_id(
    send: Callable[..., Message],
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
    small_pages: int,
) -> None:
    same = [send(now=START, subject=f"Same {i}") for i in range(5)]
    reader = signed_in(serbian_analyst)
    first = reader.get("/exchange/").content.decode()
    second = reader.get(f"/exchange/?after={next_link(first)}").content.decode()
    seen = references(first) + references(second)
    assert seen == [m.thread.reference for m in reversed(same)]


def test_an_empty_inbox_says_so_and_offers_no_pages(
    kumanovo_coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    page = signed_in(kumanovo_coordinator).get("/exchange/").content.decode()
    assert "No messages." in page
    assert "<table" not in page and "Next page" not in page


@pytest.mark.parametrize("bad", ["yesterday", "12", "-5-3", "1" * 30 + "-1", "1-" + "9" * 19])
def test_a_malformed_page_position_is_refused_naming_it_and_shows_the_first_page(
    send: Callable[..., Message],
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
    bad: str,
) -> None:
    message = send(now=START)
    response = signed_in(serbian_analyst).get("/exchange/", {"after": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The page position (after) is not valid" in page
    assert references(page) == [message.thread.reference]


def test_the_position_is_the_last_rows_instant_and_id() -> None:
    row = {"id": 42, "sent_at": dt.datetime(2026, 3, 20, 9, 0, 0, 123456, tzinfo=dt.UTC)}
    assert parse_cursor(cursor_of(row)) == (row["sent_at"], 42)


def test_the_overdue_folder_pages_oldest_first(
    send: Callable[..., Message], serbian_analyst: User
) -> None:
    sent = send_several(send, 5, urgency="urgent_direct")
    later = START + dt.timedelta(days=2)
    first, after = folder_page(serbian_analyst, "overdue", later, size=3)
    rest, end = folder_page(serbian_analyst, "overdue", later, after=after, size=3)
    assert [r["id"] for r in first + rest] == [m.pk for m in sent]
    assert end == ""


def test_rows_show_sender_markings_dates_and_overdue_requests(
    send: Callable[..., Message],
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
) -> None:
    message = send(urgency="urgent_direct", now=START, handling="H1")
    page = signed_in(serbian_analyst).get("/exchange/").content.decode()
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert '<tr class="overdue">' in row and "OVERDUE" in row
    assert "<strong>Travel of a person at risk</strong>" in row  # unread
    assert "Request for information" in row
    assert message.sender.name in row
    assert "TLP:AMBER · H1 · RESTRICTED" in row
    local = timezone.localtime(message.sent_at)
    assert (
        f'<time datetime="{local.isoformat()}">{date_filter(local, "SHORT_DATETIME_FORMAT")}' in row
    )


def test_a_subject_with_markup_is_shown_as_text(
    send: Callable[..., Message], serbian_analyst: User, signed_in: Callable[[User], Client]
) -> None:
    send(now=START, subject='<script>alert("x")</script> & co')
    page = signed_in(serbian_analyst).get("/exchange/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in page


def test_the_sent_folder_names_the_recipients_in_the_readers_language(
    send: Callable[..., Message],
    albanian_officer: User,
    serbian_ministry: Organisation,
    signed_in: Callable[[User], Client],
) -> None:
    serbian_ministry.names = {"sq": "Ministria e Brendshme e Serbisë"}
    serbian_ministry.save()
    send(now=START)
    client = signed_in(albanian_officer)
    assert serbian_ministry.name in client.get("/exchange/sent/").content.decode()
    client.cookies["django_language"] = "sq"
    page = client.get("/exchange/sent/", HTTP_ACCEPT_LANGUAGE="sq").content.decode()
    assert "Ministria e Brendshme e Serbisë" in page


@pytest.mark.parametrize("tlp", [t.value for t in TLP])
def test_every_folder_page_keeps_the_markings(
    send: Callable[..., Message],
    serbian_ministry: Organisation,
    serbian_analyst: User,
    signed_in: Callable[[User], Client],
    tlp: str,
) -> None:
    colleague = add_user(serbian_ministry, "rs-colleague")
    low = add_user(serbian_ministry, "rs-low", clearance="UNCLASSIFIED")
    # a request of March, long overdue by the real clock: in the inbox and the overdue folder
    message = send(tlp=tlp, named_users=["rs-analyst"] if tlp == TLP.RED else [], now=START)
    ref = message.thread.reference
    for path in ("/exchange/", "/exchange/overdue/"):
        assert ref in signed_in(serbian_analyst).get(path).content.decode()
        assert (ref in signed_in(colleague).get(path).content.decode()) is (tlp != TLP.RED)
        assert ref not in signed_in(low).get(path).content.decode()  # a RESTRICTED message


LANGUAGES = ["en", "sq", "sr-latn", "sr", "mk", "hr", "bs"]
INSTANTS = [
    dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC),  # the night of the change to summer time
    dt.datetime(2026, 3, 28, 23, 0, tzinfo=dt.UTC),  # local midnight
    dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC),  # local noon
    dt.datetime(2026, 6, 1, 10, 30, 5, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 0, 59, 59, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 31, 22, 7, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "fmt",
    [
        "SHORT_DATETIME_FORMAT",
        "DATETIME_FORMAT",
        "SHORT_DATE_FORMAT",
        r"\Y\e\s: Y-m-d H:i:s a f g G h j n y P e O",
    ],
)
def test_the_row_date_formatter_writes_what_the_date_filter_writes(language: str, fmt: str) -> None:
    with translation.override(language):
        write = listing.date_formatter(fmt)
        for instant in INSTANTS:
            assert write(instant) == date_filter(timezone.localtime(instant), fmt), instant


def test_the_kept_first_page_query_follows_the_readers_clearance_naming_and_new_messages(
    send: Callable[..., Message],
    serbian_ministry: Organisation,
    serbian_analyst: User,
    albanian_officer: User,
    signed_in: Callable[[User], Client],
) -> None:
    """The inbox's first page runs a query compiled once per reader (queries._first_page); it
    must show what a freshly built query shows, before and after what the reader may see
    changes."""
    colleague = add_user(serbian_ministry, "rs-colleague")
    restricted = send(now=START, subject="Restricted")
    red = send(now=START + dt.timedelta(minutes=1), tlp="RED", named_users=["rs-analyst"])

    def check(actor: object, folder: str = "inbox") -> list[int]:
        now = START + dt.timedelta(days=1)
        kept, _ = folder_page(actor, folder, now)
        fresh = queries._page(actor, folder, now, "", 51)
        assert kept == fresh
        return [r["id"] for r in kept]

    assert check(serbian_analyst) == [red.pk, restricted.pk]
    assert check(colleague) == [restricted.pk]  # not named on the TLP:RED message
    assert check(albanian_officer) == []  # the sender's inbox
    assert check(albanian_officer, "sent") == [red.pk, restricted.pk]
    red.named_users.add(colleague)  # named later: shows at once
    assert check(colleague) == [red.pk, restricted.pk]
    colleague.clearance = "UNCLASSIFIED"  # the clearance drops: the RESTRICTED ones go
    colleague.save()
    assert check(colleague) == []
    later = send(now=START + dt.timedelta(minutes=2), subject="Later")  # a new message
    assert check(serbian_analyst)[0] == later.pk
    assert check(KeyActor(serbian_ministry.pk)) == [later.pk, restricted.pk]  # no named key


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("clearance", "UNCLASSIFIED"),
        ("clearance", "CONFIDENTIAL"),
        ("role", "org_admin"),
        ("role", "node_admin"),
        ("organisation_id", "other"),
        ("pk", 10_000),
    ],
)
def test_whatever_changes_the_compiled_query_changes_the_visibility_key(
    albanian_police: Organisation, serbian_analyst: User, attribute: str, value: object
) -> None:
    def compiled(actor: object) -> tuple[tuple[object, ...], str, tuple[object, ...]]:
        query = queries.box(actor, "inbox", START).values("id").query
        try:
            sql, params = query.get_compiler("default").as_sql()
        except EmptyResultSet:
            sql, params = "", ()
        return visibility_key(actor), sql, tuple(params)

    for actor in (serbian_analyst, KeyActor(serbian_analyst.organisation_id or 0)):
        key, sql, params = compiled(actor)
        setattr(actor, attribute, albanian_police.pk if value == "other" else value)
        new_key, new_sql, new_params = compiled(actor)
        if (new_sql, new_params) != (sql, params):
            assert new_key != key, (attribute, value)
