"""Properties a JSON Schema declares inside objects and lists' items are held as declared
columns are: converted without loss, else the whole value of the top-level column goes where
the contract sends a value its column cannot hold."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.contract import (
    SchemaChanges,
    SchemaContract,
    convert_values,
    fit_table,
)
from extract_assets.core.parquet import write_ndjson, write_records
from extract_assets.core.table import TableWriter

OBJECT = pa.struct([("k", pa.int64()), ("x", pa.float64())])
SCHEMA = {
    "type": "object",
    "properties": {
        "o": {
            "type": "object",
            "properties": {"k": {"type": "integer"}, "x": {"type": "number"}},
        }
    },
}
Source = Literal["ndjson", "records"]


@pytest.fixture(autouse=True)
def _quiet_widening_warnings() -> Iterator[None]:
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def fit(
    values: pa.Array,
    kind: pa.DataType = OBJECT,
    contract: SchemaContract = "variant",
    declared: pa.DataType | None = None,
) -> tuple[pa.Table, pa.Schema, SchemaChanges]:
    """`values` as column `o` of a table whose `o` is `kind`, declared so (or as `declared`)."""
    changes = SchemaChanges()
    table, grown = fit_table(
        pa.table({"o": values}),
        pa.schema([("o", kind)]),
        declared=frozenset({"o"}),
        declared_types={"o": declared or kind},
        contract=contract,
        changes=changes,
    )
    return table, grown, changes


def texts(*values: str | None) -> pa.Array:
    return pa.array(
        [None if v is None else {"k": v} for v in values], pa.struct([("k", pa.string())])
    )


def ndjson(rows: Sequence[Mapping[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def write(
    rows: Sequence[Mapping[str, Any]],
    folder: Path,
    source: Source,
    json_schema: Mapping[str, Any] = SCHEMA,
) -> pa.Table:
    """`rows` written as one table (under `variant`) from `source`, read back by pyarrow and
    DuckDB, which must agree."""
    target = folder / "part-0.parquet"
    with TableWriter(folder, json_schema=json_schema) as table:
        if source == "ndjson":
            table.stage_ndjson([ndjson(rows)], target)
        else:
            table.stage_records(rows, target)
        table.publish()
    return read_back(target)


def read_back(target: Path | str) -> pa.Table:
    stored = pq.read_table(target)
    with duckdb.connect() as con:
        cursor = con.execute("SELECT * FROM read_parquet(?)", [str(target)])
        names = [column[0] for column in cursor.description]
        read = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    assert read == stored.to_pylist()
    return stored


# --- the rules, one at a time ---------------------------------------------------------------


def test_an_integer_inside_an_object_converts_from_its_text_and_is_counted() -> None:
    table, schema, changes = fit(texts("2", None))
    assert table["o"].to_pylist() == [{"k": 2, "x": None}, None]
    assert schema == pa.schema([("o", OBJECT)])
    assert changes.converted == {"o": 1}


def test_a_number_inside_an_object_converts_from_text_only_where_the_double_is_exact() -> None:
    values = pa.array([{"x": "0.1"}, {"x": "9007199254740993"}])
    table, _, _ = fit(values)
    assert table.to_pylist() == [
        {"o": {"k": None, "x": 0.1}, "o__v_json": None},
        {"o": None, "o__v_json": '{"x":"9007199254740993"}'},
    ]


def test_an_integral_float_inside_an_object_converts_to_an_integer() -> None:
    table, schema, _ = fit(pa.array([{"k": 12.0}, {"k": -0.0}]))
    assert table["o"].to_pylist() == [{"k": 12, "x": None}, {"k": 0, "x": None}]
    assert schema == pa.schema([("o", OBJECT)])


def test_a_value_inside_that_does_not_convert_sends_the_whole_object_to_the_variant() -> None:
    table, schema, changes = fit(texts("2", "n/a"))
    assert table.to_pylist() == [
        {"o": {"k": 2, "x": None}, "o__v_json": None},
        {"o": None, "o__v_json": '{"k":"n/a"}'},
    ]
    assert schema.field("o").type == OBJECT
    assert changes.to_variant == {"o__v_json": 1}


def test_a_property_two_levels_deep_is_converted_and_held() -> None:
    kind = pa.struct([("p", pa.struct([("q", pa.int64())]))])
    values = pa.array([{"p": {"q": "7"}}, {"p": {"q": "7.5"}}])
    table, schema, _ = fit(values, kind)
    assert table.to_pylist() == [
        {"o": {"p": {"q": 7}}, "o__v_json": None},
        {"o": None, "o__v_json": '{"p":{"q":"7.5"}}'},
    ]
    assert schema.field("o").type == kind


def test_the_items_of_an_array_of_objects_are_converted_and_held() -> None:
    kind = pa.list_(pa.struct([("k", pa.int64())]))
    values = pa.array([[{"k": "2"}, {"k": "3"}], [], None, [{"k": "2"}, {"k": "x"}]])
    table, schema, _ = fit(values, kind)
    assert table["o"].to_pylist() == [[{"k": 2}, {"k": 3}], [], None, None]
    assert table["o__v_json"].to_pylist() == [None, None, None, '[{"k":"2"},{"k":"x"}]']
    assert schema.field("o").type == kind


def test_text_in_place_of_a_declared_object_in_a_list_sends_the_list_to_the_variant() -> None:
    kind = pa.list_(pa.struct([("k", pa.int64())]))
    table, _, _ = fit(pa.array([["a", "b"]]), kind)
    assert table.to_pylist() == [{"o": None, "o__v_json": '["a","b"]'}]


def test_a_key_the_schema_does_not_declare_still_widens_beside_a_declared_one() -> None:
    kind = pa.struct([("k", pa.int64()), ("z", pa.int64())])
    values = pa.array([{"k": "2", "z": "1"}, {"k": "3", "z": "y"}])
    table, schema, _ = fit(values, kind, declared=pa.struct([("k", pa.int64())]))
    assert schema.field("o").type == pa.struct([("k", pa.int64()), ("z", pa.string())])
    assert table["o"].to_pylist() == [{"k": 2, "z": "1"}, {"k": 3, "z": "y"}]


def test_freeze_accepts_a_value_inside_an_object_that_converts_without_loss() -> None:
    table, _, _ = fit(texts("2"), contract="freeze")
    assert table["o"].to_pylist() == [{"k": 2, "x": None}]


def test_discard_value_drops_the_whole_object_holding_a_value_that_does_not_convert() -> None:
    table, schema, changes = fit(texts("2", "n/a"), contract="discard_value")
    assert table.to_pylist() == [{"o": {"k": 2, "x": None}}, {"o": None}]
    assert schema == pa.schema([("o", OBJECT)])
    assert changes.discarded_values == {"o": 1}


def test_discard_row_drops_the_row_holding_a_value_inside_an_object_that_does_not_convert() -> None:
    table, _, changes = fit(texts("2", "n/a"), contract="discard_row")
    assert table.to_pylist() == [{"o": {"k": 2, "x": None}}]
    assert changes.discarded_rows == 1


def test_evolve_widens_only_the_property_that_does_not_convert() -> None:
    kind = pa.struct([("k", pa.int64()), ("s", pa.bool_())])
    values = pa.array([{"k": "2", "s": "maybe"}])
    table, schema, _ = fit(values, kind, contract="evolve")
    assert schema.field("o").type == pa.struct([("k", pa.int64()), ("s", pa.string())])
    assert table["o"].to_pylist() == [{"k": 2, "s": "maybe"}]


def test_python_values_inside_objects_and_lists_convert_by_the_types_there() -> None:
    kind = pa.struct([("k", pa.int64()), ("a", pa.list_(pa.float64()))])
    row = {"k": 3.0, "a": ["0.5", 2, "9007199254740993"], "other": "7"}
    assert convert_values([row, None], kind) == (
        [{"k": 3, "a": [0.5, 2, "9007199254740993"], "other": "7"}, None],
        2,
    )


# --- through the writers, read back ---------------------------------------------------------


@pytest.mark.parametrize("source", ["ndjson", "records"])
def test_text_in_a_declared_property_reads_back_as_the_integer_it_spells(
    tmp_path: Path, source: Source
) -> None:
    stored = write([{"o": {"k": "2"}}, {"o": {"k": 3}}], tmp_path / "t", source)
    assert stored.schema == pa.schema([("o", OBJECT)])
    assert stored.to_pylist() == [{"o": {"k": 2, "x": None}}, {"o": {"k": 3, "x": None}}]


@pytest.mark.parametrize("source", ["ndjson", "records"])
def test_a_conversion_inside_an_object_is_counted_in_the_writes_changes(
    tmp_path: Path, source: Source
) -> None:
    folder = tmp_path / "t"
    rows: list[dict[str, Any]] = [{"o": {"k": "2"}}, {"o": {"k": 3}}]  # no row brings `x`
    with TableWriter(folder, json_schema=SCHEMA) as table:
        if source == "ndjson":
            table.stage_ndjson([ndjson(rows)], folder / "part-0.parquet")
        else:
            table.stage_records(rows, folder / "part-0.parquet")
        assert table.publish().changes.summary() == "1 values of o converted"


@pytest.mark.parametrize("source", ["ndjson", "records"])
def test_a_declared_integer_property_keeps_a_large_integer_beside_an_integral_float(
    tmp_path: Path, source: Source
) -> None:
    rows: list[dict[str, Any]] = [{"o": {"k": 1.0}}, {"o": {"k": 2**53 + 1}}]
    stored = write(rows, tmp_path / "t", source)
    assert [row["o"]["k"] for row in stored.to_pylist()] == [1, 2**53 + 1]


@pytest.mark.parametrize("source", ["ndjson", "records"])
def test_an_object_holding_a_value_that_does_not_convert_reads_back_from_the_variant_column(
    tmp_path: Path, source: Source
) -> None:
    rows: list[dict[str, Any]] = [{"o": {"k": "n/a", "x": 0.5}}, {"o": {"k": 3}}]
    stored = write(rows, tmp_path / "t", source)
    assert stored.schema.names == ["o", "o__v_json"]
    assert stored["o"].to_pylist() == [None, {"k": 3, "x": None}]
    assert json.loads(stored["o__v_json"][0].as_py()) == {"k": "n/a", "x": 0.5}


@pytest.mark.parametrize("source", ["ndjson", "records"])
def test_a_declared_array_of_objects_converts_its_items(tmp_path: Path, source: Source) -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {
                "type": "array",
                "items": {"type": "object", "properties": {"k": {"type": "integer"}}},
            }
        },
    }
    stored = write([{"a": [{"k": "2"}, {"k": 3.0}]}], tmp_path / "t", source, schema)
    assert stored.to_pylist() == [{"a": [{"k": 2}, {"k": 3}]}]


# --- any nested rows --------------------------------------------------------------------------

DEEP = {
    "type": "object",
    "properties": {
        "o": {
            "type": "object",
            "properties": {
                "k": {"type": "integer"},
                "x": {"type": "number"},
                "b": {"type": "boolean"},
                "p": {"type": "object", "properties": {"q": {"type": "integer"}}},
            },
        },
        "a": {
            "type": "array",
            "items": {"type": "object", "properties": {"k": {"type": "integer"}}},
        },
    },
}
DECLARED_O = pa.struct(
    [
        ("k", pa.int64()),
        ("x", pa.float64()),
        ("b", pa.bool_()),
        ("p", pa.struct([("q", pa.int64())])),
    ]
)
TWO_53 = 2**53
_EDGES = [TWO_53 - 1, TWO_53, TWO_53 + 1, -(TWO_53 + 1), 2**63 - 1, -(2**63), 2**64 - 1, 2**70]
INTEGERS = st.sampled_from(_EDGES) | st.integers(-(2**66), 2**66) | st.integers(-1000, 1000)
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**60), 2**60).map(float)
TEXTS = (
    INTEGERS.map(str)
    | FLOATS.map(repr)
    | st.sampled_from(["0.1", "12.50", "1e400", "007", "n/a", "true", "false", ""])
)
SCALARS = st.none() | st.booleans() | INTEGERS | FLOATS | TEXTS
OBJECTS = st.fixed_dictionaries(
    {},
    optional={
        "k": SCALARS,
        "x": SCALARS,
        "b": SCALARS,
        "p": st.fixed_dictionaries({}, optional={"q": SCALARS}) | SCALARS,
        "z": SCALARS,  # a key nobody declared
    },
)
ITEMS = st.fixed_dictionaries({}, optional={"k": SCALARS}) | SCALARS
ROWS = st.lists(
    st.fixed_dictionaries(
        {}, optional={"o": st.none() | OBJECTS, "a": st.none() | st.lists(ITEMS, max_size=3)}
    ),
    min_size=1,
    max_size=10,
)
_DIGITS = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}


def spelled(text: str) -> int | float | None:
    """The JSON number `text` spells, as a JSON reader reads it, or None."""
    if not _NUMBER.fullmatch(text):
        return None
    return int(text) if _DIGITS.fullmatch(text) else float(text)


def same_scalar(sent: Any, stored: Any) -> bool:
    """Whether `stored` is `sent`, or what it converts to without loss, or its JSON text.

    An integer within int64 may be its nearest double: where it meets a fraction in one field
    of a batch it is read as JSON readers read it, the rule of top-level columns too
    (`test_exact_numbers`)."""
    if isinstance(stored, str) and isinstance(sent, str):
        return stored == sent or (spelled(sent) is not None and json.loads(stored) == spelled(sent))
    if isinstance(stored, str):
        stored = json.loads(stored)  # a number or a boolean kept as its JSON text
    if isinstance(sent, str):
        if isinstance(stored, bool):
            return _BOOLEANS.get(sent) is stored
        if isinstance(stored, int):
            return bool(_DIGITS.fullmatch(sent)) and stored == int(sent)
        return stored == spelled(sent)
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored
    as_json_reads_it = isinstance(sent, int) and abs(sent) < 2**63 and stored == float(sent)
    return bool(stored == sent or as_json_reads_it)


def assert_kept(sent: Any, stored: Any) -> None:
    """`stored` holds `sent` at every depth; an object's keys it lacks read as null."""
    if isinstance(sent, dict | list) and isinstance(stored, str):
        stored = json.loads(stored)  # an object or a list that met text is its JSON text
    if isinstance(sent, dict):
        assert isinstance(stored, dict)
        for key in sent.keys() | stored.keys():
            assert_kept(sent.get(key), stored.get(key))
    elif isinstance(sent, list):
        assert isinstance(stored, list) and len(stored) == len(sent)
        for item, kept in zip(sent, stored, strict=True):
            assert_kept(item, kept)
    elif sent is None:
        assert stored is None
    else:
        assert same_scalar(sent, stored), (sent, stored)


def assert_every_value_kept(rows: list[dict[str, Any]], stored: pa.Table) -> None:
    """Each row's value of each column is in the column or in its variant column, exactly."""
    assert set(stored.column_names) <= {"o", "a", "o__v_json", "a__v_json"}
    for sent, kept in zip(rows, stored.to_pylist(), strict=True):
        for column in ("o", "a"):
            typed, variant = kept.get(column), kept.get(f"{column}__v_json")
            if sent.get(column) is None:
                assert typed is None and variant is None
                continue
            assert (typed is None) != (variant is None)
            assert_kept(sent[column], typed if variant is None else json.loads(variant))


def converts_to_an_integer(value: Any) -> bool:
    """Whether an integer column takes `value` without loss (the README's rules)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return bool(re.fullmatch(r"-?(0|[1-9][0-9]{0,18})", value)) and abs(int(value)) < 2**63
    if isinstance(value, float):
        return value.is_integer() and -(2**63) <= value < 2**63
    return value is None or (isinstance(value, int) and -(2**63) <= value < 2**63)


def integer_values(rows: list[dict[str, Any]]) -> Iterator[Any]:
    """The values sent for the integer properties `o.k` and `a[].k`."""
    for row in rows:
        if isinstance(row.get("o"), dict):
            yield row["o"].get("k")
        for item in row.get("a") or []:
            if isinstance(item, dict):
                yield item.get("k")


def assert_declared_types_kept(stored: pa.Table) -> None:
    assert stored.schema.field("a").type == pa.list_(pa.struct([("k", pa.int64())]))
    held = stored.schema.field("o").type
    assert [held.field(f.name) for f in DECLARED_O] == list(DECLARED_O)


_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(rows=ROWS, block_bytes=st.integers(32, 400))
def test_nested_rows_of_any_mix_keep_every_value_and_the_declared_types(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], block_bytes: int
) -> None:
    folder = tmp_path_factory.mktemp("nested")
    by_records = write(rows, folder / "r", "records", DEEP)
    assert write(rows, folder / "n", "ndjson", DEEP).equals(by_records)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        in_blocks = write(rows, folder / "b", "ndjson", DEEP)
    for stored in (by_records, in_blocks):
        assert stored.num_rows == len(rows)
        assert_declared_types_kept(stored)
        assert_every_value_kept(rows, stored)


@_SETTINGS
@given(rows=ROWS, block_bytes=st.integers(32, 400))
def test_nested_rows_of_any_mix_through_the_plain_writers_keep_every_value(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]], block_bytes: int
) -> None:
    folder = tmp_path_factory.mktemp("nested")
    by_records = write_records(rows, folder / "r" / "part-0.parquet", json_schema=DEEP)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        by_ndjson = write_ndjson([ndjson(rows)], folder / "n" / "part-0.parquet", json_schema=DEEP)
    # Under evolve a property widens only for a value it cannot take.
    integers = all(map(converts_to_an_integer, integer_values(rows)))
    for result in (by_records, by_ndjson):
        stored = read_back(result.path)
        assert_every_value_kept(rows, stored)
        objects = [stored.schema.field("o").type, stored.schema.field("a").type.value_type]
        for kind in objects if integers else []:
            # (an object that met other values is their JSON text: no `k` of its own)
            assert not pa.types.is_struct(kind) or kind.field("k").type == pa.int64()
