"""A sensor's cursor that the sensor did not save is a clear error, whatever the text."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract_assets.core.cursor import SensorCursor
from extract_assets.core.errors import ConfigError
from extract_assets.dataextractor.poll_cursor import PollCursor
from extract_assets.dataextractor.sensors import _WebhookCursor
from extract_assets.extractto.sensors import _Cursor as ExtractToCursor
from extract_assets.linkup.sensors import _Cursor as LinkupCursor

CURSORS: list[type[SensorCursor]] = [ExtractToCursor, LinkupCursor, PollCursor, _WebhookCursor]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@pytest.mark.parametrize("cursor", CURSORS, ids=lambda c: c.__module__.split(".")[1])
@given(text=st.text() | JSON.map(json.dumps))
def test_any_text_is_read_as_a_cursor_or_refused_with_how_to_clear_it(
    cursor: type[SensorCursor], text: str
) -> None:
    try:
        parsed = cursor.parse(text)
    except ConfigError as error:
        assert "dagster sensor cursor <sensor name> --delete" in str(error)
    else:
        assert type(cursor.parse(parsed.dump())) is cursor


@pytest.mark.parametrize("cursor", CURSORS, ids=lambda c: c.__module__.split(".")[1])
def test_no_cursor_starts_afresh(cursor: type[SensorCursor]) -> None:
    assert cursor.parse(None) == cursor()
