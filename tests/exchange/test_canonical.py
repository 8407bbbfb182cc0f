"""The signed bytes of a message are RFC 8785: checked against the rfc8785 reference library."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from firstline.exchange.envelope import canonical

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
    max_leaves=40,
)


def _reference(document: Any) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(document)
    except rfc8785.CanonicalizationError as exc:
        return type(exc)


def _ours(document: Any) -> bytes | type[Exception]:
    try:
        return canonical(document)
    except rfc8785.CanonicalizationError as exc:
        return type(exc)


@given(documents)
@settings(max_examples=500)
def test_it_serialises_any_document_exactly_as_rfc8785(document: Any) -> None:
    assert _ours(document) == _reference(document)


@given(st.dictionaries(text, text | st.integers(-(2**53) + 1, 2**53 - 1), max_size=8))
@settings(max_examples=300)
def test_member_names_sort_by_utf16_code_units(document: dict[str, Any]) -> None:
    assert canonical(document) == rfc8785.dumps(document)


def test_names_beyond_the_basic_plane_sort_as_jcs_says() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB01; code points say the opposite
    document = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical(document) == rfc8785.dumps(document)
    assert canonical(document).index("\U0001f600".encode()) < canonical(document).index(
        "\ufb01".encode()
    )


def test_escapes_are_those_of_jcs() -> None:
    document = {"s": '\x00\x1f\x7f\u2028"\\\n\t\b\fé😀', "n": None, "t": True, "l": [1, -2]}
    assert b"\\u001f" in canonical(document)
    assert canonical(document) == rfc8785.dumps(document)


def test_floats_are_written_as_ecmascript_numbers() -> None:
    document = {"latitude": 42.0, "longitude": 1e21, "small": 5e-7}
    assert canonical(document) == b'{"latitude":42,"longitude":1e+21,"small":5e-7}'


def test_integers_beyond_2_53_are_refused() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical({"n": 2**53})


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical({"s": "\ud800"})
