"""The canonical form is RFC 8785: checked against the rfc8785 reference library."""

from __future__ import annotations

import datetime as dt

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from firstline.audit.canonical import canonical_entry, entry_body, format_time

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
ids = st.lists(text, max_size=5)


@given(
    seq=st.integers(0, 2**53 - 1),
    strings=st.lists(text, min_size=9, max_size=9),
    object_ids=ids,
    subjects=ids,
    recipients=ids,
)
@settings(max_examples=300)
def test_it_serialises_entries_exactly_as_rfc8785(
    seq: int, strings: list[str], object_ids: list[str], subjects: list[str], recipients: list[str]
) -> None:
    fields = {
        "seq": seq,
        "at": strings[0],
        "actor_user": strings[1],
        "actor_organisation": strings[2],
        "actor_node": strings[3],
        "operation": strings[4],
        "object_type": strings[5],
        "object_ids": object_ids,
        "subjects": subjects,
        "recipients": recipients,
        "justification": strings[6],
        "request_id": strings[7],
        "outcome": strings[8],
    }
    assert canonical_entry(**fields) == rfc8785.dumps(entry_body(**fields))


def test_control_characters_are_escaped_in_lower_case_hex() -> None:
    fields = {
        "seq": 1, "at": "", "actor_user": "\x1f\x7f\u2028", "actor_organisation": "é", "actor_node": "😀",
        "operation": "\n\t\"\\", "object_type": "", "object_ids": [], "subjects": [], "recipients": [],
        "justification": "\x00", "request_id": "", "outcome": "",
    }  # fmt: skip
    assert b"\\u001f" in canonical_entry(**fields)  # type: ignore[arg-type]
    assert canonical_entry(**fields) == rfc8785.dumps(entry_body(**fields))  # type: ignore[arg-type]


def test_it_rejects_lone_surrogates() -> None:
    with pytest.raises(UnicodeEncodeError):
        canonical_entry(
            seq=1, at="", actor_user="\ud800", actor_organisation="", actor_node="", operation="",
            object_type="", object_ids=[], subjects=[], recipients=[], justification="",
            request_id="", outcome="",
        )  # fmt: skip


def test_it_rejects_values_of_the_wrong_type() -> None:
    good = {
        "seq": 1, "at": "", "actor_user": "", "actor_organisation": "", "actor_node": "", "operation": "",
        "object_type": "", "object_ids": ["1"], "subjects": [], "recipients": [], "justification": "",
        "request_id": "", "outcome": "",
    }  # fmt: skip
    with pytest.raises(TypeError):
        canonical_entry(**{**good, "object_ids": [1]})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        canonical_entry(**{**good, "subjects": "person:1"})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        canonical_entry(**{**good, "seq": 2**53})  # type: ignore[arg-type]


def test_times_are_utc_with_microseconds() -> None:
    belgrade = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 3, 1, 13, 0, 0, tzinfo=belgrade)
    assert format_time(at) == "2026-03-01T12:00:00.000000Z"
    with pytest.raises(ValueError):
        format_time(dt.datetime(2026, 3, 1))
