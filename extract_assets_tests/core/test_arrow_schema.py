"""JSON Schema → Arrow mapping, and the widening rules inference relies on."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract_assets.core.arrow_schema import (
    conform_array,
    conform_table,
    json_schema_to_arrow,
    python_column,
    widen_schema,
    widen_type,
)
from extract_assets.core.day_folders import write_day_folders
from extract_assets_tests.readers import WITHOUT_SPARK, assert_all_readers_agree

UTC_MICROS = pa.timestamp("us", tz="UTC")


def arrow_type_of(node: dict[str, Any]) -> pa.DataType:
    return json_schema_to_arrow({"type": "object", "properties": {"x": node}}).field("x").type


# --- JSON Schema ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"type": "string"}, pa.string()),
        ({"type": "integer"}, pa.int64()),
        ({"type": "number"}, pa.float64()),
        ({"type": "boolean"}, pa.bool_()),
        ({"type": "string", "format": "date"}, pa.date32()),
        ({"type": "string", "format": "date-time"}, UTC_MICROS),
        ({"type": "string", "format": "uri"}, pa.string()),
        ({"type": "string", "format": "email"}, pa.string()),
    ],
)
def test_each_json_type_and_format_maps_to_its_arrow_type(
    node: dict[str, Any], expected: pa.DataType
) -> None:
    assert arrow_type_of(node) == expected


def test_object_with_properties_becomes_a_struct() -> None:
    node = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}},
    }
    assert arrow_type_of(node) == pa.struct([("city", pa.string()), ("zip", pa.int64())])


def test_array_becomes_a_list_of_its_items() -> None:
    assert arrow_type_of({"type": "array", "items": {"type": "number"}}) == pa.list_(pa.float64())


def test_array_of_objects_becomes_a_list_of_structs() -> None:
    node = {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}}
    assert arrow_type_of(node) == pa.list_(pa.struct([("n", pa.string())]))


def test_nullable_type_list_maps_to_its_non_null_type() -> None:
    assert arrow_type_of({"type": ["string", "null"], "format": "date-time"}) == UTC_MICROS


def test_type_list_of_integer_and_number_is_float64() -> None:
    assert arrow_type_of({"type": ["integer", "number"]}) == pa.float64()


def test_type_list_of_unrelated_types_is_a_string_of_json_text() -> None:
    assert arrow_type_of({"type": ["integer", "string", "object"]}) == pa.string()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", "b"], pa.string()),
        ([1, 2], pa.int64()),
        ([1, 2.5], pa.float64()),
        ([True, False], pa.bool_()),
        ([1, "a"], pa.string()),
        (["a", None], pa.string()),
    ],
)
def test_enum_takes_the_type_of_its_values(values: list[Any], expected: pa.DataType) -> None:
    assert arrow_type_of({"enum": values}) == expected


def test_any_of_a_type_and_null_is_that_type() -> None:
    assert arrow_type_of({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == pa.int64()


@pytest.mark.parametrize(
    "node",
    [{}, {"description": "anything"}, {"type": "object"}, {"type": "object", "properties": {}}],
    ids=["empty", "description-only", "object-without-properties", "empty-properties"],
)
def test_property_without_a_usable_type_is_a_string_of_json_text(node: dict[str, Any]) -> None:
    assert arrow_type_of(node) == pa.string()


def test_array_without_items_is_a_list_of_json_text() -> None:
    assert arrow_type_of({"type": "array"}) == pa.list_(pa.string())


def test_required_top_level_properties_are_not_nullable_and_others_are() -> None:
    schema = json_schema_to_arrow(
        {
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            "required": ["id"],
        }
    )
    assert not schema.field("id").nullable
    assert schema.field("name").nullable


@pytest.mark.parametrize(
    "node",
    [
        {"type": ["integer", "null"]},
        {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        {"enum": [1, 2, None]},
        {"type": "integer", "nullable": True},
    ],
    ids=["type-list", "any-of", "enum", "openapi-nullable"],
)
def test_required_property_whose_type_allows_null_stays_nullable(node: dict[str, Any]) -> None:
    schema = json_schema_to_arrow({"properties": {"x": node}, "required": ["x"]})
    assert schema.field("x").nullable
    assert schema.field("x").type == pa.int64()


def test_all_of_merges_object_schemas() -> None:
    node = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}},
            {"type": "object", "properties": {"b": {"type": "string"}}},
        ]
    }
    assert arrow_type_of(node) == pa.struct([("a", pa.int64()), ("b", pa.string())])


def test_nested_required_properties_stay_nullable() -> None:
    node = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert arrow_type_of(node).field(0).nullable


def test_local_refs_are_resolved() -> None:
    schema = json_schema_to_arrow(
        {
            "$defs": {"money": {"type": "number"}},
            "properties": {"price": {"$ref": "#/$defs/money"}},
        }
    )
    assert schema.field("price").type == pa.float64()


def test_recursive_ref_is_a_string_of_json_text() -> None:
    schema = json_schema_to_arrow(
        {
            "$defs": {
                "node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}
            },
            "properties": {"tree": {"$ref": "#/$defs/node"}},
        }
    )
    assert schema.field("tree").type == pa.struct([("child", pa.string())])


def test_root_array_schema_describes_its_items() -> None:
    schema = json_schema_to_arrow(
        {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}}
    )
    assert schema == pa.schema([("a", pa.int64())])


def test_schema_without_properties_is_empty() -> None:
    assert json_schema_to_arrow({"type": "object"}) == pa.schema([])


# --- widening ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (pa.null(), pa.string(), pa.string()),
        (pa.int64(), pa.null(), pa.int64()),
        (pa.int64(), pa.float64(), pa.float64()),
        (pa.int64(), pa.string(), pa.string()),
        (pa.bool_(), pa.int64(), pa.string()),
        (pa.float64(), pa.struct([("a", pa.int64())]), pa.string()),
        (pa.list_(pa.int64()), pa.list_(pa.float64()), pa.list_(pa.float64())),
        (pa.list_(pa.null()), pa.list_(pa.string()), pa.list_(pa.string())),
        (pa.list_(pa.int64()), pa.int64(), pa.string()),
        (pa.timestamp("s"), pa.timestamp("us"), pa.timestamp("us")),
        (UTC_MICROS, pa.timestamp("us"), pa.string()),
        (pa.date32(), pa.string(), pa.string()),
    ],
)
def test_widening_finds_the_narrowest_type_holding_both(
    a: pa.DataType, b: pa.DataType, expected: pa.DataType
) -> None:
    assert widen_type(a, b) == expected
    assert widen_type(b, a) == expected


def test_widening_structs_merges_their_fields() -> None:
    a = pa.struct([("x", pa.int64()), ("y", pa.null())])
    b = pa.struct([("y", pa.string()), ("z", pa.bool_())])
    assert widen_type(a, b) == pa.struct([("x", pa.int64()), ("y", pa.string()), ("z", pa.bool_())])


def test_widening_a_schema_appends_new_columns_as_nullable() -> None:
    a = pa.schema([pa.field("id", pa.int64(), nullable=False)])
    b = pa.schema([("id", pa.int64()), ("late", pa.string())])
    assert widen_schema(a, b) == pa.schema(
        [pa.field("id", pa.int64(), nullable=False), ("late", pa.string())]
    )


# --- conforming ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "source", "expected"),
    [
        ([1, -2, None], pa.int64(), ["1", "-2", None]),
        ([1.5, 0.1], pa.float64(), ["1.5", "0.1"]),
        ([True, False], pa.bool_(), ["true", "false"]),
        (
            [{"a": 1, "b": "é"}],
            pa.struct([("a", pa.int64()), ("b", pa.string())]),
            ['{"a":1,"b":"é"}'],
        ),
        ([[1, 2], []], pa.list_(pa.int64()), ["[1,2]", "[]"]),
        ([dt.datetime(2026, 1, 1, 12, 30, 5)], UTC_MICROS, ["2026-01-01T12:30:05.000000Z"]),
        ([dt.date(2026, 1, 2)], pa.date32(), ["2026-01-02"]),
    ],
)
def test_widening_to_string_keeps_each_values_json_text(
    values: list[Any], source: pa.DataType, expected: list[Any]
) -> None:
    assert conform_array(pa.array(values, source), pa.string()).to_pylist() == expected


def test_an_object_widened_to_text_holds_its_own_keys_not_those_padded_with_null() -> None:
    objects = pa.array([{"a": 1}, {"b": [{"c": 2}, {"d": None}]}, None])

    assert conform_array(objects, pa.string()).to_pylist() == [
        '{"a":1}',
        '{"b":[{"c":2},{}]}',
        None,
    ]


def test_conforming_a_struct_adds_missing_fields_as_null_and_widens_others() -> None:
    array = pa.array([{"x": 1}, None], pa.struct([("x", pa.int64())]))
    target = pa.struct([("x", pa.float64()), ("y", pa.string())])
    assert conform_array(array, target).to_pylist() == [{"x": 1.0, "y": None}, None]


def test_conforming_integers_beyond_2_53_to_float64_gives_the_nearest_doubles() -> None:
    big = [2**63 - 1, -(2**63), 2**53 + 1, None]

    assert conform_array(pa.array(big), pa.float64()).to_pylist() == [
        None if v is None else float(v) for v in big
    ]


def test_conforming_a_sliced_list_with_nulls_keeps_its_rows() -> None:
    array = pa.array([[1], None, [2, 3], [4]]).slice(1, 3)
    assert conform_array(array, pa.list_(pa.float64())).to_pylist() == [None, [2.0, 3.0], [4.0]]


def test_conforming_a_table_adds_missing_columns_as_null() -> None:
    table = conform_table(
        pa.table({"a": [1]}), pa.schema([("a", pa.float64()), ("b", pa.string())])
    )
    assert table.to_pylist() == [{"a": 1.0, "b": None}]


# --- Python values -------------------------------------------------------------------------


def test_python_column_of_mixed_scalars_is_json_text() -> None:
    column = python_column([1, "a", 2.5, True, None, {"k": [1]}])
    assert column.to_pylist() == ["1", "a", "2.5", "true", None, '{"k":[1]}']


def test_python_column_parses_strings_only_where_a_timestamp_is_known() -> None:
    texts = ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00Z", "2026-01-01T02:00:00+02:00"]
    assert python_column(texts).type == pa.string()
    parsed = python_column(texts, UTC_MICROS)
    assert parsed.type == UTC_MICROS
    assert set(parsed.to_pylist()) == {dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}


def test_python_column_keeps_text_when_a_known_date_does_not_parse() -> None:
    assert python_column(["2026-01-02", "soon"], pa.date32()).to_pylist() == ["2026-01-02", "soon"]


def test_python_column_of_objects_with_different_keys_unions_them() -> None:
    column = python_column([{"a": 1}, {"b": "x"}])
    assert column.to_pylist() == [{"a": 1, "b": None}, {"a": None, "b": "x"}]


def test_python_column_turns_integers_beyond_int64_into_text() -> None:
    assert python_column([1, 2**70]).to_pylist() == ["1", str(2**70)]


@pytest.mark.parametrize(
    "values",
    [[0.0, False], [1.5, True], [[0.5], [True]], [{"a": 1.5}, {"a": False}]],
)
def test_a_boolean_beside_a_number_is_never_read_as_a_number(values: list[object]) -> None:
    # Arrow's own inference turns [0.5, False] into [0.5, 0.0]: found by the property test.
    column = python_column(values)
    assert [json.loads(v) if isinstance(v, str) else v for v in _leaves(column.to_pylist())] == (
        _leaves(values)
    )


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for child in value.values() for leaf in _leaves(child)]
    if isinstance(value, list):
        return [leaf for child in value for leaf in _leaves(child)]
    return [value]


# --- objects of a table that later widens to text --------------------------------------------

_DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
# Each key holds one kind, so only the key sets differ from object to object.
_INNER = st.fixed_dictionaries(
    {}, optional={"x": st.integers(-3, 3), "y": st.text("ab", max_size=2)}
).filter(bool)
_OBJECTS = st.fixed_dictionaries(
    {},
    optional={
        "a": st.integers(-9, 9),
        "b": st.text("éz", max_size=3),
        "c": _INNER,
        "d": st.lists(_INNER, max_size=2),
    },
).filter(bool)


@settings(max_examples=15, deadline=None)
@given(days=st.lists(st.lists(_OBJECTS, min_size=1, max_size=4), min_size=2, max_size=2))
def test_objects_of_earlier_days_widened_to_text_by_a_later_one_are_the_objects_sent(
    days: list[list[dict[str, Any]]],
) -> None:
    pages = [
        [{"date": day.isoformat(), "o": o} for o in objects]
        for day, objects in zip(_DAYS[:2], days, strict=True)
    ]
    pages.append([{"date": _DAYS[2].isoformat(), "o": "no object"}])
    with tempfile.TemporaryDirectory() as folder:
        write_day_folders(pages, Path(folder) / "t", _DAYS, contract="evolve")
        rows = assert_all_readers_agree(Path(folder) / "t", "date", WITHOUT_SPARK)

    stored = [json.loads(row["o"]) for row in rows if row["o"] != "no object"]
    assert _canonical(stored) == _canonical([o for objects in days for o in objects])


@settings(max_examples=15, deadline=None)
@given(days=st.lists(st.lists(_INNER, min_size=1, max_size=4), min_size=2, max_size=2))
def test_objects_inside_objects_widened_to_text_by_a_later_day_are_the_objects_sent(
    days: list[list[dict[str, Any]]],
) -> None:
    pages = [
        [{"date": day.isoformat(), "o": {"in": inner}} for inner in objects]
        for day, objects in zip(_DAYS[:2], days, strict=True)
    ]
    pages.append([{"date": _DAYS[2].isoformat(), "o": {"in": "no object"}}])
    with tempfile.TemporaryDirectory() as folder:
        write_day_folders(pages, Path(folder) / "t", _DAYS)
        rows = assert_all_readers_agree(Path(folder) / "t", "date", WITHOUT_SPARK)

    stored = [json.loads(row["o"]["in"]) for row in rows if row["o"]["in"] != "no object"]
    assert _canonical(stored) == _canonical([inner for objects in days for inner in objects])


def _canonical(objects: list[Any]) -> list[str]:
    """The objects as comparable text, whatever their keys' order (a struct keeps its own)."""
    return sorted(json.dumps(o, sort_keys=True) for o in objects)
