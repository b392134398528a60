"""Reading the next page's cursor off the end of a page, before decoding it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from extract_assets.extractto.page_cursor import trailing_cursor

texts = st.text(max_size=30)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["id", "next_cursor", "data", "name"]) | texts
rows = st.lists(st.dictionaries(keys, values, max_size=4), max_size=4)
# Whatever a service's JSON library might write: compact, spaced, indented, not ASCII-escaped.
styles = st.sampled_from(
    [
        {"separators": (",", ":")},
        {},
        {"indent": 2},
        {"ensure_ascii": False},
        {"separators": (" , ", " : ")},
    ]
)


@given(
    members=st.dictionaries(keys, values, max_size=3),
    data=rows,
    cursor=st.none() | texts,
    order=st.randoms(),
    style=styles,
)
def test_a_cursor_read_off_the_end_is_always_the_one_the_page_holds(
    members: dict[str, Any],
    data: list[dict[str, Any]],
    cursor: str | None,
    order: Any,
    style: dict[str, Any],
) -> None:
    items = [*members.items(), ("data", data), ("next_cursor", cursor)]
    order.shuffle(items)
    body = json.dumps(dict(items), **style).encode()
    guessed = trailing_cursor(body)
    assert guessed is None or guessed == json.loads(body)["next_cursor"]


@given(data=rows, cursor=texts.filter(bool), style=styles)
def test_a_page_that_ends_with_its_cursor_gives_it(
    data: list[dict[str, Any]], cursor: str, style: dict[str, Any]
) -> None:
    body = json.dumps({"data": data, "next_cursor": cursor}, **style).encode()
    assert trailing_cursor(body) == cursor


def test_the_last_page_gives_none() -> None:
    assert trailing_cursor(b'{"data": [{"id": 1}], "next_cursor": null}') is None
    assert trailing_cursor(b'{"data": [], "next_cursor": ""}') is None


def test_a_bare_array_gives_none() -> None:
    assert trailing_cursor(b'[{"id": 1, "next_cursor": "x"}]') is None


def test_a_cursor_inside_the_rows_is_not_taken_for_the_pages() -> None:
    body = b'{"next_cursor": null, "data": [{"id": 1, "next_cursor": "row"}]}'
    assert trailing_cursor(body) is None
