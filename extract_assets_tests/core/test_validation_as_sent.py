"""The rows_match_schema check on a table written as an asset writes it: a row is judged as it
was sent, whatever column its values landed in, wherever nothing was converted on the way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core.arrow_check import FORMAT_CHECKER
from extract_assets.core.table import TableWriter
from extract_assets.core.validation import check_rows

_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("ab1 é-:"), max_size=5),
    st.sampled_from(["n/a", "2026-11-01T09:30:00Z", "2026-11-01", "x@y"]),
)
_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(-1000, 1000, allow_nan=False).filter(lambda number: not number.is_integer()),
    _TEXT,
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("xy"), inner, max_size=2)
    ),
    max_leaves=4,
)
_NODES = st.sampled_from(
    [
        {"type": "integer", "minimum": 0},
        {"type": "number"},
        {"type": "string", "minLength": 2},
        {"type": "boolean"},
        {"type": "string", "format": "date-time"},
        {"type": "array", "items": {"type": "integer"}},
        {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        {"type": ["integer", "string"]},
    ]
)
_SCHEMAS = st.builds(
    lambda properties, required, extra: {
        "type": "object",
        "properties": properties,
        "required": required,
        **extra,
    },
    st.dictionaries(st.sampled_from("abc"), _NODES, min_size=1, max_size=3),
    st.lists(st.sampled_from("abc"), max_size=2, unique=True),
    st.sampled_from([{}, {"additionalProperties": False}]),
)
_ROWS = st.lists(st.dictionaries(st.sampled_from("abcd"), _VALUES, max_size=3), max_size=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_SCHEMAS, rows=_ROWS)
def test_rows_written_unconverted_get_the_librarys_verdicts_on_the_rows_sent(
    tmp_path_factory: Any, schema: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    folder = tmp_path_factory.mktemp("table") / "t"
    data = b"".join(json.dumps(row).encode() + b"\n" for row in [{"a": None}, *rows])
    with TableWriter(folder, json_schema=schema) as table:
        table.stage_ndjson([data], folder / "part-0.parquet")
        written = table.publish()
    if written.changes.converted:
        return  # judged as what they became, which the rows sent do not show
    library = jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    expected = [index for index, row in enumerate([{}, *rows]) if not library.is_valid(row)]
    report = check_rows(folder / "part-0.parquet", schema, max_examples=len(rows) + 1)
    found = [int(re.match(r"row (\d+):", example).group(1)) for example in report.examples]  # type: ignore[union-attr]
    assert (report.invalid_rows, found) == (len(expected), expected)


def test_a_value_of_another_kind_is_reported_whatever_column_it_landed_in(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "price": {"type": "number"}},
        "required": ["id"],
    }
    rows = [{"id": 1, "price": 2.5}, {"id": "abc"}, {"id": True}, {"id": 2, "price": "cheap"}]
    folder = tmp_path / "t"
    with TableWriter(folder, json_schema=schema) as table:
        table.stage_records(rows, folder / "part-0.parquet")
        table.publish()
    assert check_rows(folder / "part-0.parquet", schema).examples == [
        "row 1: id: 'abc' is not of type 'integer'",
        "row 2: id: True is not of type 'integer'",
        "row 3: price: 'cheap' is not of type 'number'",
    ]
