"""The helper that reads one table folder with every Parquet reader the README names."""

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract_assets_tests.readers import (
    assert_all_readers_agree,
    read_pandas,
    read_polars,
    read_with_all,
    spark_session,
)

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("clicks", pa.int64()),
        ("cost", pa.float64()),
        ("name", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("amount", pa.decimal128(10, 2)),
        ("campaign", pa.struct([("code", pa.int32()), ("label", pa.string())])),
        ("tags", pa.list_(pa.string())),
    ]
)


def _day(day: int, rows: int = 2) -> pa.Table:
    """Rows of one day: the first full, the next ones with nulls wherever a null fits."""
    full = {
        "id": day * 10,
        "clicks": day,
        "cost": day + 0.25,
        "name": "Zürich — 東京 ✓",
        "at": datetime(2026, 11, day, 12, 30, tzinfo=UTC),
        "amount": Decimal("12.50"),
        "campaign": {"code": day, "label": None},
        "tags": ["brand", "ñ"],
    }
    sparse = [
        {"id": day * 10 + n, "clicks": None, "cost": None, "name": None, "at": None}
        | {"amount": None, "campaign": None, "tags": []}
        for n in range(1, rows)
    ]
    return pa.Table.from_pylist([full, *sparse][:rows], schema=SCHEMA)


def _write(folder: Path, files: dict[str, pa.Table]) -> Path:
    """`files` maps a day (or "" for the table folder itself) to the part-0.parquet it holds."""
    for key, table in files.items():
        target = folder / f"date={key}" if key else folder
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target / "part-0.parquet")
    return folder


def test_consistent_day_folders_read_the_same_in_all_five_readers(tmp_path: Path) -> None:
    _write(tmp_path, {f"2026-11-0{day}": _day(day) for day in (1, 2, 3)})

    rows = assert_all_readers_agree(tmp_path, "date")

    by_id = {row["id"]: row for row in rows}
    assert sorted(by_id) == [10, 11, 20, 21, 30, 31]
    assert by_id[10] == {
        "id": 10,
        "clicks": 1,
        "cost": 1.25,
        "name": "Zürich — 東京 ✓",
        "at": datetime(2026, 11, 1, 12, 30, tzinfo=UTC),
        "amount": Decimal("12.50"),
        "campaign": {"code": 1, "label": None},
        "tags": ["brand", "ñ"],
        "date": "2026-11-01",
    }
    assert by_id[11] == {
        "id": 11,
        "clicks": None,
        "campaign": None,
        "tags": [],
        "date": "2026-11-01",
    } | {column: None for column in ("cost", "name", "at", "amount")}


def test_files_that_disagree_are_not_read_as_one_table(tmp_path: Path) -> None:
    extra = _day(2).append_column("coupon", pa.array(["X1", None]))
    _write(tmp_path, {"2026-11-01": _day(1), "2026-11-02": extra, "2026-11-03": _day(3)})

    with pytest.raises(pl.exceptions.SchemaError, match="extra column"):
        read_polars(tmp_path, "date")
    with pytest.raises((AssertionError, pl.exceptions.PolarsError)):
        assert_all_readers_agree(tmp_path, "date")


def test_readers_that_read_a_folder_differently_fail_the_assertion(tmp_path: Path) -> None:
    # Every reader but DuckDB takes the key "007" for the number 7.
    for key in ("007", "123"):
        (tmp_path / f"task_id={key}").mkdir()
        pq.write_table(pa.table({"x": [1]}), tmp_path / f"task_id={key}" / "part-0.parquet")

    with pytest.raises(AssertionError, match=r"duckdb: .*'task_id'"):
        assert_all_readers_agree(tmp_path, "task_id")


def test_pandas_as_the_readme_reads_keeps_an_int64_past_2_53_in_a_column_with_nulls(
    tmp_path: Path,
) -> None:
    _write(tmp_path, {"": pa.table({"n": pa.array([2**53 + 1, None], pa.int64())})})

    rows = read_pandas(tmp_path, None)

    assert [row["n"] for row in rows] == [2**53 + 1, None]


def test_an_unpartitioned_table_is_its_one_part_file(tmp_path: Path) -> None:
    _write(tmp_path, {"": _day(4, rows=1)})

    rows = assert_all_readers_agree(tmp_path, None)

    assert [(row["id"], row["at"], sorted(row)) for row in rows] == [
        (40, datetime(2026, 11, 4, 12, 30, tzinfo=UTC), sorted(SCHEMA.names))
    ]


def test_a_column_of_arrow_type_null_reads_as_nulls_in_every_reader(tmp_path: Path) -> None:
    files = {f"2026-11-0{day}": _day(day) for day in (1, 2)}
    _write(
        tmp_path, {key: table.append_column("unused", pa.nulls(2)) for key, table in files.items()}
    )

    rows = assert_all_readers_agree(tmp_path, "date")

    assert [row["unused"] for row in rows] == [None] * 4


def test_a_zero_row_day_file_reads_as_no_rows_in_every_reader(tmp_path: Path) -> None:
    _write(tmp_path, {"2026-11-01": _day(1), "2026-11-02": _day(2, rows=0), "2026-11-03": _day(3)})

    rows = assert_all_readers_agree(tmp_path, "date")

    assert sorted({row["date"] for row in rows}) == ["2026-11-01", "2026-11-03"]


def test_spark_gives_a_utc_timestamp_in_local_time_and_the_helper_the_same_instant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"2026-11-01": _day(1, rows=1)})
    frame = spark_session().read.parquet(str(tmp_path))
    assert frame.schema["at"].dataType.simpleString() == "timestamp"

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        raw = frame.collect()[0]["at"]
        normalised = read_with_all(tmp_path, "date")["spark"][0]["at"]
    finally:
        monkeypatch.undo()
        time.tzset()

    assert raw == datetime(2026, 11, 1, 18, 0)  # naive, in the Python process's zone
    assert normalised == datetime(2026, 11, 1, 12, 30, tzinfo=UTC)


_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            # pandas reads an int64 column with nulls as float64: exact only up to 2**53
            "n": st.none() | st.integers(-(2**53), 2**53),
            "x": st.none() | st.floats(allow_nan=False, width=64),
            "s": st.none() | st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
        }
    ),
    max_size=4,
)


@settings(max_examples=6, deadline=None)
@given(days=st.lists(_ROWS, min_size=1, max_size=3))
def test_any_consistent_day_folders_read_the_same(
    tmp_path_factory: pytest.TempPathFactory, days: list
) -> None:
    folder = tmp_path_factory.mktemp("table")
    schema = pa.schema([("n", pa.int64()), ("x", pa.float64()), ("s", pa.string())])
    _write(
        folder,
        {
            f"2026-11-0{i + 1}": pa.Table.from_pylist(rows, schema=schema)
            for i, rows in enumerate(days)
        },
    )

    rows = assert_all_readers_agree(folder, "date")

    assert len(rows) == sum(len(day) for day in days)
