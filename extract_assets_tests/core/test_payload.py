"""Provider payloads read fields sent in other ways real services use, and say which field does
not fit without showing its value."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

from extract_assets.core.errors import UnreadableAnswerError
from extract_assets.core.json_text import json_text
from extract_assets.core.payload import (
    Items,
    Message,
    Misfit,
    Payload,
    Status,
    parse_each,
    parse_payload,
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


class Thing(Payload):
    id: str
    error: Message | None = None
    parts: Items[int] = Field(default_factory=list)
    status: Status = "active"


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_where_text_is_documented_is_read_as_its_text(number: float) -> None:
    assert Thing.model_validate({"id": number}).id == str(number)


@given(JSON)
def test_a_message_of_any_json_is_kept_as_its_text(value: Any) -> None:
    error = Thing.model_validate({"id": "t", "error": value}).error
    assert error == (None if value is None else json_text(value))


@given(st.sampled_from(["completed", "failed", "syncing"]), st.sampled_from([str.upper, str.title]))
def test_a_status_in_any_case_is_the_status_the_contract_spells(status: str, spell: Any) -> None:
    assert Thing.model_validate({"id": "t", "status": f" {spell(status)}"}).status == status


def test_a_list_sent_as_null_is_empty() -> None:
    assert Thing.model_validate({"id": "t", "parts": None}).parts == []


def test_an_answer_that_does_not_fit_names_the_field_and_not_its_value() -> None:
    with pytest.raises(UnreadableAnswerError) as raised:
        parse_payload(Thing, {"id": ["sk-SECRET-123"]}, provider="Linkup", what="task t")
    assert raised.value.message == (
        "task t is not in the shape the API documents: id: Input should be a valid string"
    )
    assert "sk-SECRET-123" not in str(raised.value)
    assert str(raised.value).startswith("Linkup: ")


def test_a_listing_keeps_what_fits_and_names_what_does_not() -> None:
    parsed, misfits = parse_each(Thing, [{"id": "a"}, {"id": "b", "parts": "x"}, "odd", {"id": 3}])
    assert [thing.id for thing in parsed] == ["a", "3"]
    assert misfits == [
        Misfit("b", "parts: Input should be a valid list"),
        Misfit("?", "the item: Input should be a valid dictionary or instance of Thing"),
    ]
