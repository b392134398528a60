"""Keys that differ only in case land in columns that do not, so Spark (and DuckDB, and Hive)
read the table; every later batch and run finds the same column for the same key."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_assets.core import parquet
from extract_assets.core.column_names import ColumnNames, column_key
from extract_assets.core.day_folders import write_day_folders
from extract_assets.core.parquet import write_ndjson
from extract_assets.core.validation import check_rows, check_rows_one_by_one
from extract_assets_tests.readers import assert_all_readers_agree


def test_a_key_differing_only_in_case_from_a_column_gets_a_column_of_its_own() -> None:
    names = ColumnNames(["Price"])
    assert [names.add("price"), names.add("PRICE")] == ["price__case_2", "PRICE__case_3"]


def test_a_key_found_again_goes_to_the_column_it_was_given() -> None:
    later = ColumnNames(["Price", "price__case_2"])
    assert (later.column_of("price"), later.column_of("Price")) == ("price__case_2", "Price")


def test_a_key_spelled_like_a_renamed_column_is_not_taken_for_one() -> None:
    names = ColumnNames([])
    stored = names.add("x__case_2")
    assert column_key(stored) == "x__case_2"
    assert ColumnNames([stored]).column_of("x__case_2") == stored


def test_the_empty_key_gets_a_column_named_for_it() -> None:
    names = ColumnNames(["a"])
    stored = names.add("")
    assert (stored, column_key(stored), names.column_of("")) == ("__case_2", "", "__case_2")


def read_by_every_reader(lines: bytes, folder: Path) -> list[dict[str, Any]]:
    """`lines` written as one table file, read back by every reader (which must agree)."""
    write_ndjson([lines], folder / "part-0.parquet")
    return assert_all_readers_agree(folder, None)


def assert_the_schema_check_passes(target: Path, schema: dict[str, Any]) -> None:
    assert check_rows(target, schema).invalid_rows == 0
    assert check_rows_one_by_one(target, schema).invalid_rows == 0


def test_a_table_with_price_and_price_reads_in_every_reader_spark_included(
    tmp_path: Path,
) -> None:
    lines = b'{"Price": 1, "price": 2}\n{"price": 3}\n{"PRICE": 4}\n'
    rows = read_by_every_reader(lines, tmp_path / "offers")
    assert sorted(rows, key=lambda row: str(row)) == sorted(
        [
            {"Price": 1, "price__case_2": 2, "PRICE__case_3": None},
            {"Price": None, "price__case_2": 3, "PRICE__case_3": None},
            {"Price": None, "price__case_2": None, "PRICE__case_3": 4},
        ],
        key=lambda row: str(row),
    )


def test_a_later_run_puts_the_key_in_the_column_an_earlier_run_gave_it(tmp_path: Path) -> None:
    folder = tmp_path / "ads"
    first = [{"date": "2026-12-01", "Price": 1}, {"date": "2026-12-02", "price": 2}]
    write_day_folders([first], folder, [date(2026, 12, 1), date(2026, 12, 2)])
    again = write_day_folders([[{"date": "2026-12-03", "price": 3}]], folder, [date(2026, 12, 3)])
    assert again.table.schema.names == ["Price", "price__case_2"]
    assert not again.table.changes
    rows = assert_all_readers_agree(folder, "date")
    assert sorted(row["price__case_2"] or 0 for row in rows) == [0, 2, 3]


def test_the_rename_is_told_in_the_schema_changes(tmp_path: Path) -> None:
    written = write_day_folders(
        [[{"date": "2026-12-01", "Price": 1, "price": 2}]], tmp_path / "ads", [date(2026, 12, 1)]
    )
    assert "key price stored as price__case_2" in written.table.changes.summary()


def test_the_schema_check_judges_a_renamed_column_by_its_key(tmp_path: Path) -> None:
    target = tmp_path / "t" / "offers.parquet"
    write_ndjson([b'{"Price": 1, "price": 2}\n'], target)
    assert_the_schema_check_passes(
        target, {"type": "object", "propertyNames": {"pattern": "^[A-Za-z]+$"}}
    )


def test_object_keys_differing_only_in_case_read_in_every_reader_spark_included(
    tmp_path: Path,
) -> None:
    lines = b'{"s": {"X": 1, "x": 2}}\n{"s": {"x": 3}, "l": [{"A": 1}, {"a": 2}]}\n'
    rows = read_by_every_reader(lines, tmp_path / "offers")
    assert {"X": None, "x__case_2": 3} in [row["s"] for row in rows]
    assert [{"A": 1, "a__case_2": None}, {"A": None, "a__case_2": 2}] in [row["l"] for row in rows]


def test_object_keys_apart_by_case_beside_lists_of_nulls_read_in_every_reader(
    tmp_path: Path,
) -> None:
    lines = b'{"s": {"a": [null, null], "A": null}, "l": [{"b": [null], "B": 1}]}\n'
    rows = read_by_every_reader(lines, tmp_path / "offers")
    assert rows == [
        {"s": {"a": [None, None], "A__case_2": None}, "l": [{"b": [None], "B__case_2": 1}]}
    ]


def test_a_later_run_puts_an_object_key_where_an_earlier_run_put_it(tmp_path: Path) -> None:
    folder = tmp_path / "ads"
    first = [{"date": "2026-12-01", "s": {"X": 1}}, {"date": "2026-12-02", "s": {"x": 2}}]
    write_day_folders([first], folder, [date(2026, 12, 1), date(2026, 12, 2)])
    again = [{"date": "2026-12-03", "s": {"x": 3, "X": 4}}]
    write_day_folders([again], folder, [date(2026, 12, 3)])
    rows = assert_all_readers_agree(folder, "date")
    assert sorted(str(row["s"]) for row in rows) == sorted(
        str(s)
        for s in (
            {"X": 1, "x__case_2": None},
            {"X": None, "x__case_2": 2},
            {"X": 4, "x__case_2": 3},
        )
    )


def test_the_schema_check_judges_a_renamed_object_key_by_its_key(tmp_path: Path) -> None:
    target = tmp_path / "t" / "offers.parquet"
    write_ndjson([b'{"s": {"X": 1, "x": 2}}\n'], target)
    schema = {
        "type": "object",
        "properties": {"s": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z]+$"}}},
    }
    assert_the_schema_check_passes(target, schema)


def written_in_blocks(rows: list[dict[str, Any]], block_bytes: int, folder: Path) -> Path:
    """`rows` as NDJSON, written by the sink in blocks of about `block_bytes`; the file."""
    target = folder / "t" / "rows.parquet"
    lines = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        write_ndjson([lines], target)
    return target


# Keys spelled as a base word in any mix of cases, or empty, a few of them per row.
KEYS = st.sampled_from(["id", "name", ""]).flatmap(
    lambda word: st.tuples(*[st.sampled_from([c.lower(), c.upper()]) for c in word]).map("".join)
)
ROWS = st.lists(
    st.dictionaries(KEYS, st.integers(0, 9), min_size=1, max_size=4), min_size=1, max_size=30
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, block_bytes=st.integers(16, 200))
def test_any_keys_in_any_case_land_unique_ignoring_case_with_every_value(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, int]], block_bytes: int
) -> None:
    target = written_in_blocks(rows, block_bytes, tmp_path_factory.mktemp("keys"))
    names = pq.read_schema(target).names
    assert len({name.casefold() for name in names}) == len(names)
    assert all(names)
    read = pq.read_table(target).to_pylist()
    assert [{column_key(k): v for k, v in row.items() if v is not None} for row in read] == rows
    assert duckdb.sql(f"SELECT * FROM '{target}'").columns == names


# Objects of one or more keys (an empty object is stored as its JSON text, `{}`).
NESTED = st.lists(
    st.dictionaries(
        KEYS,
        st.dictionaries(KEYS, st.integers(0, 9), min_size=1, max_size=3),
        min_size=1,
        max_size=2,
    ),
    min_size=1,
    max_size=20,
)


def by_key(value: object) -> object:
    """A value read back, with each object's keys as they came and its nulls left out."""
    if isinstance(value, dict):
        return {column_key(k): by_key(v) for k, v in value.items() if v is not None}
    return value


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=NESTED, block_bytes=st.integers(16, 200))
def test_object_keys_in_any_case_land_unique_ignoring_case_at_every_level(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[dict[str, dict[str, int]]],
    block_bytes: int,
) -> None:
    target = written_in_blocks(rows, block_bytes, tmp_path_factory.mktemp("keys"))
    schema = pq.read_schema(target)
    for column in schema:
        children = [f.name for f in column.type] if pa.types.is_struct(column.type) else []
        assert len({name.casefold() for name in children}) == len(children)
        assert all(children)
    read = [by_key(row) for row in pq.read_table(target).to_pylist()]
    assert read == [by_key(row) for row in rows]


def test_an_empty_key_reads_by_name_in_every_reader_spark_included(tmp_path: Path) -> None:
    lines = b'{"": 1, "s": {"": 2, "b": 3}, "l": [{"": 4}]}\n{"": 5, "s": {"b": 6}}\n'
    rows = read_by_every_reader(lines, tmp_path / "scraped")
    assert sorted((row["__case_2"], row["s"]["b"]) for row in rows) == [(1, 3), (5, 6)]
    assert {"__case_2": 2, "b": 3} in [row["s"] for row in rows]


def test_the_schema_check_judges_the_empty_keys_column_by_its_key(tmp_path: Path) -> None:
    target = tmp_path / "t" / "scraped.parquet"
    write_ndjson([b'{"": 1, "s": {"": "x"}}\n'], target)
    schema = {
        "type": "object",
        "properties": {
            "": {"type": "integer"},
            "s": {
                "type": "object",
                "properties": {"": {"type": "string"}},
                "required": [""],
                "additionalProperties": False,
            },
        },
        "required": [""],
        "additionalProperties": False,
    }
    assert_the_schema_check_passes(target, schema)


def test_a_json_schema_declaring_keys_apart_only_by_case_gives_columns_every_reader_reads(
    tmp_path: Path,
) -> None:
    schema = {
        "properties": {
            "Price": {"type": "integer"},
            "price": {"type": "number"},
            "": {"type": "string"},
            "s": {"type": "object", "properties": {"X": {"type": "integer"}, "x": {}}},
        }
    }
    folder = tmp_path / "offers"
    written = write_ndjson(
        [b'{"Price": 1, "price": 2.5, "": "a", "s": {"X": 3, "x": "y"}}\n'],
        folder / "part-0.parquet",
        json_schema=schema,
    )
    assert written.schema.names == ["Price", "price__case_2", "__case_2", "s"]
    rows = assert_all_readers_agree(folder, None)
    assert rows == [
        {"Price": 1, "price__case_2": 2.5, "__case_2": "a", "s": {"X": 3, "x__case_2": "y"}}
    ]


def test_a_declared_key_apart_only_by_case_from_a_column_the_table_has_gets_its_own(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ads"
    write_day_folders([[{"date": "2026-12-01", "Price": 1}]], folder, [date(2026, 12, 1)])
    again = write_day_folders(
        [[{"date": "2026-12-02", "price": 2.5}]],
        folder,
        [date(2026, 12, 2)],
        json_schema={"properties": {"price": {"type": "number"}}},
    )
    assert again.table.schema.names == ["Price", "price__case_2"]
    rows = assert_all_readers_agree(folder, "date")
    assert sorted(str((row["Price"], row["price__case_2"])) for row in rows) == [
        "(1, None)",
        "(None, 2.5)",
    ]
