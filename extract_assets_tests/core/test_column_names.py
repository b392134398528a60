"""Keys that differ only in case land in columns that do not, so Spark (and DuckDB, and Hive)
read the table; every later batch and run finds the same column for the same key."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
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


def test_a_table_with_price_and_price_reads_in_every_reader_spark_included(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "offers"
    lines = b'{"Price": 1, "price": 2}\n{"price": 3}\n{"PRICE": 4}\n'
    write_ndjson([lines], folder / "part-0.parquet")
    rows = assert_all_readers_agree(folder, None)
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
    schema = {"type": "object", "propertyNames": {"pattern": "^[A-Za-z]+$"}}
    assert check_rows(target, schema).invalid_rows == 0
    assert check_rows_one_by_one(target, schema).invalid_rows == 0


# Keys spelled as a base word in any mix of cases, a few of them per row.
KEYS = st.sampled_from(["id", "name"]).flatmap(
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
    target = tmp_path_factory.mktemp("keys") / "t" / "rows.parquet"
    lines = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet, "_BLOCK_BYTES", block_bytes)
        write_ndjson([lines], target)
    names = pq.read_schema(target).names
    assert len({name.casefold() for name in names}) == len(names)
    read = pq.read_table(target).to_pylist()
    assert [{column_key(k): v for k, v in row.items() if v is not None} for row in read] == rows
    assert duckdb.sql(f"SELECT * FROM '{target}'").columns == names
